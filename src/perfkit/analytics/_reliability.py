"""Inter-rater reliability: how far ratings of the same people agree across raters.

Two measures. The *intraclass correlation* (ICC, Shrout & Fleiss 1979) needs every target
rated by every rater (a calibration panel rating the same people); it comes in six forms —
who the raters are (one-way: each person has different raters; two-way random: the raters are
a sample of possible raters; two-way mixed: these raters only) and whether one rating or the
mean of ``k`` is meant. *Krippendorff's alpha* takes any pattern of missing ratings (each
person rated by whoever rated them), and data at the nominal, ordinal, interval or ratio level.
"""

from __future__ import annotations

import enum
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import attrs

from .. import _validation as v
from .._errors import NotFoundError, ValidationError
from . import _common as c
from ._special import f_quantile, f_sf

__all__ = [
    "ICC",
    "ICCForm",
    "ICCReport",
    "KrippendorffAlpha",
    "MeasurementLevel",
    "alpha_from_records",
    "icc_from_records",
    "intraclass_correlation",
    "krippendorff_alpha",
]


# --- intraclass correlation ----------------------------------------------------------------


class ICCForm(enum.StrEnum):
    """The six Shrout & Fleiss forms of the intraclass correlation."""

    ICC1 = "icc1"
    """ICC(1,1): one-way random effects, one rater — each person rated by different raters."""
    ICC2 = "icc2"
    """ICC(2,1): two-way random effects, absolute agreement, one rater (McGraw & Wong
    ICC(A,1)) — the raters are a sample of all who could rate."""
    ICC3 = "icc3"
    """ICC(3,1): two-way mixed effects, consistency, one rater (McGraw & Wong ICC(C,1)) —
    these raters only; a rater's constant leniency does not count as disagreement."""
    ICC1K = "icc1k"
    """ICC(1,k): as ICC(1,1), for the mean of k raters."""
    ICC2K = "icc2k"
    """ICC(2,k): as ICC(2,1), for the mean of k raters."""
    ICC3K = "icc3k"
    """ICC(3,k): as ICC(3,1), for the mean of k raters."""


_ICC_TEXT = {
    ICCForm.ICC1: ("1", False, "one-way random effects, one rater"),
    ICCForm.ICC2: ("2", False, "two-way random effects, absolute agreement, one rater"),
    ICCForm.ICC3: ("3", False, "two-way mixed effects, consistency, one rater"),
    ICCForm.ICC1K: ("1", True, "one-way random effects, mean of {k} raters"),
    ICCForm.ICC2K: ("2", True, "two-way random effects, absolute agreement, mean of {k} raters"),
    ICCForm.ICC3K: ("3", True, "two-way mixed effects, consistency, mean of {k} raters"),
}


def _to_icc_form(value: Any) -> Any:
    return v.as_enum(ICCForm, value)


@attrs.frozen(kw_only=True)
class ICC:
    """One form of the intraclass correlation for ``raters`` (k) raters: its ``value``, the F
    test of "no reliability" (``f`` on ``(df1, df2)`` degrees of freedom, its ``p_value``) and
    a ``confidence`` interval ``low``–``high``.

    ``value`` is ``None`` where the form is undefined for the data (its denominator is 0);
    ``f`` is ``None`` where the error mean square is 0 (the F ratio is infinite, ``p_value``
    is then 0); bounds are ``None`` where they cannot be computed.
    """

    form: ICCForm = attrs.field(converter=_to_icc_form, validator=v.enum_member(ICCForm))
    raters: int = attrs.field(validator=v.count)
    value: float | None = c.optional_float_field()
    f: float | None = c.optional_float_field(c.optional_non_negative)
    df1: int = attrs.field(validator=v.count)
    df2: int = attrs.field(validator=v.count)
    p_value: float | None = c.optional_float_field(c.optional_probability)
    confidence: float = c.float_field(c.open_unit)
    low: float | None = c.optional_float_field()
    high: float | None = c.optional_float_field()

    @property
    def label(self) -> str:
        """The Shrout & Fleiss name: ``ICC(2,1)``, ``ICC(3,4)`` for the mean of 4 raters."""
        model, average, _ = _ICC_TEXT[self.form]
        return f"ICC({model},{self.raters if average else 1})"

    @property
    def description(self) -> str:
        """What the form assumes, in words."""
        return _ICC_TEXT[self.form][2].format(k=self.raters)

    def sentence(self) -> str:
        """``ICC(2,1) = 0.29 (95% CI 0.019 to 0.76; F(5, 15) = 11, p < 0.001): two-way random
        effects, absolute agreement, one rater``."""
        if self.value is None:
            return f"{self.label} is undefined for these data: {self.description}"
        parts = []
        if self.low is not None and self.high is not None:
            parts.append(f"{c.percent(self.confidence)} CI {c.g(self.low)} to {c.g(self.high)}")
        if self.f is not None:
            parts.append(f"F({self.df1}, {self.df2}) = {c.g(self.f)}")
        if self.p_value is not None:
            parts.append(c.p_text(self.p_value))
        detail = f" ({'; '.join(parts)})" if parts else ""
        return f"{self.label} = {c.g(self.value)}{detail}: {self.description}"


@attrs.frozen(kw_only=True)
class ICCReport:
    """The intraclass correlations of ``targets`` people each rated by the same ``raters``,
    with the mean squares of the two-way analysis of variance they come from: between targets,
    within targets, between raters, and error (residual)."""

    targets: int = attrs.field(validator=v.count)
    raters: int = attrs.field(validator=v.count)
    ms_targets: float = c.float_field(c.non_negative)
    ms_within: float = c.float_field(c.non_negative)
    ms_raters: float = c.float_field(c.non_negative)
    ms_error: float = c.float_field(c.non_negative)
    confidence: float = c.float_field(c.open_unit)
    forms: tuple[ICC, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(ICC))
    )

    def form(self, form: ICCForm | str) -> ICC:
        """One form: ``report.form("icc2")`` is ICC(2,1)."""
        kind = _to_icc_form(form)
        for item in self.forms:
            if item.form == kind:
                return item
        raise NotFoundError("ICC form", str(form))

    def sentences(self) -> tuple[str, ...]:
        """One sentence per form."""
        return tuple(item.sentence() for item in self.forms)

    def explain(self) -> str:
        """The data's size and mean squares, then every form."""
        head = (
            f"{self.targets} people rated by the same {self.raters} raters; mean squares: "
            f"targets {c.g(self.ms_targets)}, within {c.g(self.ms_within)}, raters "
            f"{c.g(self.ms_raters)}, error {c.g(self.ms_error)}"
        )
        return "\n".join([head, *self.sentences()])


def _matrix(rows: object, name: str, *, missing: bool) -> list[list[float | None]]:
    """A rectangular table of finite numbers (``None`` or NaN allowed where ``missing``)."""
    if isinstance(rows, str | bytes) or not isinstance(rows, Iterable):
        raise ValidationError(name, rows, "is not a table (a sequence of rows)")
    out: list[list[float | None]] = []
    width: int | None = None
    for i, row in enumerate(rows):
        if isinstance(row, str | bytes) or not isinstance(row, Iterable):
            raise ValidationError(f"{name}[{i}]", row, "is not a row (a sequence of ratings)")
        cells: list[float | None] = []
        for j, x in enumerate(row):
            if missing and (x is None or (isinstance(x, float) and math.isnan(x))):
                cells.append(None)
            else:
                cells.append(c.number(f"{name}[{i}][{j}]", x))
        if width is None:
            width = len(cells)
        elif len(cells) != width:
            raise ValidationError(
                f"{name}[{i}]", len(cells), f"ratings in this row, {width} in {name}[0]"
            )
        out.append(cells)
    return out


def _div(num: float, den: float, scale: float = 0.0) -> float | None:
    """``num / den``, or ``None`` where ``den`` is 0 — or, with a ``scale`` (the size of the
    terms ``den`` was summed from), within rounding noise of 0."""
    if den == 0.0 or abs(den) <= 1e-12 * scale:
        return None
    out = num / den
    return out if math.isfinite(out) else None


def intraclass_correlation(
    rows: Sequence[Sequence[float]], *, confidence: float = 0.95
) -> ICCReport:
    """The six Shrout & Fleiss intraclass correlations of a complete table: one row per person
    rated (target), one column per rater, every cell rated.

    Each form comes with its F test and a ``confidence`` interval (default 95%), computed as in
    Shrout & Fleiss (1979) and McGraw & Wong (1996) — the same figures as
    ``pingouin.intraclass_corr``. A table whose ratings are all equal has no reliability to
    measure and is refused.
    """
    table = _matrix(rows, "rows", missing=False)
    conf = c.level("confidence", confidence)
    n = len(table)
    if n < 2:
        raise ValidationError("rows", n, "people rated; intraclass correlation needs 2 or more")
    k = len(table[0])
    if k < 2:
        raise ValidationError("rows[0]", k, "ratings per person; it needs 2 raters or more")
    data = [[float(x) for x in row if x is not None] for row in table]
    flat = [x for row in data for x in row]
    grand = c.mean(flat)
    row_means = [c.mean(row) for row in data]
    col_means = [c.mean([row[j] for row in data]) for j in range(k)]
    ss_rows = k * math.fsum((m - grand) ** 2 for m in row_means)
    ss_cols = n * math.fsum((m - grand) ** 2 for m in col_means)
    ss_within = math.fsum((x - row_means[i]) ** 2 for i, row in enumerate(data) for x in row)
    ss_error = math.fsum(
        (x - row_means[i] - col_means[j] + grand) ** 2
        for i, row in enumerate(data)
        for j, x in enumerate(row)
    )
    noise = (1e-12 * max(abs(x - grand) for x in flat)) ** 2
    msr = ss_rows / (n - 1)
    msw = ss_within / (n * (k - 1))
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msr, msw, msc, mse = (0.0 if ms <= noise else ms for ms in (msr, msw, msc, mse))
    if msr == 0.0 and msw == 0.0:
        raise ValidationError(
            "rows", "all ratings equal", "has no variation: reliability cannot be measured"
        )

    size = msr + msw + msc + mse + (k - 1) * (msw + mse)
    icc1 = _div(msr - msw, msr + (k - 1) * msw, size)
    icc2 = _div(msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n, size)
    icc3 = _div(msr - mse, msr + (k - 1) * mse, size)
    icc1k = _div(msr - msw, msr, size)
    icc2k = _div(msr - mse, msr + (msc - mse) / n, size)
    icc3k = _div(msr - mse, msr, size)

    df1, df_within, df_error = n - 1, n * (k - 1), (n - 1) * (k - 1)
    f1, f3 = _div(msr, msw), _div(msr, mse)
    p1 = f_sf(f1, df1, df_within) if f1 is not None else (0.0 if msw == 0.0 else None)
    p3 = f_sf(f3, df1, df_error) if f3 is not None else (0.0 if msr > 0.0 else None)

    q = 1.0 - (1.0 - conf) / 2.0
    ci1 = _ci_one_way(f1, q, df1, df_within, k)
    ci3 = _ci_one_way(f3, q, df1, df_error, k)
    ci2 = _ci_agreement(icc2, msr, msc, mse, n, k, q)

    def form(
        kind: ICCForm,
        value: float | None,
        f: float | None,
        df2: int,
        p: float | None,
        ci: tuple[float | None, float | None],
    ) -> ICC:
        return ICC(
            form=kind,
            raters=k,
            value=value,
            f=f,
            df1=df1,
            df2=df2,
            p_value=None if p is None else min(1.0, max(0.0, p)),
            confidence=conf,
            low=ci[0],
            high=ci[1],
        )

    return ICCReport(
        targets=n,
        raters=k,
        ms_targets=msr,
        ms_within=msw,
        ms_raters=msc,
        ms_error=mse,
        confidence=conf,
        forms=(
            form(ICCForm.ICC1, icc1, f1, df_within, p1, ci1[0]),
            form(ICCForm.ICC2, icc2, f3, df_error, p3, ci2[0]),
            form(ICCForm.ICC3, icc3, f3, df_error, p3, ci3[0]),
            form(ICCForm.ICC1K, icc1k, f1, df_within, p1, ci1[1]),
            form(ICCForm.ICC2K, icc2k, f3, df_error, p3, ci2[1]),
            form(ICCForm.ICC3K, icc3k, f3, df_error, p3, ci3[1]),
        ),
    )


_Bounds = tuple[float | None, float | None]


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _ci_one_way(f: float | None, q: float, df1: int, df2: int, k: int) -> tuple[_Bounds, _Bounds]:
    """Shrout & Fleiss intervals of ICC(1) / ICC(3) (single and average) from their F ratio."""
    if f is None or f <= 0.0:
        return (None, None), (None, None)
    f_low = f / f_quantile(q, df1, df2)
    f_high = f * f_quantile(q, df2, df1)
    if not (f_low > 0.0 and math.isfinite(f_high)):
        return (None, None), (None, None)
    single = (
        _finite(_div(f_low - 1.0, f_low + (k - 1))),
        _finite(_div(f_high - 1.0, f_high + (k - 1))),
    )
    average = (_finite(1.0 - 1.0 / f_low), _finite(1.0 - 1.0 / f_high))
    return single, average


def _ci_agreement(
    icc2: float | None, msr: float, msc: float, mse: float, n: int, k: int, q: float
) -> tuple[_Bounds, _Bounds]:
    """McGraw & Wong's interval of ICC(A,1) with Satterthwaite's degrees of freedom, and of
    ICC(A,k) through the Spearman–Brown formula."""
    none: tuple[_Bounds, _Bounds] = ((None, None), (None, None))
    if icc2 is None or mse == 0.0:
        return none
    fj = msc / mse
    df1, df_error = n - 1, (n - 1) * (k - 1)
    base = n * (1 + (k - 1) * icc2) - k * icc2
    vn = df_error * (k * icc2 * fj + base) ** 2
    vd = df1 * k**2 * icc2**2 * fj**2 + base**2
    nu = _div(vn, vd)
    if nu is None or nu <= 0.0:
        return none
    f_upper = f_quantile(q, df1, nu)
    f_lower = f_quantile(q, nu, df1)
    if not (math.isfinite(f_upper) and math.isfinite(f_lower)) or f_upper <= 0.0:
        return none
    mixed = k * msc + (k * n - k - n) * mse
    # divided through by f_upper: with tiny degrees of freedom it can be 1e305, and
    # f_upper · mixed would overflow
    low = _finite(_div(n * (msr / f_upper - mse), mixed + n * msr / f_upper))
    high = _finite(_div(n * (f_lower * msr - mse), mixed + n * f_lower * msr))
    return (low, high), (_spearman_brown(low, k), _spearman_brown(high, k))


def _spearman_brown(single: float | None, k: int) -> float | None:
    """The reliability of the mean of ``k`` raters from one rater's: ``k·r / (1 + (k − 1)·r)``;
    ``None`` at or below ``r = −1/(k − 1)``, where the formula breaks down (it would turn the
    interval upside down)."""
    if single is None or 1 + single * (k - 1) <= 0:
        return None
    return _finite(single * k / (1 + single * (k - 1)))


# --- Krippendorff's alpha ------------------------------------------------------------------


class MeasurementLevel(enum.StrEnum):
    """What the rating values are, which decides how far apart two values count (Krippendorff's
    difference functions)."""

    NOMINAL = "nominal"
    """Categories: two values agree or they do not."""
    ORDINAL = "ordinal"
    """Ordered points: the distance counts how many ratings lie between two values."""
    INTERVAL = "interval"
    """Numbers with equal steps: the squared difference."""
    RATIO = "ratio"
    """Numbers with a true zero: the squared difference relative to the sum."""


def _to_level(value: Any) -> Any:
    return v.as_enum(MeasurementLevel, value)


@attrs.frozen(kw_only=True)
class KrippendorffAlpha:
    """Krippendorff's alpha at one measurement ``level``: ``1 − observed / expected``
    disagreement, from the ``units`` (people, or person × criterion) rated by two or more of
    the ``raters``, holding ``pairable`` ratings. 1 is perfect agreement, 0 agreement no
    better than chance (Krippendorff suggests relying on data from 0.8, tentative conclusions
    from 0.667)."""

    level: MeasurementLevel = attrs.field(
        converter=_to_level, validator=v.enum_member(MeasurementLevel)
    )
    value: float = c.float_field()
    raters: int = attrs.field(validator=v.count)
    units: int = attrs.field(validator=v.count)
    pairable: int = attrs.field(validator=v.count)
    observed: float = c.float_field(c.non_negative)
    expected: float = c.float_field(c.non_negative)

    def sentence(self) -> str:
        """``Krippendorff's alpha (ordinal) = 0.815 over 11 units rated by 2 or more of 4
        raters (40 pairable ratings)``."""
        return (
            f"Krippendorff's alpha ({self.level.value}) = {c.g(self.value)} over {self.units} "
            f"units rated by 2 or more of {self.raters} raters ({self.pairable} pairable "
            f"ratings); observed disagreement {c.g(self.observed)} against "
            f"{c.g(self.expected)} expected by chance"
        )


