"""The perfkit command line, run in-process and as the installed program."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import perfkit
from perfkit.cli import main
from perfkit.sample import DEMO_DATE, sample_cycle

ROOT = Path(__file__).resolve().parent.parent
ACME = ROOT / "examples" / "data" / "acme"
POLICY = ROOT / "examples" / "policy.toml"
PROPOSED = ROOT / "examples" / "policy-proposed.toml"


@pytest.fixture(autouse=True)
def _in_a_fresh_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo keeps its SQLite file in the current directory: each test gets its own."""
    monkeypatch.chdir(tmp_path)


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_demo_prints_goal_tree_and_due_checkins() -> None:
    code, text = run("demo")
    assert code == 0
    assert "Goal tree" in text
    assert "c-revenue  Grow revenue to 12M EUR" in text
    due = sample_cycle().due_checkins(DEMO_DATE)
    overdue = sum(d.status.value == "overdue" for d in due)
    assert f"{len(due)} people, {overdue} overdue" in text
    for d in due:
        assert f" {d.employee_id} " in text


def test_demo_is_deterministic() -> None:
    assert run("demo", "--size", "80")[1] == run("demo", "--size", "80")[1]


def test_demo_full_lists_individual_goals() -> None:
    _, short = run("demo")
    _, full = run("demo", "--full")
    assert "individual goals:" in short
    assert "e0010-g1" in full
    assert "e0010-g1" not in short


def test_demo_on_another_day() -> None:
    code, text = run("demo", "--on", "2026-03-01")
    assert code == 0
    assert "Check-ins due on 2026-03-01" in text


def test_bad_input_gives_exit_1_and_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("demo", "--size", "1")
    assert code == 1
    assert "perfkit: error: size: 1 is not a whole number of people" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run("demo", "--on", "yesterday")
    assert info.value.code == 2
    assert "'yesterday' is not a date" in capsys.readouterr().err


