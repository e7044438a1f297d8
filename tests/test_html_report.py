"""The HTML results report: well-formed, escaped, self-contained, deterministic, and rendered by
a real headless chromium with its charts, no console errors and no network request."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import attrs
import pytest
from hypothesis import given

from perfkit._errors import ValidationError
from perfkit._serialization import dumps, loads
from perfkit.dataset import CycleData
from perfkit.io._export import write_results
from perfkit.io._html import CONTENT_SECURITY_POLICY, MAX_RATERS_SHOWN, result_html
from perfkit.org import Organisation
from perfkit.run import CyclePolicy, CycleResult, run_cycle
from perfkit.sample import sample_cycle, sample_policy

from .strategies.export import NASTY, cycle_results

if TYPE_CHECKING:
    from playwright.sync_api import Browser

AT = datetime(2026, 12, 20, 18, tzinfo=UTC)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
TAGS = {
    "a", "button", "caption", "circle", "dd", "desc", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "head", "header", "html", "li", "line", "main", "meta", "nav", "p",
    "rect", "script", "section", "span", "style", "svg", "table", "tbody", "td", "text", "th",
    "thead", "title", "tr", "ul", "body",
}  # fmt: skip
"""Every element the report may contain: anything else was injected."""
ATTRIBUTES = {
    "aria-label", "aria-labelledby", "charset", "class", "colspan", "content", "data-v",
    "height", "href", "http-equiv", "id", "lang", "name", "r", "role", "scope", "transform",
    "type", "viewbox", "width", "x", "x1", "x2", "y", "y1", "y2", "cx", "cy",
}  # fmt: skip


class Checker(HTMLParser):
    """A strict reading of the page: every element closed in order, no unknown element or
    attribute, ids unique; collects the text and the attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []
        self.ids: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in TAGS:
            self.problems.append(f"unknown element <{tag}>")
        for name, value in attrs:
            self.attrs.append((tag, name, value))
            if name not in ATTRIBUTES:
                self.problems.append(f"unknown attribute {name} on <{tag}>")
            if name == "id" and value is not None:
                self.ids.append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.problems == []
    assert checker.stack == []
    assert checker.doctype == "DOCTYPE html"
    assert len(checker.ids) == len(set(checker.ids)), "repeated id attributes"
    return checker


def shown(text: str) -> str:
    """Text as the page shows it: control characters (but tab and line ends) become U+FFFD."""
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "\ufffd", text)


# --- properties ----------------------------------------------------------------------------


@given(cycle_results())
def test_report_is_well_formed_escaped_and_names_everyone(result: CycleResult) -> None:
    page = result_html(result)
    checker = check(page)
    assert checker.tags.count("script") == 1  # only the page's own sorting script
    text = "".join(checker.text)
    for person in result.employees:
        assert shown(person.employee_id) in text
        assert shown(person.explain()) in text
    for adjustment in result.calibration.adjustments:
        assert shown(adjustment.reason) in text
    for nasty in NASTY:
        if "<" in nasty:
            assert nasty not in page  # only ever present escaped
    # No attribute may point anywhere but inside the page.
    for tag, name, value in checker.attrs:
        if name == "href":
            assert value is not None
            assert value.startswith("#"), (tag, value)


@given(cycle_results())
def test_report_is_deterministic(result: CycleResult) -> None:
    copy = loads(dumps(result), CycleResult)
    assert result_html(copy) == result_html(result)


# --- the sample company --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> tuple[CycleData, CycleResult]:
    data = sample_cycle(60, seed=7)
    return data, run_cycle(data, sample_policy(data, calibration="force"), at=AT)


def test_sample_report_has_every_chart_and_table(sample: tuple[CycleData, CycleResult]) -> None:
    data, result = sample
    page = result_html(result, data=data)
    checker = check(page)
    assert checker.tags.count("svg") == 4
    assert set(checker.ids) >= {
        "summary",
        "distribution",
        "guideline",
        "nine-box",
        "merit",
        "rater-effects",
        "adjustments",
        "employees",
    }
    text = "".join(checker.text)
    assert "Performance year 2026: results" in text
    for person in result.employees:
        assert data.organisation.employee(person.employee_id).name in text
    assert "Exceeds expectations" in text
    # 9-box counts as drawn: box 9 holds the stars.
    assert result.nine_box is not None
    star = result.nine_box.box(9)
    assert f"9 Star{star.count}" in text  # the box's name, then its count
    assert result.rater_effects is not None
    assert len(result.rater_effects.raters) > MAX_RATERS_SHOWN
    assert f"{MAX_RATERS_SHOWN} raters with the largest effects" in text


def test_accessible_basics(sample: tuple[CycleData, CycleResult]) -> None:
    data, result = sample
    page = result_html(result, data=data)
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    checker = check(page)
    svgs = [a for a in checker.attrs if a[0] == "svg"]
    assert ("svg", "role", "img") in svgs
    assert sum(1 for a in svgs if a[1] == "aria-labelledby") == 4
    labelled = [v for t, n, v in checker.attrs if t == "svg" and n == "aria-labelledby"]
    for value in labelled:
        assert value is not None
        for key in value.split():
            assert key in checker.ids
    scopes = [(n, v) for t, n, v in checker.attrs if t == "th" and n == "scope"]
    assert checker.tags.count("th") == scopes.count(("scope", "col")) > 0


def test_the_page_asks_for_nothing_outside_itself(sample: tuple[CycleData, CycleResult]) -> None:
    data, result = sample
    page = result_html(result, data=data)
    assert not re.search(r"https?:|//[a-z]|url\(|@import|src=", page)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    assert policy.group(1) == CONTENT_SECURITY_POLICY
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'none';")
    # The hashes in the policy are those of the page's own style sheet and script.
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", page, re.DOTALL)
        assert body is not None
        digest = base64.b64encode(hashlib.sha256(body.group(1).encode()).digest()).decode()
        assert f"{tag}-src 'sha256-{digest}'" in CONTENT_SECURITY_POLICY


def tiny_with_names(name: str, unit: str) -> CycleData:
    """The sample's first people renamed, and their unit."""
    data = sample_cycle(8, seed=1)
    org = data.organisation
    employees = [attrs.evolve(e, name=name) if i < 3 else e for i, e in enumerate(org.employees)]
    units = [attrs.evolve(u, name=unit) for u in org.units]
    return CycleData(
        organisation=Organisation(units=units, employees=employees),
        cycle=data.cycle,
        goals=data.goals,
        feedback=data.feedback,
        scales=data.scales,
        forms=data.forms,
        reviews=data.reviews,
    )


@pytest.mark.parametrize("nasty", NASTY)
def test_names_from_the_data_cannot_inject(nasty: str) -> None:
    data = tiny_with_names(nasty, nasty)
    result = run_cycle(data, sample_policy(data), at=AT)
    page = result_html(result, data=data, title=nasty)
    checker = check(page)
    assert checker.tags.count("script") == 1
    assert "img" not in checker.tags
    text = "".join(checker.text)
    assert nasty in text
    if "<" in nasty:
        assert nasty not in page


def test_a_result_without_optional_parts_says_so() -> None:
    data = sample_cycle(12, seed=3)
    policy = sample_policy(data)
    bare = CyclePolicy(scoring=policy.scoring, rating_scale=policy.rating_scale)
    result = run_cycle(data, bare, at=AT)
    page = result_html(result)
    checker = check(page)
    text = "".join(checker.text)
    assert "The run's policy has no 9-box." in text
    assert "The run has no budget pools." in text
    assert "guideline" not in checker.ids
    assert checker.tags.count("svg") == 2  # the distribution and the rater effects
    assert "Cycle fy2026: results" in text


def test_control_characters_and_lone_surrogates_are_shown_as_replacement_characters() -> None:
    data = tiny_with_names("Bell\x07 Char\ud800", "Unit\x00")
    result = run_cycle(data, sample_policy(data), at=AT)
    page = result_html(result, data=data)
    assert "\x07" not in page
    assert "\x00" not in page
    assert "Bell\ufffd Char\ufffd" in page
    assert "Unit\ufffd" in page
    page.encode("utf-8")  # writable as UTF-8


