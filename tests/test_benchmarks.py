"""The benchmark scripts run (on a tiny size): they measure, they do not test speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
