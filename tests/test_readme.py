"""The README's Quick start works as written: its commands run, its links lead somewhere."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands() -> list[str]:
    """The `.venv/bin/perfkit ...` lines of the README's text blocks (continuations joined)."""
    text = README.replace("\\\n", " ")
    return [
        line.split("#", 1)[0].strip()
        for line in text.splitlines()
        if line.startswith(".venv/bin/perfkit ")
    ]


def test_the_readme_shows_the_main_commands() -> None:
    verbs = [shlex.split(c)[1] for c in _commands()]
    assert verbs == ["validate", "run", "compare", "explain"]


@pytest.mark.parametrize("command", _commands(), ids=lambda c: shlex.split(c)[1])
def test_each_readme_command_runs(command: str, tmp_path: Path) -> None:
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    exe = Path(sys.executable).with_name("perfkit")
    argv = [str(exe), *shlex.split(command)[1:]]
    done = subprocess.run(
        argv, cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    if "--out" in argv:
        out = tmp_path / argv[argv.index("--out") + 1]
        report = (out / "report.html").read_text(encoding="utf-8")
        assert "<svg" in report
        assert (out / "results.json").exists()


def test_readme_links_lead_to_files() -> None:
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [t for t in targets if not t.startswith(("http://", "https://"))]
    assert local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == []
