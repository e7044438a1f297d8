"""Charts of a cycle for notebooks and reports, drawn with matplotlib.

The optional extra ``perfkit[plot]`` (matplotlib; pandas is not needed). Each function draws one
chart of plain perfkit objects — a :class:`~perfkit.run.CycleResult`, a
:class:`~perfkit.dataset.CycleData` — on the matplotlib ``Axes`` given as ``ax=`` (or on a new
figure of its own) and returns the Axes:

* :func:`rating_distribution` — the rating distribution before and after calibration, against
  the guideline's target ranges (the calibration meeting's first slide);
* :func:`nine_box` — how many people sit in each box of the 9-box grid;
* :func:`merit_spend` — merit spend per budget pool against the budget;
* :func:`rater_effects` — each rater's leniency or severity with its 95 % interval;
* :func:`goal_tree` — the progress of a goal cascade, one bar per goal, indented by depth.

The functions use matplotlib's object API only: they never call ``pyplot``, never show a figure
and never change global settings, so they are safe in a server and in tests. Without ``ax`` the
chart gets a new :class:`~matplotlib.figure.Figure` (``ax.figure``; save it with
``ax.figure.savefig(...)``). In a notebook, pass ``ax`` from ``plt.subplots()`` to see it inline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from ._errors import NotFoundError, ValidationError
from .calibration import Distribution, DistributionGuideline
from .dataset import CycleData
from .goals import Goal, OwnerKind
from .ninebox import CELL_NAMES, NineBoxGrid
from .normalisation import RaterSeverity, SeverityModel
from .rewards import MeritAllocation
from .run import CycleResult

try:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
except ImportError as _missing:  # pragma: no cover - tested with the import blocked
    raise ImportError(
        "perfkit.plot needs matplotlib, which is not installed: pip install 'perfkit[plot]'"
    ) from _missing

__all__ = [
    "Z_95",
    "goal_tree",
    "merit_spend",
    "nine_box",
    "rater_effects",
    "rating_distribution",
]

Z_95 = 1.959963984540054
"""The two-sided 95 % normal quantile: rater-effect intervals are severity ± Z_95 × SE."""

_BEFORE = "#9bb7d4"
_AFTER = "#1f4e79"
_GUIDE = "#c0504d"
_LEVELS = ("low", "moderate", "high")


# --- argument checks ------------------------------------------------------------------------


def _axes(ax: object, size: tuple[float, float]) -> Axes:
    """The Axes to draw on: ``ax``, or a new figure's (matplotlib's object API, no pyplot)."""
    if ax is None:
        return Figure(figsize=size, layout="constrained").add_subplot()
    if not isinstance(ax, Axes):
        raise ValidationError("ax", ax, "is not a matplotlib Axes")
    return ax


def _result(value: object) -> CycleResult:
    if not isinstance(value, CycleResult):
        raise ValidationError("result", value, "is not a CycleResult (from perfkit.run.run_cycle)")
    return value


def _flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(name, value, "is not true or false")
    return value


def _count_at_least(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, value, "is not an integer")
    if value < low:
        raise ValidationError(name, value, f"is below {low}")
    return value


def _g(x: float) -> str:
    return f"{x:g}"


# --- the rating distribution ----------------------------------------------------------------


def _population(result: CycleResult, unit: object) -> tuple[Distribution, Distribution, str]:
    report = result.distribution
    if unit is None:
        return report.before, report.after, "all rated people"
    if not isinstance(unit, str):
        raise ValidationError("unit", unit, "is not a string id")
    for u in report.units:
        if u.unit_id == unit:
            return u.before, u.after, f"unit {unit}"
    raise NotFoundError("rated unit", unit)


def _values(
    before: Distribution, after: Distribution, guideline: DistributionGuideline | None
) -> list[float]:
    values = {c.value for c in before.values} | {c.value for c in after.values}
    if guideline is not None:
        values |= {t.value for t in guideline.targets}
    return sorted(values)


def rating_distribution(
    result: CycleResult, *, unit: str | None = None, share: bool = False, ax: Axes | None = None
) -> Axes:
    """The rating distribution before and after calibration against the guideline.

    Two bars per rating value — ``before calibration`` (light) and ``after calibration``
    (dark) — with the number of people (or their share of the population with ``share=True``),
    and the guideline's target range as a vertical band with a tick at its midpoint (in people:
    the range's shares times the population). ``unit`` draws one org unit's distribution.
    """
    res = _result(result)
    as_share = _flag("share", share)
    before, after, who = _population(res, unit)
    axes = _axes(ax, (7.0, 4.0))
    guideline = res.guideline
    # Every unit shows the same values as the whole population, so charts compare side by side.
    values = _values(res.distribution.before, res.distribution.after, guideline)
    xs = list(range(len(values)))
    size = after.size

    def height(d: Distribution, value: float) -> float:
        n = d.count(value)
        if not as_share:
            return float(n)
        return n / d.size if d.size else 0.0

    width = 0.38
    axes.bar(
        [x - width / 2 for x in xs],
        [height(before, v) for v in values],
        width,
        label="before calibration",
        color=_BEFORE,
    )
    axes.bar(
        [x + width / 2 for x in xs],
        [height(after, v) for v in values],
        width,
        label="after calibration",
        color=_AFTER,
    )
    if guideline is not None:
        scale = 1.0 if as_share else float(size)
        ranges = []
        for x, value in zip(xs, values, strict=True):
            target = guideline.target(value)
            low, high = (0.0, 0.0) if target is None else (target.minimum, target.maximum)
            ranges.append((x, low * scale, high * scale))
        axes.vlines(
            [r[0] for r in ranges],
            [r[1] for r in ranges],
            [r[2] for r in ranges],
            colors=_GUIDE,
            linewidth=6,
            alpha=0.45,
            label="guideline range",
        )
        axes.plot(
            [r[0] for r in ranges],
            [(r[1] + r[2]) / 2 for r in ranges],
            linestyle="none",
            marker="_",
            markersize=16,
            markeredgewidth=2,
            color=_GUIDE,
            label="guideline midpoint",
        )
    axes.set_xticks(xs, [_g(v) for v in values])
    axes.set_xlabel("rating")
    axes.set_ylabel("share of people" if as_share else "people")
    axes.set_title(f"Ratings of {who} ({size}): before and after calibration")
    axes.legend(loc="upper right", fontsize="small")
    return axes


# --- the 9-box ------------------------------------------------------------------------------


def _grid(value: object) -> NineBoxGrid:
    if isinstance(value, NineBoxGrid):
        return value
    res = _result(value)
    if res.nine_box is None:
        raise ValidationError("result.nine_box", None, "is missing: the policy has no 9-box")
    return res.nine_box


def nine_box(result: CycleResult | NineBoxGrid, *, ax: Axes | None = None) -> Axes:
    """The 9-box grid: performance (columns, low to high) against potential (rows, low at the
    bottom), each box shaded by its head count and labelled with its number, name and count."""
    grid = _grid(result)
    axes = _axes(ax, (6.0, 5.0))
    counts = [[0] * 3 for _ in range(3)]
    for box in grid.boxes:
        row, column = divmod(box.cell.number - 1, 3)
        counts[row][column] = box.count
    top = max(max(r) for r in counts) or 1
    axes.imshow(counts, origin="lower", cmap="Blues", vmin=0, vmax=top * 1.25)
    for row in range(3):
        for column in range(3):
            number = 3 * row + column + 1
            n = counts[row][column]
            axes.text(
                column,
                row,
                f"{number} {CELL_NAMES[number]}\n{n}",
                ha="center",
                va="center",
                fontsize="small",
                color="white" if n > top * 0.6 else "black",
            )
    axes.set_xticks(range(3), _LEVELS)
    axes.set_yticks(range(3), _LEVELS)
    axes.set_xlabel("performance")
    axes.set_ylabel("potential")
    total = sum(sum(r) for r in counts)
    axes.set_title(f"9-box ({total} people)")
    return axes


# --- merit spend ----------------------------------------------------------------------------


def _allocation(value: object) -> MeritAllocation:
    if isinstance(value, MeritAllocation):
        allocation: MeritAllocation | None = value
    else:
        allocation = _result(value).merit
    if allocation is None or not allocation.pools:
        raise ValidationError("result.merit", None, "has no budget pools to draw")
    return allocation


def merit_spend(result: CycleResult | MeritAllocation, *, ax: Axes | None = None) -> Axes:
    """Merit spend per budget pool against its budget, in the pools' base currency: the budget
    (light bar), what was spent (dark bar) and what the merit matrix asked for (``demand``, a
    marker; above the budget, the pool scaled everyone's increase down)."""
    allocation = _allocation(result)
    pools = sorted(allocation.pools, key=lambda p: p.unit_id)
    axes = _axes(ax, (7.0, 4.0))
    xs = list(range(len(pools)))
    width = 0.38

    def f(x: Decimal) -> float:
        return float(x)

    axes.bar(
        [x - width / 2 for x in xs],
        [f(p.amount.amount) for p in pools],
        width,
        label="budget",
        color=_BEFORE,
    )
    axes.bar(
        [x + width / 2 for x in xs],
        [f(p.spend.amount) for p in pools],
        width,
        label="spent",
        color=_AFTER,
    )
    axes.plot(
        [x + width / 2 for x in xs],
        [f(p.demand.amount) for p in pools],
        linestyle="none",
        marker="D",
        color=_GUIDE,
        label="demand (matrix)",
    )
    axes.set_xticks(xs, [p.unit_id for p in pools])
    axes.set_xlabel("budget pool (org unit)")
    axes.set_ylabel(pools[0].amount.currency)
    axes.set_title("Merit spend per pool against budget")
    axes.legend(loc="upper right", fontsize="small")
    return axes


# --- rater effects --------------------------------------------------------------------------


def _model(value: object) -> SeverityModel:
    if isinstance(value, SeverityModel):
        model: SeverityModel | None = value
    else:
        model = _result(value).rater_effects
    if model is None or not model.raters:
        raise ValidationError("result.rater_effects", None, "has no raters to draw")
    return model


def _chosen(raters: Sequence[RaterSeverity], top: int | None) -> list[RaterSeverity]:
    """The raters to show, by severity (harshest first), then id: all, or the ``top`` ones
    furthest from neutral."""
    items = list(raters)
    if top is not None:
        items = sorted(items, key=lambda r: (-abs(r.severity), r.rater_id))[:top]
    return sorted(items, key=lambda r: (r.severity, r.rater_id))


def rater_effects(
    result: CycleResult | SeverityModel,
    *,
    top: int | None = None,
    z: float = Z_95,
    ax: Axes | None = None,
) -> Axes:
    """Each rater's severity estimate (> 0 lenient, < 0 harsh) with its interval
    ``severity ± z × SE`` (95 % by default), harshest at the bottom; ``top`` keeps the raters
    furthest from neutral. An interval that crosses 0 is no evidence of leniency or severity."""
    model = _model(result)
    if top is not None:
        _count_at_least("top", top, 1)
    if isinstance(z, bool) or not isinstance(z, int | float) or not math.isfinite(z) or z <= 0:
        raise ValidationError("z", z, "is not a positive number")
    chosen = _chosen(model.raters, top)
    axes = _axes(ax, (6.0, max(2.5, 0.28 * len(chosen) + 1.2)))
    ys = list(range(len(chosen)))
    axes.errorbar(
        [r.severity for r in chosen],
        ys,
        xerr=[z * r.se for r in chosen],
        fmt="o",
        color=_AFTER,
        ecolor=_BEFORE,
        capsize=3,
        label="severity ± interval",
    )
    axes.axvline(0.0, color=_GUIDE, linewidth=1, linestyle="--")
    axes.set_yticks(ys, [r.rater_id for r in chosen])
    axes.set_xlabel("severity (< 0 harsh, > 0 lenient)")
    axes.set_ylabel("rater")
    shown = "" if top is None else f", {len(chosen)} furthest from neutral"
    axes.set_title(f"Rater effects ({len(model.raters)} raters{shown})")
    return axes


# --- the goal tree --------------------------------------------------------------------------


def _roots(data: CycleData, root: object, unit: object) -> list[Goal]:
    goals = data.goals
    if root is not None and unit is not None:
        raise ValidationError("unit", unit, "cannot be given with root; give one or the other")
    if root is not None:
        if not isinstance(root, str):
            raise ValidationError("root", root, "is not a goal id")
        return [goals.goal(root)]
    if unit is not None:
        if not isinstance(unit, str):
            raise ValidationError("unit", unit, "is not an org unit id")
        data.organisation.unit(unit)
        owned = [
            g
            for g in sorted(goals.goals, key=lambda g: g.id)
            if g.owner.id == unit and g.owner.kind in (OwnerKind.UNIT, OwnerKind.COMPANY)
        ]
        if not owned:
            raise ValidationError("unit", unit, "owns no goals")
        return owned
    tops = [g for g in goals.roots() if goals.contributors(g.id)]
    return tops or list(goals.roots())


def _tree_rows(data: CycleData, roots: list[Goal], max_depth: int | None) -> list[tuple[int, Goal]]:
    """Depth-first, children by id: a goal that aligns to several parents is listed under each."""
    rows: list[tuple[int, Goal]] = []
    stack = [(0, g) for g in reversed(roots)]
    while stack:
        depth, goal = stack.pop()
        rows.append((depth, goal))
        if max_depth is not None and depth >= max_depth:
            continue
        stack.extend((depth + 1, c) for c in reversed(data.goals.contributors(goal.id)))
    return rows


def _label(depth: int, goal: Goal) -> str:
    text = f"{goal.id}: {goal.title}"
    if len(text) > 44:
        text = text[:43] + "…"
    return "    " * depth + text


def goal_tree(
    data: CycleData,
    *,
    on: date,
    root: str | None = None,
    unit: str | None = None,
    max_depth: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The progress of a goal cascade at the end of day ``on``: one horizontal bar per goal
    (attainment, 1.0 = on target, the dashed line), each contributor listed below its parent
    and indented by its depth.

    ``root`` starts from one goal, ``unit`` from the goals an org unit (or the company) owns;
    neither starts from every goal at the top of the cascade that has contributors (goals that
    stand alone, such as personal development goals, are left out unless nothing is
    cascaded). ``max_depth`` stops that many levels down (0: the starting goals only).
    """
    cycle_data = data if isinstance(data, CycleData) else None
    if cycle_data is None:
        raise ValidationError("data", data, "is not a CycleData")
    if max_depth is not None:
        _count_at_least("max_depth", max_depth, 0)
    rows = _tree_rows(cycle_data, _roots(cycle_data, root, unit), max_depth)
    values = [cycle_data.progress(goal.id, on).value for _, goal in rows]
    axes = _axes(ax, (8.0, max(2.5, 0.3 * len(rows) + 1.2)))
    ys = list(range(len(rows)))
    palette = (_AFTER, "#4f81bd", _BEFORE, "#c6d9f1")
    axes.barh(
        ys,
        values,
        color=[palette[min(depth, len(palette) - 1)] for depth, _ in rows],
        label="progress",
    )
    axes.axvline(1.0, color=_GUIDE, linewidth=1, linestyle="--", label="target")
    axes.set_yticks(ys, [_label(depth, goal) for depth, goal in rows])
    for tick in axes.get_yticklabels():
        tick.set_horizontalalignment("left")
        tick.set_fontfamily("monospace")
    axes.tick_params(axis="y", pad=_label_pad(rows))
    axes.invert_yaxis()
    axes.set_xlabel("progress (attainment, 1.0 = on target)")
    axes.set_title(f"Goal progress on {on.isoformat()}")
    return axes


def _label_pad(rows: list[tuple[int, Goal]]) -> float:
    """Room, in points, for the left-aligned labels: the longest one's width (a monospace
    character of the default 10-point tick labels is about 6 points wide), and a margin."""
    longest = max((len(_label(d, g)) for d, g in rows), default=0)
    return 6.2 * longest + 6.0