def test_bad_arguments_are_named(sample: tuple[CycleData, CycleResult]) -> None:
    _, result = sample
    with pytest.raises(ValidationError, match=r"^result: 'r' is not a CycleResult"):
        result_html("r")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^title: '  ' is not a non-empty string"):
        result_html(result, title="  ")
    with pytest.raises(ValidationError, match=r"^title: 3 is not a non-empty string"):
        result_html(result, title=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^data: 'd' is not a CycleData"):
        result_html(result, data="d")  # type: ignore[arg-type]
    other = sample_cycle(4, seed=1)
    other = CycleData(organisation=other.organisation, cycle=attrs.evolve(other.cycle, id="other"))
    with pytest.raises(ValidationError, match=r"^data\.cycle\.id: 'other' is not the result's"):
        result_html(result, data=other)


# --- a real browser ------------------------------------------------------------------------

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(message: str) -> NoReturn:
    """Skip locally; fail under CI, where the browser must be there."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium driven by playwright (no browser download): PERFKIT_TEST_CHROMIUM
    names another executable. Skips without them; under CI it fails instead."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the browser test needs playwright: pip install playwright (no browser download)")
    path = os.environ.get("PERFKIT_TEST_CHROMIUM") or shutil.which("chromium")
    if not path or not Path(path).exists():
        _missing(
            "the browser test needs chromium: apt-get install chromium (Debian), or set "
            "PERFKIT_TEST_CHROMIUM=/path/to/chromium"
        )
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def open_report(browser: Browser, path: Path) -> tuple[Any, list[str], list[str]]:
    """Open a report file; return the page, the console errors and every request made."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.type}: {m.text}") if m.type in ("error", "assert") else None,
    )
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"failed request: {r.url}"))

    def route(r: Any) -> None:
        requests.append(r.request.url)
        if r.request.url == path.as_uri():
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, requests


def test_report_renders_in_chromium(
    browser: Browser, sample: tuple[CycleData, CycleResult], tmp_path: Path
) -> None:
    data, result = sample
    (path,) = write_results(result, tmp_path, formats=["html"], data=data)
    page, errors, requests = open_report(browser, path)
    try:
        assert page.title() == "Performance year 2026: results"
        boxes = page.evaluate(
            "Array.from(document.querySelectorAll('svg')).map(s => {"
            "const r = s.getBoundingClientRect(); return [r.width, r.height]; })"
        )
        assert len(boxes) == 4
        assert all(w > 100 and h > 100 for w, h in boxes), boxes
        bars = page.evaluate("document.querySelectorAll('#distribution rect.after').length")
        assert bars == 6  # five ratings and the legend's swatch
        cells = page.evaluate(
            "Array.from(document.querySelectorAll('#nine-box rect.cell')).map(r => "
            "r.getBBox().width * r.getBBox().height)"
        )
        assert len(cells) == 9
        assert all(a > 0 for a in cells)
        # The sorting script works: the score column sorts both ways.
        column = 4  # employee, name, unit, score
        rows = "#employees tbody tr:not(.detail)"
        read = f"Array.from(document.querySelectorAll('{rows}')).map(r => r.cells[3].dataset.v)"
        page.click(f"#employees th:nth-child({column}) button")
        up = [float(x) for x in page.evaluate(read)]
        page.click(f"#employees th:nth-child({column}) button")
        down = [float(x) for x in page.evaluate(read)]
        scores = sorted(e.score.value for e in result.employees)
        assert up == scores
        assert down == scores[::-1]
        sort_state = page.evaluate(
            f"document.querySelector('#employees th:nth-child({column})').getAttribute('aria-sort')"
        )
        assert sort_state == "descending"
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert (tmp_path / "report.png").stat().st_size > 10_000
    finally:
        page.close()
    assert errors == []
    assert requests == [path.as_uri()]


def test_injected_names_do_not_run_in_chromium(browser: Browser, tmp_path: Path) -> None:
    nasty = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"
    data = tiny_with_names(nasty, nasty)
    result = run_cycle(data, sample_policy(data), at=AT)
    (path,) = write_results(result, tmp_path, formats=["html"], data=data)
    page, errors, requests = open_report(browser, path)
    try:
        assert page.title() == f"{data.cycle.name}: results"
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("document.scripts.length") == 1
        assert nasty in page.evaluate("document.body.textContent")
    finally:
        page.close()
    assert errors == []
    assert requests == [path.as_uri()]
