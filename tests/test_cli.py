"""The perfkit command line, run in-process and as the installed program."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfkit.cli import main
from perfkit.sample import DEMO_DATE, sample_cycle


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
    page = (Path(__file__).resolve().parent.parent / "docs" / "sample.md").read_text("utf-8")
    block = page.split("$ perfkit demo\n", 1)[1].split("```", 1)[0]
    _, text = run("demo")
    real = text.splitlines()
    shown = [ln for ln in block.splitlines() if ln.strip() and ln != "..."]
    assert shown
    missing = [ln for ln in shown if ln not in real]
    assert missing == [], "docs/sample.md shows demo lines the demo no longer prints"
