"""Every ```python block in docs/ and README.md runs, page by page, in one namespace per page.

A page's blocks run in order, so a later block can use what an earlier one built. Blocks tagged
```text (or anything else) are shown output, not run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_examples_run(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for line, source in python_blocks(page):
        code = compile("\n" * (line - 1) + source, str(page), "exec")
        exec(code, namespace)


def test_every_concept_page_has_a_runnable_example() -> None:
    pages = [
        p for p in PAGES if p.parent.name == "docs" and p.stem not in {"index", "architecture"}
    ]
    assert pages, "docs/ has no pages"
    missing = [p.name for p in pages if not python_blocks(p)]
    assert missing == []
