"""Every script in examples/ runs to completion, so the examples cannot rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))


def test_there_are_examples() -> None:
    assert EXAMPLES


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(script: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()


def test_support_team_numbers() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES[0].with_name("support_team.py"))],
        capture_output=True,
        text=True,
        check=True,
    )
    # Omar: (91 - 80) / 15 = 0.733; Ines: (96.5 - 80) / 15 = 1.1; the mean of the two = 0.917.
    assert done.stdout.splitlines() == [
        "team-24h 0.92 = weighted mean of ines-24h 1.10 (w 1) and omar-24h 0.73 (w 1)",
        "overdue: omar since 2026-03-02 (2 missed)",
        "due: ines since 2026-03-16 (1 missed)",
    ]