def test_installed_program_runs() -> None:
    exe = Path(sys.executable).with_name("perfkit")
    assert exe.exists(), "the perfkit entry point is not installed"
    done = subprocess.run(
        [str(exe), "demo"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stderr
    assert "Goal tree" in done.stdout


def test_python_dash_m() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "perfkit", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "demo" in done.stdout


def test_a_closed_pipe_ends_quietly() -> None:
    exe = Path(sys.executable).with_name("perfkit")
    with subprocess.Popen(
        [str(exe), "demo", "--size", "400", "--full"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=os.getcwd(),
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        proc.stdout.readline()
        proc.stdout.close()  # like `perfkit demo | head -1`
        assert proc.wait(timeout=120) == 0
        assert proc.stderr.read() == b""


def test_demo_runs_the_whole_cycle() -> None:
    code, text = run("demo")
    assert code == 0
    for heading in (
        "Year-end run of cycle 'fy2026'",
        "Rating distribution on Five-point rating: before and after calibration",
        "9-box (performance →, potential ↑)",
        "Merit spend against budget",
        "Development plans:",
        "got what they got:",
    ):
        assert heading in text
    assert "calibration moved 0 up and 0 down" in text  # advice only


def test_demo_can_force_the_distribution() -> None:
    _, text = run("demo", "--calibration", "force")
    line = next(ln for ln in text.splitlines() if ln.startswith("  calibration moved"))
    assert line != "  calibration moved 0 up and 0 down"


def test_the_demo_shown_in_the_docs_is_the_real_one() -> None:
    page = (ROOT / "docs" / "sample.md").read_text("utf-8")
    block = page.split("$ perfkit demo\n", 1)[1].split("```", 1)[0]
    _, text = run("demo")
    real = text.splitlines()
    shown = [ln for ln in block.splitlines() if ln.strip() and ln != "..."]
    assert shown
    missing = [ln for ln in shown if ln not in real]
    assert missing == [], "docs/sample.md shows demo lines the demo no longer prints"


# --- the demo keeps its data in SQLite ---------------------------------------------------------


def test_demo_stores_the_sample_and_its_result_in_sqlite() -> None:
    from datetime import UTC, datetime

    from perfkit.storage import SqliteStore

    code, text = run("demo")
    assert code == 0
    assert text.rstrip().endswith("Stored the sample cycle and its result in perfkit-demo.db")
    store = SqliteStore("perfkit-demo.db")
    with store.transaction(actor="test", at=datetime(2027, 1, 1, tzinfo=UTC)) as uow:
        result = uow.results.get("fy2026")
        assert len(uow.organisation.load().employees) == 60
        assert [e.kind for e in uow.audit.entries()][-1] == "result"
    store.close()
    assert len(result.employees) > 0
    # A second run reuses the file (same sample) and gives the same output.
    assert run("demo") == (0, text)


def test_each_sample_gets_its_own_demo_file() -> None:
    assert run("demo", "--size", "30")[0] == 0
    assert Path("perfkit-demo-30-2026.db").exists()
    assert run("demo", "--size", "30", "--seed", "5", "--db", "mine.db")[0] == 0
    assert Path("mine.db").exists()


def test_a_store_holding_other_data_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("demo", "--size", "30", "--db", "x.db")[0] == 0
    code, _ = run("demo", "--size", "31", "--db", "x.db")
    assert code == 1
    assert "already holds cycle 'fy2026' with other data" in capsys.readouterr().err


# --- validate ----------------------------------------------------------------------------------


def test_validate_accepts_the_example_data() -> None:
    code, text = run("validate", str(ACME))
    assert code == 0
    assert "loaded 7 units, 48 employees" in text
    assert text.rstrip().endswith("valid")


def _broken_copy(tmp: Path) -> Path:

    target = tmp / "broken"
    shutil.copytree(ACME, target)
    employees = target / "employees.csv"
    lines = employees.read_text(encoding="utf-8").splitlines(keepends=True)
    # line 4 (the third employee): a manager id that names nobody; line 6: a bad hire date
    lines[3] = lines[3].replace(",e0000,", ",e9999,", 1)
    cells = lines[5].split(",")
    cells[4] = "not-a-date"
    lines[5] = ",".join(cells)
    employees.write_text("".join(lines), encoding="utf-8")
    return target


def test_validate_reports_every_problem_with_its_place(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path)
    code, text = run("validate", str(broken))
    assert code == 1
    assert "employees.csv:4:manager_id" in text
    assert "'e9999'" in text
    assert "employees.csv:6:hire_date" in text
    assert "'not-a-date'" in text


def test_validate_json_lists_the_problems(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path)
    code, text = run("validate", str(broken), "--json")
    assert code == 1
    doc = json.loads(text)
    assert doc["valid"] is False
    places = {(p["file"], p["line"], p["column"]) for p in doc["problems"]}
    assert ("employees.csv", 4, "manager_id") in places
    assert ("employees.csv", 6, "hire_date") in places


def test_validate_can_skip_bad_rows(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path)
    code, text = run("validate", str(broken), "--skip-bad-rows", "--json")
    assert code == 0
    doc = json.loads(text)
    assert doc["valid"] is True
    assert doc["counts"]["employees"] < 48
    assert doc["skipped"]


def test_validate_of_a_missing_path_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("validate", "no/such/dir")
    assert code == 1
    assert "does not exist" in capsys.readouterr().err


# --- run ---------------------------------------------------------------------------------------


def test_run_on_the_example_data_stores_and_writes_reports(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from perfkit.storage import SqliteStore

    out = tmp_path / "out"
    code, text = run(
        "run", str(ACME), "--policy", str(POLICY), "--db", "acme.db", "--out", str(out)
    )
    assert code == 0
    assert "Year-end run of cycle 'fy2026' with policy 'weighted_components'" in text
    assert "47 people rated" in text
    assert sorted(p.name for p in out.iterdir()) == [
        "adjustments.csv",
        "distribution.csv",
        "employees.csv",
        "pools.csv",
        "report.html",
        "results.json",
    ]
    store = SqliteStore("acme.db")
    with store.transaction(actor="test", at=datetime(2027, 1, 1, tzinfo=UTC)) as uow:
        stored = uow.results.get("fy2026")
    store.close()
    assert perfkit.dumps(stored) == (out / "results.json").read_text(encoding="utf-8")
    # Again, on the same database: the inputs are already there and the result is replaced.
    assert run("run", str(ACME), "--policy", str(POLICY), "--db", "acme.db")[0] == 0


def test_run_json_is_one_document() -> None:
    code, text = run("run", str(ACME), "--policy", str(POLICY), "--json")
    assert code == 0
    doc = json.loads(text)
    assert doc["people"] == 47
    assert doc["cycle_id"] == "fy2026"
    assert doc["at"] == "2026-12-31T18:00:00+01:00"  # the cycle's last day, not the clock
    assert sum(v["count"] for v in doc["distribution"]["after"]["values"]) == 47


def test_run_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert run("run", str(ACME), "--policy", str(POLICY), "--out", str(tmp_path / name))[0] == 0
    for file in ("results.json", "employees.csv", "report.html"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()


def test_run_with_a_bad_policy_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(POLICY.read_text(encoding="utf-8").replace("min_tenure_days", "min_tenure_dayz"))
    code, text = run("run", str(ACME), "--policy", str(bad), "--json")
    assert code == 1
    assert "min_tenure_dayz" in capsys.readouterr().err
    assert json.loads(text)["type"] == "DocumentError"


def test_run_at_a_given_moment() -> None:
    code, text = run(
        "run", str(ACME), "--policy", str(POLICY), "--json", "--at", "2026-12-20T18:00Z"
    )
    assert code == 0
    assert json.loads(text)["at"] == "2026-12-20T18:00:00+00:00"


def test_run_reads_a_moment_without_offset_in_the_cycle_zone() -> None:
    code, text = run(
        "run", str(ACME), "--policy", str(POLICY), "--json", "--at", "2026-12-20T18:00"
    )
    assert code == 0
    assert json.loads(text)["at"] == "2026-12-20T18:00:00+01:00"  # Europe/Paris in December


def test_run_refuses_a_moment_that_is_not_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run("run", str(ACME), "--policy", str(POLICY), "--at", "soon")
    assert info.value.code == 2
    assert "'soon' is not a date-time" in capsys.readouterr().err


def test_formats_need_an_output_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("run", str(ACME), "--policy", str(POLICY), "--formats", "html")[0] == 1
    assert "--formats: 'html' needs --out DIR" in capsys.readouterr().err


def test_a_store_refusal_says_what_differs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    assert run("run", str(ACME), "--policy", str(POLICY), "--db", "acme.db")[0] == 0
    changed = tmp_path / "changed"
    shutil.copytree(ACME, changed)
    feedback = changed / "feedback.csv"
    lines = feedback.read_text(encoding="utf-8").splitlines(keepends=True)
    feedback.write_text("".join(lines[:-1]), encoding="utf-8")  # one event fewer
    code, _ = run("run", str(changed), "--policy", str(POLICY), "--db", "acme.db")
    assert code == 1
    assert "(its feedback events differ)" in capsys.readouterr().err


def test_validate_lists_every_problem_and_skipping_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    bad = tmp_path / "bad"
    shutil.copytree(ACME, bad)
    checkins = bad / "checkins.csv"
    lines = checkins.read_text(encoding="utf-8").splitlines(keepends=True)
    # 60 check-ins of a goal nobody has: 60 problems, more than an exception message shows
    header, rows = lines[0], lines[1:61]
    goal_col = header.strip().split(",").index("goal_id")
    broken = []
    for row in rows:
        cells = row.rstrip("\r\n").split(",")
        cells[goal_col] = "no-such-goal"
        broken.append(",".join(cells) + "\n")
    checkins.write_text(header + "".join(broken) + "".join(lines[61:]), encoding="utf-8")
    code, text = run("validate", str(bad))
    assert code == 1
    assert "import refused, 60 problems" in text
    assert text.count("'no-such-goal'") == 60
    code, text = run("validate", str(bad), "--skip-bad-rows")
    assert code == 0
    assert "perfkit: warning: 60 records skipped, 0 of them employees" in capsys.readouterr().err


def test_month_first_dates_can_be_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("validate", str(ACME), "--monthfirst")[0] == 0
    with pytest.raises(SystemExit) as info:
        run("validate", str(ACME), "--monthfirst", "--dayfirst")
    assert info.value.code == 2


def test_run_stores_in_postgresql(postgres_url: str) -> None:
    import uuid

    import sqlalchemy

    from perfkit.storage.postgres import PostgresStore

    schema = f"cli_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as con:
        con.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    url = postgres_url + ("&" if "?" in postgres_url else "?") + f"options=-csearch_path%3D{schema}"
    try:
        code, text = run("run", str(ACME), "--policy", str(POLICY), "--db", url, "--json")
        assert code == 0, text
        from datetime import UTC, datetime

        store = PostgresStore(url)
        with store.transaction(actor="test", at=datetime(2027, 1, 1, tzinfo=UTC)) as uow:
            assert len(uow.results.get("fy2026").employees) == 47
        store.close()
    finally:
        with engine.begin() as con:
            con.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


# --- compare, due, explain ---------------------------------------------------------------------


def test_compare_two_policies() -> None:
    code, text = run(
        "compare",
        str(ACME),
        "--policy",
        str(POLICY),
        "--policy",
        str(PROPOSED),
        "--group-by",
        "gender",
        "--threshold",
        "4",
    )
    assert code == 0
    assert "policy-proposed: 10 of 47 people rated differently from policy" in text
    assert "four-fifths" in text


def test_compare_policies_named_on_the_command_line(tmp_path: Path) -> None:

    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    shutil.copy(POLICY, tmp_path / "v1" / "policy.toml")
    shutil.copy(PROPOSED, tmp_path / "v2" / "policy.toml")
    code, text = run(
        "compare",
        str(ACME),
        "--policy",
        f"old={tmp_path / 'v1' / 'policy.toml'}",
        "--policy",
        f"new={tmp_path / 'v2' / 'policy.toml'}",
    )
    assert code == 0
    assert "new: 10 of 47 people rated differently from old" in text


def test_compare_json_and_a_single_policy_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = run(
        "compare", str(ACME), "--policy", str(POLICY), "--policy", str(PROPOSED), "--json"
    )
    assert code == 0
    doc = json.loads(text)
    assert "results" not in doc
    assert run("compare", str(ACME), "--policy", str(POLICY))[0] == 1
    assert "at least two policies" in capsys.readouterr().err


def test_due_lists_reminders() -> None:
    code, text = run("due", str(ACME), "--on", "2026-04-30")
    assert code == 0
    assert text.startswith("Check-ins due on 2026-04-30: 8 people, 2 overdue")
    code, text = run("due", str(ACME), "--on", "2026-04-30", "--json")
    doc = json.loads(text)
    assert len(doc["due"]) == 8
    assert {d["status"] for d in doc["due"]} == {"due", "overdue"}


def test_explain_one_person() -> None:
    code, text = run("explain", str(ACME), "e0044", "--policy", str(POLICY))
    assert code == 0
    assert text.startswith("Why e0044 (Jonas Petit) got what they got:")
    assert "merit 4% (rating 3" in text
    code, text = run("explain", str(ACME), "e0044", "--policy", str(POLICY), "--json")
    assert json.loads(text)["employee_id"] == "e0044"


def test_explain_an_unknown_person(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("explain", str(ACME), "nobody", "--policy", str(POLICY))[0] == 1
    assert "no employee with id 'nobody'" in capsys.readouterr().err


def test_explain_someone_who_is_not_rated(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("explain", str(ACME), "e0000", "--policy", str(POLICY))[0] == 1
    assert "EMPLOYEE: 'e0000' is not rated in this cycle" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["demo", "validate", "run", "compare", "due", "explain"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        run(command, "--help")
    assert info.value.code == 0
    assert "usage: perfkit" in capsys.readouterr().out


# --- the progress bar --------------------------------------------------------------------------


def test_progress_bar_is_quiet_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("run", str(ACME), "--policy", str(POLICY), "--json")[0] == 0
    assert capsys.readouterr().err == ""


def test_progress_bar_draws_on_a_terminal(tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    exe = Path(sys.executable).with_name("perfkit")
    with subprocess.Popen(
        [str(exe), "run", str(ACME), "--policy", str(POLICY), "--json"],
        stdout=subprocess.PIPE,
        stderr=follower,
        cwd=tmp_path,
    ) as proc:
        os.close(follower)
        out, _ = proc.communicate(timeout=120)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert json.loads(out)["people"] == 47  # stdout stays clean for scripts
    assert b"[" in drawn
    assert b"running the cycle" in drawn


def test_date_hints_name_the_command_line_options(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    shutil.copytree(ACME, target)
    employees = target / "employees.csv"
    lines = employees.read_text(encoding="utf-8").splitlines(keepends=True)
    cells = lines[5].split(",")
    cells[4] = "31/03/2019"  # a day/month/year date, without --dayfirst
    lines[5] = ",".join(cells)
    employees.write_text("".join(lines), encoding="utf-8")
    code, text = run("validate", str(target))
    assert code == 1
    assert "run with --dayfirst (day/month/year) or --monthfirst (month/day/year)" in text
    assert "dayfirst=True" not in text
    assert run("validate", str(target), "--dayfirst")[0] == 0
