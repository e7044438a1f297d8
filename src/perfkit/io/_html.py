"""The results report: one self-contained HTML page for the people who sign a cycle off.

:func:`result_html` renders a :class:`~perfkit.run.CycleResult` as a page that HR, the
calibration committee and finance can open from a file share or an e-mail attachment, offline:
the rating distribution before and after calibration against the guideline, the units off the
guideline, the 9-box grid, merit spend against each budget pool, rater effects (how lenient or
harsh each reviewer is), every calibration adjustment and every person's outcome with its
explanation.

The page loads nothing: the CSS and the SVG charts are inline, made in Python, and a small
inline script sorts the tables. A Content-Security-Policy forbids every network request and
lets only that script and that style sheet run (by their hashes), so even text that slipped
through unescaped could not run. Every string from the data is escaped. The same result and
data give the same bytes (with the same perfkit version, which the footer names).
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

from .._errors import ValidationError
from .._version import __version__
from ..dataset import CycleData
from ..money import Money
from ..ninebox import NineBoxGrid
from ..normalisation import RaterSeverity, SeverityModel
from ..rewards import PoolReport
from ..run import CycleResult, EmployeeResult
from ._export import DistributionRow, Names, check_result, decimal, distribution_rows, number

__all__ = ["CONTENT_SECURITY_POLICY", "MAX_RATERS_SHOWN", "result_html"]

MAX_RATERS_SHOWN = 40
"""The rater-effects chart shows at most this many raters: those with the largest effects."""

_STYLE = """
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;
background:#fff}
header,main,footer{max-width:1440px;margin:0 auto;padding:0 24px}
header{padding-top:24px}
footer{color:#596275;font-size:.85em;padding-bottom:32px}
h1{font-size:1.6em;margin:0 0 4px}
h2{font-size:1.25em;margin:32px 0 8px;border-bottom:1px solid #d5dae3;padding-bottom:4px}
nav ul{list-style:none;padding:0;margin:12px 0;display:flex;flex-wrap:wrap;gap:4px 16px}
a{color:#1f4e8c}
.meta,.note,figcaption,caption{color:#596275}
.note{font-style:italic}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}
dl.summary dt{font-weight:600}
dl.summary dd{margin:0}
figure{margin:8px 0 16px}
figcaption{font-size:.9em;margin-top:4px}
svg{max-width:100%;height:auto;display:block}
svg text{font-size:12px;fill:#1d2330}
svg .small{font-size:10px;fill:#596275}
svg .big{font-size:24px;font-weight:700}
svg .strong{font-weight:600}
svg .end{text-anchor:end}
svg .mid{text-anchor:middle}
.axis{stroke:#8a93a6;stroke-width:1}
.grid{stroke:#e3e7ee;stroke-width:1}
.before{fill:#9db4d3}
.after{fill:#1f4e8c}
.guide{fill:#f5a623;fill-opacity:.18;stroke:#c77700;stroke-width:1.5;stroke-dasharray:4 3}
.cell{stroke:#fff;stroke-width:3}
.nb0{fill:#f4c7c3}.nb1{fill:#fce8b2}.nb2{fill:#fff2cc}.nb3{fill:#d9ead3}.nb4{fill:#b7e1cd}
.budget{fill:#eef1f5;stroke:#8a93a6}
.spend{fill:#2a7d4f}
.demand{stroke:#b03a2e;stroke-width:2;stroke-dasharray:3 2}
.lenient{fill:#c77700}.harsh{fill:#1f4e8c}.neutral{fill:#8a93a6}
.se{stroke:#8a93a6;stroke-width:2}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13px}
caption{text-align:left;padding:4px 0}
th,td{border-bottom:1px solid #e3e7ee;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f7fa}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;
cursor:pointer;text-align:inherit}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
.wrap{white-space:normal}
tr.detail td{color:#3a4252;border-bottom:1px solid #c9d0dc;padding-bottom:8px}
tr:has(+ tr.detail) td{border-bottom:0}
.label{font-weight:600}
.scroll{overflow-x:auto}
@media print{nav{display:none}.scroll{overflow:visible}}
"""

_SCRIPT = """
"use strict";
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-v");
    return v === null ? cell.textContent.trim() : v;
  }
  function order(a, b, numeric) {
    if (numeric) {
      var x = a === "" ? -Infinity : Number(a);
      var y = b === "" ? -Infinity : Number(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return a.localeCompare(b);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = th.querySelector("button");
      if (!button) {
        return;
      }
      button.addEventListener("click", function () {
        var numeric = th.classList.contains("num");
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) {
          h.removeAttribute("aria-sort");
        });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var grouped = table.classList.contains("grouped");
        var parent = grouped ? table : table.tBodies[0];
        var items = Array.prototype.slice.call(grouped ? table.tBodies : parent.rows);
        items.sort(function (a, b) {
          var first = grouped ? a.rows[0] : a;
          var second = grouped ? b.rows[0] : b;
          var c = order(key(first.cells[col]), key(second.cells[col]), numeric);
          return up ? c : -c;
        });
        items.forEach(function (item) {
          parent.appendChild(item);
        });
      });
    });
  });
})();
"""


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {_hash(_STYLE)}; script-src {_hash(_SCRIPT)}; "
    "base-uri 'none'; form-action 'none'"
)
"""The page's policy: no request of any kind; only its own style sheet and script run."""

# Control characters (but tab, newline and carriage return) and lone surrogates: shown as �.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def _e(value: object) -> str:
    """Text made safe for HTML content and attribute values."""
    return html.escape(_UNSAFE.sub("\ufffd", str(value)), quote=True)


def _f(x: float) -> str:
    """An SVG coordinate."""
    return f"{x:.1f}"


def _pct(share: float) -> str:
    return f"{share:.0%}"


def _money(m: Money) -> str:
    """``6,212.64 GBP``: rounded to the currency's minor unit for reading."""
    return str(m.quantize())


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _labelled(name: str, key: str) -> str:
    """``Engineering (u01)``, or the id alone without a name."""
    return f"{name} ({key})" if name else key


def _svg(key: str, width: float, height: float, title: str, desc: str, body: Iterable[str]) -> str:
    return (
        f'<svg role="img" aria-labelledby="{key}-t {key}-d" width="{_f(width)}" '
        f'height="{_f(height)}" viewBox="0 0 {_f(width)} {_f(height)}">'
        f'<title id="{key}-t">{_e(title)}</title><desc id="{key}-d">{_e(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, content: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{_f(x)}" y="{_f(y)}"{klass}>{_e(content)}</text>'


def _rect(x: float, y: float, w: float, h: float, cls: str, title: str = "") -> str:
    tip = f"<title>{_e(title)}</title>" if title else ""
    return (
        f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(max(w, 0.0))}" height="{_f(max(h, 0.0))}" '
        f'class="{cls}">{tip}</rect>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, cls: str) -> str:
    return f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" class="{cls}"/>'


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


# --- tables --------------------------------------------------------------------------------

Cell = tuple[str, str | None]
"""A table cell: the text shown and, for numbers, the value it sorts by."""


def _cell(text: str, sort: str | None = None) -> Cell:
    return (text, sort)


def _table(
    caption: str,
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[Cell]],
    detail: str = "",
) -> str:
    """A sortable table in a scrolling box: ``columns`` are (header, CSS class); a ``num``
    column is right-aligned and sorts by number, ``wrap`` lets it wrap.

    With ``detail`` (its label) each row has one cell more, shown in a full-width row below it
    (an explanation); each pair of rows is then a ``tbody`` of its own, sorted as one.
    """
    head = "".join(
        f'<th scope="col"{_class(cls)}><button type="button">{_e(label)}</button></th>'
        for label, cls in columns
    )
    body = []
    for row in rows:
        cells = []
        for (text, sort), (_, cls) in zip(row[: len(columns)], columns, strict=True):
            attrs = _class(cls)
            if sort is not None:
                attrs += f' data-v="{_e(sort)}"'
            cells.append(f"<td{attrs}>{_e(text)}</td>")
        line = "<tr>" + "".join(cells) + "</tr>"
        if detail:
            line = (
                f'<tbody>{line}<tr class="detail"><td colspan="{len(columns)}">'
                f'<span class="label">{_e(detail)}:</span> {_e(row[len(columns)][0])}</td></tr>'
                "</tbody>"
            )
        body.append(line)
    rows_html = "".join(body) if detail else f"<tbody>{''.join(body)}</tbody>"
    kind = "sortable grouped" if detail else "sortable"
    return (
        f'<div class="scroll"><table class="{kind}"><caption>{_e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead>{rows_html}</table></div>"
    )


def _class(cls: str) -> str:
    return f' class="{cls}"' if cls else ""


# --- the summary ---------------------------------------------------------------------------


def _totals(amounts: Iterable[Money]) -> str:
    sums: dict[str, Money] = {}
    for m in amounts:
        sums[m.currency] = sums[m.currency] + m if m.currency in sums else m
    return ", ".join(_money(sums[c]) for c in sorted(sums)) or "none"


def _summary(result: CycleResult, names: Names) -> str:
    people = result.employees
    moved = result.distribution
    items = [
        ("Cycle", result.cycle_id),
        ("Scoring policy", result.policy),
        ("Run at", result.at.isoformat()),
        ("People rated", str(len(people))),
        (
            "Calibration",
            (
                f"{len(result.calibration.adjustments)} adjustments; {moved.up} moved up, "
                f"{moved.down} down, {moved.same} unchanged"
            ),
        ),
    ]
    if names.scale_name:
        items.append(("Rating scale", f"{names.scale_name} ({result.calibration.scale})"))
    if result.merit is not None:
        items.append(("Merit increases", _totals(p.final_increase for p in result.merit.proposals)))
        if result.merit.pools:
            budget = _totals(p.amount for p in result.merit.pools)
            spend = _totals(p.spend for p in result.merit.pools)
            items.append(("Merit budget spent", f"{spend} of {budget}"))
    else:
        items.append(
            ("Merit increases", _totals(e.merit.final_increase for e in people if e.merit))
        )
    items.append(("Bonuses", _totals(e.bonus.amount for e in people if e.bonus)))
    items.append(
        ("Recognition awards", f"{len(result.awards)} ({_totals(a.amount for a in result.awards)})")
    )
    kinds: dict[str, int] = {}
    for plan in result.plans:
        kinds[plan.kind.value] = kinds.get(plan.kind.value, 0) + 1
    plans = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    items.append(("Development plans", plans))
    rows = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items)
    return f'<section id="summary"><h2>Summary</h2><dl class="summary">{rows}</dl></section>'


# --- the rating distribution ---------------------------------------------------------------


def _distribution(result: CycleResult, names: Names) -> str:
    rows = distribution_rows(result)
    intro = (
        "<p>How many people got each rating before calibration (as the rating cut-offs gave it) "
        "and after it, against the guideline's range for each rating.</p>"
    )
    if not rows:
        return _section("distribution", "Rating distribution", intro + _note("Nobody was rated."))
    width, height = 720.0, 300.0
    left, right, top, bottom = 52.0, 16.0, 36.0, 52.0
    pw, ph = width - left - right, height - top - bottom
    shares = [r.before_share for r in rows] + [r.after_share for r in rows]
    shares += [r.maximum for r in rows if r.maximum is not None]
    peak = min(1.0, max(0.1, math.ceil(max(shares) * 10 - 1e-9) / 10))
    step = 0.1 if peak > 0.3 else 0.05

    def y(share: float) -> float:
        return top + ph * (1 - share / peak)

    body = []
    for k in range(round(peak / step) + 1):
        s = k * step
        body.append(_line(left, y(s), width - right, y(s), "grid"))
        body.append(_text(left - 6, y(s) + 4, _pct(s), "small end"))
    body.append(_line(left, top + ph, width - right, top + ph, "axis"))
    gw = pw / len(rows)
    bw = min(gw * 0.3, 56.0)
    for i, r in enumerate(rows):
        centre = left + gw * (i + 0.5)
        label = names.label(r.value)
        name = f"{number(r.value)} {label}".strip()
        if r.minimum is not None and r.maximum is not None:
            top_y = y(r.maximum)
            body.append(
                _rect(
                    centre - bw - 6,
                    top_y,
                    2 * bw + 12,
                    max(y(r.minimum) - top_y, 1.5),
                    "guide",
                    f"{name}: guideline {_range(r)}",
                )
            )
        for x0, count, share, cls, when in (
            (centre - bw - 2, r.before_count, r.before_share, "before", "before calibration"),
            (centre + 2, r.after_count, r.after_share, "after", "after calibration"),
        ):
            tip = f"{name}, {when}: {count} {_people(count)} ({_pct(share)})"
            body.append(_rect(x0, y(share), bw, top + ph - y(share), cls, tip))
            body.append(_text(x0 + bw / 2, y(share) - 4, str(count), "small mid"))
        body.append(_text(centre, top + ph + 16, number(r.value), "strong mid"))
        if label:
            body.append(_text(centre, top + ph + 30, _short(label, 24), "small mid"))
    guided = result.guideline is not None
    legend = [("before", "before calibration"), ("after", "after calibration")]
    if guided:
        legend.append(("guide", "guideline range"))
    x = left
    for cls, text in legend:
        body.append(_rect(x, 8, 12, 12, cls))
        body.append(_text(x + 17, 18, text))
        x += 30 + 7 * len(text)
    size = result.distribution.before.size
    desc = "; ".join(
        f"{number(r.value)}: {r.before_count} before, {r.after_count} after"
        + (f", guideline {_range(r)}" if r.minimum is not None else "")
        for r in rows
    )
    svg = _svg(
        "dist",
        width,
        height,
        f"Rating distribution of {size} people before and after calibration",
        desc,
        body,
    )
    caption = f"{size} people. Bars: share of people per rating; " + (
        "shaded: the guideline's range." if guided else "no distribution guideline."
    )
    table = _table(
        "Rating distribution",
        [
            ("Rating", "num"),
            ("Label", ""),
            ("Before", "num"),
            ("Share before", "num"),
            ("After", "num"),
            ("Share after", "num"),
            ("Guideline", ""),
        ],
        (
            [
                _cell(number(r.value), number(r.value)),
                _cell(names.label(r.value)),
                _cell(str(r.before_count), str(r.before_count)),
                _cell(_pct(r.before_share), number(r.before_share)),
                _cell(str(r.after_count), str(r.after_count)),
                _cell(_pct(r.after_share), number(r.after_share)),
                _cell(_range(r)),
            ]
            for r in rows
        ),
    )
    figure = f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"
    return _section("distribution", "Rating distribution", intro + figure + table)


def _range(r: DistributionRow) -> str:
    """``15% to 25%`` (empty when the guideline does not list the value)."""
    if r.minimum is None or r.maximum is None:
        return ""
    if r.minimum == r.maximum:
        return _pct(r.minimum)
    return f"{_pct(r.minimum)} to {_pct(r.maximum)}"


def _people(n: int) -> str:
    return "person" if n == 1 else "people"


def _section(key: str, heading: str, content: str) -> str:
    return f'<section id="{key}"><h2>{_e(heading)}</h2>{content}</section>'


# --- deviations from the guideline per unit ------------------------------------------------


def _guideline(result: CycleResult, names: Names) -> str:
    after = result.deviations_after
    if after is None:
        return ""
    before = (
        {}
        if result.deviations_before is None
        else {g.group: g for g in result.deviations_before.groups}
    )
    rows = []
    for g in after.groups:
        key = "" if g.group is None else g.group
        b = before.get(g.group)
        detail = ", ".join(
            f"{number(r.value)}: {'+' if r.over else '-'}{r.over or r.under}"
            for r in g.rows
            if r.over or r.under
        )
        rows.append(
            [
                _cell(_labelled(names.unit(key), key) if key else "everyone"),
                _cell(str(g.size), str(g.size)),
                _cell("" if b is None else str(b.moves), None if b is None else str(b.moves)),
                _cell(str(g.moves), str(g.moves)),
                _cell("yes" if g.feasible else "no"),
                _cell(detail),
            ]
        )
    table = _table(
        "Per unit: the fewest rating changes that would bring the unit within the guideline",
        [
            ("Unit", ""),
            ("People", "num"),
            ("Moves before", "num"),
            ("Moves after", "num"),
            ("Guideline reachable", ""),
            ("Off after calibration (+ over, - under)", ""),
        ],
        rows,
    )
    intro = (
        "<p>The guideline is advice: these are the changes each unit would need to match it, "
        "not changes perfkit made. A small unit may be unable to match it at all.</p>"
    )
    return _section("guideline", "Units against the guideline", intro + table)


# --- the 9-box -----------------------------------------------------------------------------

_LEVELS = ("Low", "Moderate", "High")


def _nine_box(grid: NineBoxGrid | None) -> str:
    intro = (
        "<p>Calibrated performance (columns) against potential (rows): where each person sits "
        "for talent reviews and succession planning.</p>"
    )
    if grid is None:
        return _section("nine-box", "9-box", intro + _note("The run's policy has no 9-box."))
    width, height = 720.0, 390.0
    x0, y0, cw, ch = 96.0, 12.0, 200.0, 104.0
    total = sum(b.count for b in grid.boxes)
    body = []
    for b in sorted(grid.boxes, key=lambda b: b.cell.number):
        row, column = divmod(b.cell.number - 1, 3)
        x, y = x0 + column * cw, y0 + (2 - row) * ch
        share = b.count / total if total else 0.0
        tip = (
            f"Box {b.cell.number} {b.cell.name}: {b.count} {_people(b.count)} ({_pct(share)}); "
            f"{b.cell.performance.value} performance, {b.cell.potential.value} potential"
        )
        body.append(_rect(x, y, cw, ch, f"cell nb{row + column}", tip))
        body.append(_text(x + 10, y + 20, f"{b.cell.number} {b.cell.name}", "strong"))
        body.append(_text(x + 10, y + 60, str(b.count), "big"))
        body.append(_text(x + 10, y + 84, f"{_people(b.count)}, {_pct(share)}", "small"))
    for i, level in enumerate(_LEVELS):
        body.append(_text(x0 + (i + 0.5) * cw, y0 + 3 * ch + 18, level, "mid"))
        body.append(_text(x0 - 8, y0 + (2.5 - i) * ch + 4, level, "end"))
    body.append(_text(x0 + 1.5 * cw, y0 + 3 * ch + 38, "Performance \u2192", "strong mid"))
    body.append(
        f'<text x="20" y="{_f(y0 + 1.5 * ch)}" class="strong mid" '
        f'transform="rotate(-90 20 {_f(y0 + 1.5 * ch)})">Potential \u2192</text>'
    )
    desc = "; ".join(f"box {b.cell.number} {b.cell.name}: {b.count}" for b in grid.boxes)
    svg = _svg("ninebox", width, height, f"9-box grid of {total} people", desc, body)
    caption = f"{total} people placed; box 1 is low/low, box 9 high/high."
    return _section(
        "nine-box", "9-box", f"{intro}<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"
    )


# --- merit spend against budget ------------------------------------------------------------


def _merit(result: CycleResult, names: Names) -> str:
    intro = (
        "<p>Merit increases drawn on each budget pool (in the pools' base currency): the budget, "
        "the demand before fitting (the raw increases) and what was spent after scaling "
        "increases down to fit the budget.</p>"
    )
    pools: Sequence[PoolReport] = () if result.merit is None else result.merit.pools
    if not pools:
        return _section("merit", "Merit budget", intro + _note("The run has no budget pools."))
    pools = sorted(pools, key=lambda p: p.unit_id)
    width, row_h, top = 720.0, 48.0, 34.0
    height = top + row_h * len(pools) + 8
    x0, bar = 16.0, 688.0
    scale = max(float(max(p.amount.amount, p.demand.amount, p.spend.amount)) for p in pools)
    scale = scale if scale > 0 else 1.0

    def w(amount: Decimal) -> float:
        return bar * float(amount) / scale

    body = []
    for cls, text, x in (("budget", "budget", x0), ("spend", "spent", x0 + 90)):
        body.append(_rect(x, 8, 12, 12, cls))
        body.append(_text(x + 17, 18, text))
    body.append(_line(x0 + 170, 6, x0 + 170, 22, "demand"))
    body.append(_text(x0 + 178, 18, "demand before scaling"))
    for i, p in enumerate(pools):
        y = top + i * row_h
        name = _labelled(names.unit(p.unit_id), p.unit_id)
        used = float(p.spend.amount / p.amount.amount) if p.amount.amount else 0.0
        body.append(_text(x0, y + 12, _short(name, 48), "strong"))
        body.append(
            _text(
                x0 + bar,
                y + 12,
                f"spent {_money(p.spend)} of {_money(p.amount)} ({_pct(used)}), "
                f"{p.headcount} {_people(p.headcount)}",
                "end",
            )
        )
        body.append(_rect(x0, y + 18, w(p.amount.amount), 20, "budget", f"{name}: {p.sentence()}"))
        body.append(_rect(x0, y + 21, w(p.spend.amount), 14, "spend", f"{name}: {p.sentence()}"))
        dx = x0 + w(p.demand.amount)
        body.append(_line(dx, y + 16, dx, y + 40, "demand"))
    desc = "; ".join(p.sentence() for p in pools)
    svg = _svg("merit", width, height, "Merit spend against budget per pool", desc, body)
    table = _table(
        "Budget pools",
        [
            ("Pool", ""),
            ("Budget", "num"),
            ("Demand", "num"),
            ("Factor", "num"),
            ("Spent", "num"),
            ("Remaining", "num"),
            ("People", "num"),
        ],
        (
            [
                _cell(_labelled(names.unit(p.unit_id), p.unit_id)),
                _cell(_money(p.amount), decimal(p.amount.amount)),
                _cell(_money(p.demand), decimal(p.demand.amount)),
                _cell(f"{float(p.factor):.4f}", decimal(p.factor)),
                _cell(_money(p.spend), decimal(p.spend.amount)),
                _cell(_money(p.remaining), decimal(p.remaining.amount)),
                _cell(str(p.headcount), str(p.headcount)),
            ]
            for p in pools
        ),
    )
    return _section("merit", "Merit budget", f"{intro}<figure>{svg}</figure>{table}")


# --- rater effects -------------------------------------------------------------------------


def _severity_class(r: RaterSeverity) -> str:
    if r.severity > 0:
        return "lenient"
    if r.severity < 0:
        return "harsh"
    return "neutral"


def _raters(model: SeverityModel | None, names: Names) -> str:
    intro = (
        "<p>How lenient (rates higher than people's performance explains) or harsh each reviewer "
        "is, on the 0\u20131 review scale, with its standard error: the rater-severity model "
        "fitted to every review but self reviews. Only people rated by more than one rater tell "
        "a rater's habits apart from their people's performance.</p>"
    )
    if model is None:
        return _section("rater-effects", "Rater effects", intro + _note("No reviews to model."))
    notes = ""
    if not model.identified:
        notes = _note(
            "The reviews cannot separate raters from the people they rate (nobody was rated by "
            "more than one rater): every severity is 0."
        )
    elif model.rater_variance == 0:
        notes = _note(
            "No rater effect detected: the differences between raters are within the noise of "
            "single ratings (the estimated rater variance is 0), so every severity is 0. "
            "perfkit.analytics.rater_effects tests each rater against the others who rated the "
            "same people."
        )
    chosen = sorted(model.raters, key=lambda r: (-abs(r.severity), r.rater_id))
    chosen = chosen[:MAX_RATERS_SHOWN]
    shown = sorted(chosen, key=lambda r: (r.severity, r.rater_id))
    if not shown:
        return _section("rater-effects", "Rater effects", intro + notes)
    width, row_h, top, label_w = 720.0, 18.0, 30.0, 200.0
    height = top + row_h * len(shown) + 30
    centre = label_w + (width - label_w - 20) / 2
    half = (width - label_w - 20) / 2
    reach = max(abs(r.severity) + r.se for r in shown)
    reach = reach * 1.1 if reach > 0 else 1.0

    def x(value: float) -> float:
        return centre + half * value / reach

    body = [
        _text(centre - 8, 18, "\u2190 harsh", "small end"),
        _text(centre + 8, 18, "lenient \u2192", "small"),
        _line(centre, top - 6, centre, top + row_h * len(shown), "axis"),
    ]
    for i, r in enumerate(shown):
        y = top + i * row_h + row_h / 2
        body.append(
            _text(
                label_w - 8,
                y + 4,
                _short(_labelled(names.person(r.rater_id), r.rater_id), 30),
                "end",
            )
        )
        body.append(_line(x(r.severity - r.se), y, x(r.severity + r.se), y, "se"))
        body.append(
            f'<circle cx="{_f(x(r.severity))}" cy="{_f(y)}" r="4.5" '
            f'class="{_severity_class(r)}"><title>{_e(r.explain())}</title></circle>'
        )
    base = top + row_h * len(shown) + 16
    for value in (-reach / 1.1, 0.0, reach / 1.1):
        body.append(_text(x(value), base, f"{value:+.2g}" if value else "0", "small mid"))
    desc = "; ".join(f"{r.rater_id}: {r.severity:+.3g} \u00b1 {r.se:.2g}" for r in shown)
    svg = _svg("raters", width, height, "Rater severity with standard errors", desc, body)
    more = len(model.raters) - len(shown)
    caption = f"{len(shown)} raters" + (
        f" with the largest effects ({more} more not shown)" if more else ""
    )
    caption += "; dots: severity, lines: \u00b1 one standard error."
    figure = f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"
    return _section("rater-effects", "Rater effects", intro + notes + figure)


# --- adjustments and people ----------------------------------------------------------------


def _adjustments(result: CycleResult, names: Names) -> str:
    found = result.calibration.adjustments
    intro = (
        "<p>Every change calibration made to a rating, in the order made: who, when and why.</p>"
    )
    if not found:
        return _section("adjustments", "Calibration adjustments", intro + _note("None."))
    table = _table(
        "Calibration adjustments",
        [
            ("#", "num"),
            ("Employee", ""),
            ("From", "num"),
            ("To", "num"),
            ("By", ""),
            ("At", ""),
            ("Reason", ""),
        ],
        (
            [
                _cell(str(n), str(n)),
                _cell(_labelled(names.person(a.employee_id), a.employee_id)),
                _cell(number(a.from_value), number(a.from_value)),
                _cell(number(a.to_value), number(a.to_value)),
                _cell(_labelled(names.person(a.by), a.by)),
                _cell(a.at.isoformat()),
                _cell(a.reason),
            ]
            for n, a in enumerate(found, start=1)
        ),
    )
    return _section("adjustments", "Calibration adjustments", intro + table)


def _rating(value: float, names: Names) -> str:
    label = names.label(value)
    return f"{number(value)} {label}" if label else number(value)


def _employee_row(e: EmployeeResult, names: Names, with_names: bool) -> list[Cell]:
    delta = e.rating_after.value - e.rating_before.value
    if not e.adjustments:
        moved = ""
    elif delta > 0:
        moved = "\u2191 up"
    elif delta < 0:
        moved = "\u2193 down"
    else:
        moved = "= back"
    cells = [_cell(e.employee_id)]
    if with_names:
        cells.append(_cell(names.person(e.employee_id)))
    merit = e.merit.final_increase if e.merit else None
    bonus = e.bonus.amount if e.bonus else None
    eligible = "" if e.eligibility is None else ("yes" if e.eligibility.eligible else "no")
    cells += [
        _cell(_labelled(names.unit(e.unit_id), e.unit_id)),
        _cell(f"{e.score.value:.2f}", number(e.score.value)),
        _cell(_rating(e.rating_before.value, names), number(e.rating_before.value)),
        _cell(_rating(e.rating_after.value, names), number(e.rating_after.value)),
        _cell(moved, number(delta) if e.adjustments else ""),
        _cell(
            "" if e.nine_box is None else f"{e.nine_box.number} {e.nine_box.name}",
            "" if e.nine_box is None else str(e.nine_box.number),
        ),
        _cell(eligible),
        _cell(
            "" if merit is None else _money(merit), "" if merit is None else decimal(merit.amount)
        ),
        _cell(
            "" if bonus is None else _money(bonus), "" if bonus is None else decimal(bonus.amount)
        ),
        _cell(", ".join(e.plan_ids)),
        _cell(e.explain()),
    ]
    return cells


def _employees(result: CycleResult, names: Names) -> str:
    with_names = names.data is not None
    columns = [("Employee", "")]
    if with_names:
        columns.append(("Name", ""))
    columns += [
        ("Unit", ""),
        ("Score", "num"),
        ("Before", "num wrap"),
        ("After", "num wrap"),
        ("Calibrated", "num wrap"),
        ("9-box", "num wrap"),
        ("Eligible", ""),
        ("Merit", "num"),
        ("Bonus", "num"),
        ("Plans", ""),
    ]
    people = sorted(result.employees, key=lambda e: e.employee_id)
    intro = (
        "<p>Every person rated, with the explanation of each number. Click a column header to "
        "sort.</p>"
    )
    if not people:
        return _section("employees", "People", intro + _note("Nobody was rated."))
    table = _table(
        f"{len(people)} people",
        columns,
        (_employee_row(e, names, with_names) for e in people),
        detail="Why",
    )
    return _section("employees", "People", intro + table)


# --- the page ------------------------------------------------------------------------------

_SECTIONS = (
    ("summary", "Summary"),
    ("distribution", "Rating distribution"),
    ("guideline", "Units against the guideline"),
    ("nine-box", "9-box"),
    ("merit", "Merit budget"),
    ("rater-effects", "Rater effects"),
    ("adjustments", "Calibration adjustments"),
    ("employees", "People"),
)


def _title(title: object, result: CycleResult, data: CycleData | None) -> str:
    if title is None:
        cycle = data.cycle.name if data is not None else f"Cycle {result.cycle_id}"
        return f"{cycle}: results"
    if not isinstance(title, str) or not title.strip():
        raise ValidationError("title", title, "is not a non-empty string")
    return title


def result_html(
    result: CycleResult, *, data: CycleData | None = None, title: str | None = None
) -> str:
    """The cycle's results as one self-contained HTML page (see the module notes): charts of
    the rating distribution against the guideline, the 9-box, merit spend per budget pool and
    rater effects; tables of units against the guideline, calibration adjustments, pools and
    every person's outcome with its explanation.

    ``data`` (the cycle's inputs) adds names and rating labels; ``title`` defaults to
    ``"<cycle name>: results"``. The same arguments give the same bytes.
    """
    checked = check_result(result)
    names = Names(checked, data)
    heading = _title(title, checked, data)
    sections = [
        _summary(checked, names),
        _distribution(checked, names),
        _guideline(checked, names),
        _nine_box(checked.nine_box),
        _merit(checked, names),
        _raters(checked.rater_effects, names),
        _adjustments(checked, names),
        _employees(checked, names),
    ]
    content = "\n".join(s for s in sections if s)
    present = [(key, text) for key, text in _SECTIONS if f'<section id="{key}">' in content]
    nav = "".join(f'<li><a href="#{key}">{_e(text)}</a></li>' for key, text in present)
    meta = (
        f"Cycle {checked.cycle_id}, scoring policy {checked.policy}, run at "
        f"{checked.at.isoformat()}: {len(checked.employees)} people rated."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="perfkit">\n'
        f"<title>{_e(heading)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<header><h1>{_e(heading)}</h1><p class="meta">{_e(meta)}</p>'
        f'<nav aria-label="Sections"><ul>{nav}</ul></nav></header>\n'
        f"<main>\n{content}\n</main>\n"
        f"<footer><p>Made by perfkit {_e(__version__)}. This page is one file: it loads "
        "nothing from the network.</p></footer>\n"
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )
