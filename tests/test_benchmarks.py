"""The benchmark scripts run (on a tiny size): they measure, they do not test speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_script(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a benchmark script without a PostgreSQL server (the SQLite steps only)."""
    env = {k: val for k, val in os.environ.items() if k != "PERFKIT_TEST_POSTGRES_URL"}
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / name), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=env,
    )


def test_storage_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = run_script("storage.py", "--people", "30", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "sqlite     save" in done.stdout
    figures = json.loads(out.read_text())
    assert figures["people"] == 30
    assert figures["sqlite_load"] > 0
    assert figures["sqlite_floor_load"] > 0


def test_cycle_benchmark_suite_runs(tmp_path: Path) -> None:
    out = tmp_path / "suite.json"
    done = run_script("cycle.py", "--sizes", "40,80", "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "ratio to floor" in done.stdout
    figures = json.loads(out.read_text())
    assert [f["people"] for f in figures] == [40, 80]
    for f in figures:
        assert f["run"] > 0
        assert f["sqlite_load"] > 0
        assert f["counts"]["employees"] == f["people"]
        # the benchmark shape: about 10 goals and 20 feedback events per person
        assert f["counts"]["goals"] >= 8 * f["people"]
        assert f["counts"]["feedback"] >= 15 * f["people"]


STREAM_KEYS = {"save", "load", "floor_save", "floor_load", "one_table_floor_save"}


def check_stream_figures(figures: dict[str, Any], store: str, people: int) -> None:
    assert figures["people"] == people
    assert figures["mode"] == "stream"
    counts = figures["counts"]
    assert isinstance(counts, dict)
    assert counts["employees"] == people
    assert counts["goals"] >= 8 * people  # the benchmark shape
    assert figures["records"] == sum(counts.values())
    for key in (*STREAM_KEYS, "one_table_floor_load", "best_load_ratio"):
        value = figures[f"{store}_{key}"]
        assert isinstance(value, float)
        assert value > 0, key
    assert figures[f"{store}_best_load_ratio"] > 1  # building records costs something
    assert figures["construction_floor"] > 0
    save_steps = figures[f"{store}_save_steps"]
    assert isinstance(save_steps, dict)
    assert set(save_steps) == {
        "head", "goals", "check_ins", "feedback", "reviews", "commit", "save_read_subtracted"
    }  # fmt: skip
    assert save_steps["save_read_subtracted"] > 0
    load_steps = figures[f"{store}_load_steps"]
    assert isinstance(load_steps, dict)
    assert set(load_steps) == {"organisation", "goals", "check_ins", "feedback", "reviews"}
    for step in ("save", "load"):
        assert figures[f"{store}_{step}_peak_mb"] > 0
    assert figures["peak_rss_mb"] >= figures[f"{store}_load_peak_mb"]


def test_storage_benchmark_streams_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    done = run_script("storage.py", "--stream", "--people", "60", "--json", str(out))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("60 people, streamed")
    assert lines[1].split() == [
        "store", "step", "perfkit", "s", "floor", "s", "ratio", "one-table", "floor", "s", "ratio"
    ]  # fmt: skip
    assert [line.split()[:2] for line in lines[2:4]] == [["sqlite", "save"], ["sqlite", "load"]]
    assert "construction floor" in done.stdout
    assert "sqlite: best load ratio" in done.stdout
    assert "postgres" not in done.stdout
    assert "peak memory" in lines[-1]
    figures = json.loads(out.read_text())
    check_stream_figures(figures, "sqlite", 60)
    assert not any(key.startswith("postgres") for key in figures)


@pytest.mark.skipif(
    not os.environ.get("PERFKIT_TEST_POSTGRES_URL"), reason="PERFKIT_TEST_POSTGRES_URL not set"
)
def test_storage_benchmark_streams_postgres(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    url = os.environ["PERFKIT_TEST_POSTGRES_URL"]
    done = run_script(
        "storage.py", "--stream", "--people", "60", "--postgres", url, "--json", str(out)
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split()[:2] for line in done.stdout.splitlines()[2:6]]
    assert rows == [
        ["sqlite", "save"],
        ["sqlite", "load"],
        ["postgres", "save"],
        ["postgres", "load"],
    ]
    assert "postgres: best load ratio" in done.stdout
    figures = json.loads(out.read_text())
    check_stream_figures(figures, "sqlite", 60)
    check_stream_figures(figures, "postgres", 60)