def _positions(
    level: MeasurementLevel, domain: list[float], counts: list[int]
) -> list[float] | None:
    """Where each value of the domain sits when the level's squared difference is a squared
    distance: the value itself (interval) or its mid-rank among the pairable values (ordinal:
    Krippendorff's ``(Σ_{g=c..k} n_g − (n_c + n_k)/2)²`` is ``(r_k − r_c)²`` with
    ``r_i = n_1 + … + n_i − n_i/2``). ``None`` for the nominal and ratio levels."""
    if level is MeasurementLevel.INTERVAL:
        return list(domain)
    if level is MeasurementLevel.ORDINAL:
        out, total = [], 0
        for n in counts:
            total += n
            out.append(total - n / 2)
        return out
    return None


def _alpha(units: list[list[float]], raters: int, kind: MeasurementLevel) -> KrippendorffAlpha:
    """Krippendorff's alpha of units given as their lists of values (missing ones left out)."""
    pairable = [unit for unit in units if len(unit) >= 2]
    if not pairable:
        raise ValidationError(
            "data", "no unit rated twice", "has no unit rated by two or more raters"
        )
    domain = sorted({x for unit in pairable for x in unit})
    if len(domain) < 2:
        raise ValidationError(
            "data",
            domain[0],
            "is the only value given: agreement cannot be told apart from chance",
        )
    index = {x: i for i, x in enumerate(domain)}
    # Coincidences, exactly: o[c][k] = Σ over units of (n_uc·n_uk − [c = k]·n_uc) / (m_u − 1),
    # summed in whole numbers per unit size m_u first. Only c ≠ k matters (δ(c, c) = 0).
    by_size: dict[int, Counter[tuple[int, int]]] = {}
    counts = [0] * len(domain)
    for unit in pairable:
        tally = Counter(index[x] for x in unit)
        acc = by_size.setdefault(len(unit), Counter())
        for a, na in tally.items():
            counts[a] += na
            for b, nb in tally.items():
                if a != b:
                    acc[(a, b)] += na * nb
    coincidence: dict[tuple[int, int], Fraction] = {}
    for m in sorted(by_size):
        for key, total in by_size[m].items():
            coincidence[key] = coincidence.get(key, Fraction(0)) + Fraction(total, m - 1)
    n = sum(counts)
    positions = _positions(kind, domain, counts)
    if kind is MeasurementLevel.NOMINAL:
        observed_sum = float(sum(coincidence.values(), Fraction(0)))
        # Σ over c ≠ k of n_c·n_k = n² − Σ n_c²
        expected_sum = float(n * n - sum(x * x for x in counts))
    elif positions is not None:
        observed_sum = math.fsum(
            float(o) * (positions[a] - positions[b]) ** 2
            for (a, b), o in sorted(coincidence.items())
        )
        # Σ_c Σ_k n_c·n_k·(p_c − p_k)² = 2n · Σ_c n_c·(p_c − mean p)²
        centre = math.fsum(nc * p for nc, p in zip(counts, positions, strict=True)) / n
        expected_sum = (
            2
            * n
            * math.fsum(nc * (p - centre) ** 2 for nc, p in zip(counts, positions, strict=True))
        )
    else:  # ratio: ((c − k)/(c + k))², summed pair by pair

        def delta(a: int, b: int) -> float:
            total = domain[a] + domain[b]
            return 0.0 if total == 0 else ((domain[a] - domain[b]) / total) ** 2

        observed_sum = math.fsum(
            float(o) * delta(a, b) for (a, b), o in sorted(coincidence.items())
        )
        expected_sum = math.fsum(
            counts[a] * counts[b] * delta(a, b)
            for a in range(len(domain))
            for b in range(len(domain))
            if a != b
        )
    if expected_sum <= 0.0:  # pragma: no cover - two distinct values always differ somewhere
        raise ValidationError("data", domain, "shows no expected disagreement")
    observed = observed_sum / n
    expected = expected_sum / (n * (n - 1))
    return KrippendorffAlpha(
        level=kind,
        value=1.0 - observed / expected,
        raters=raters,
        units=len(pairable),
        pairable=n,
        observed=observed,
        expected=expected,
    )


def _level(level: object) -> MeasurementLevel:
    kind = _to_level(level)
    if not isinstance(kind, MeasurementLevel):
        options = ", ".join(repr(m.value) for m in MeasurementLevel)
        raise ValidationError("level", level, f"is not one of {options}")
    return kind


def krippendorff_alpha(
    data: Sequence[Sequence[float | None]],
    *,
    level: MeasurementLevel | str = MeasurementLevel.INTERVAL,
) -> KrippendorffAlpha:
    """Krippendorff's alpha of reliability data: one row per rater, one column per unit (a
    person, or a person × criterion), ``None`` (or NaN) where the rater did not rate the unit —
    the layout of ``krippendorff.alpha(reliability_data=...)``, with the same result.

    ``level`` is ``"nominal"``, ``"ordinal"``, ``"interval"`` (default) or ``"ratio"``. Only
    units rated by two or more raters count. Data with no such unit, or with a single value
    among them (agreement cannot be told apart from chance), are refused. The time taken grows
    with the number of ratings (and, at the ratio level, with the square of the number of
    distinct values).
    """
    kind = _level(level)
    table = _matrix(data, "data", missing=True)
    if not table:
        raise ValidationError("data", [], "is empty; it needs a row per rater")
    width = len(table[0])
    units = [[x for row in table if (x := row[u]) is not None] for u in range(width)]
    return _alpha(units, len(table), kind)


# --- from records --------------------------------------------------------------------------


def _units(
    records: Iterable[tuple[str, str, str, float]],
) -> tuple[list[str], dict[tuple[str, str], dict[str, float]]]:
    """The raters (sorted) and, per unit (ratee, criterion), each rater's value."""
    items = c.records(records)
    units: dict[tuple[str, str], dict[str, float]] = {}
    for rater, ratee, criterion, value in items:
        units.setdefault((ratee, criterion), {})[rater] = value
    return sorted({r[0] for r in items}), units


def alpha_from_records(
    records: Iterable[tuple[str, str, str, float]],
    *,
    level: MeasurementLevel | str = MeasurementLevel.INTERVAL,
) -> KrippendorffAlpha:
    """Krippendorff's alpha of plain records ``(rater, ratee, criterion, value)``: each person
    × criterion is a unit, each rater a coder, and whoever did not rate a unit is missing from
    it — the usual shape of review data (feed reviews through
    :func:`~perfkit.analytics.review_records`). Works on the records as given, so a company of
    thousands of raters costs what its ratings cost."""
    kind = _level(level)
    raters, units = _units(records)
    try:
        return _alpha([list(units[key].values()) for key in sorted(units)], len(raters), kind)
    except ValidationError as err:
        raise ValidationError("records", err.value, err.reason) from None


def icc_from_records(
    records: Iterable[tuple[str, str, str, float]], *, confidence: float = 0.95
) -> ICCReport:
    """The intraclass correlations of plain records ``(rater, ratee, criterion, value)`` — a
    calibration panel's ratings, say: the units (person × criterion) that every rater rated
    are the rows, the raters (sorted) the columns; units not rated by everyone are left out.
    Refused unless 2 units or more are complete."""
    raters, units = _units(records)
    complete = [key for key in sorted(units) if len(units[key]) == len(raters)]
    if len(complete) < 2:
        raise ValidationError(
            "records",
            len(complete),
            f"units (person × criterion) are rated by all {len(raters)} raters; an ICC needs 2 "
            "or more (Krippendorff's alpha, alpha_from_records, takes incomplete data)",
        )
    rows = [[units[key][r] for r in raters] for key in complete]
    return intraclass_correlation(rows, confidence=confidence)
