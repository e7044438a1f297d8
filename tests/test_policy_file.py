"""The cycle policy file (perfkit.io._policy): TOML in, CyclePolicy out, and back.

The example files must be the sample policy (at 70/30 and 50/50 with forcing) and run with the
sample data; every policy the strategies build must survive ``dump_policy`` → ``load_policy``;
every error names its key path (or file:line:column); and no document, however broken, gets
anything but a perfkit error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfkit._errors import DocumentError, NotFoundError, ValidationError
from perfkit.calibration import slot_counts
from perfkit.dataset import CycleData
from perfkit.development import DevelopmentRules
from perfkit.io import load_dataset
from perfkit.io._policy import dump_policy, load_policy, policy_from_mapping, policy_to_mapping
from perfkit.money import Money
from perfkit.policies import KpiCurve, KpiCurvePolicy, OkrPolicy
from perfkit.rewards import BonusPlan, BudgetPool, LevelTarget, RateTable, RatingMultiplier
from perfkit.run import CalibrationMode, CyclePolicy, run_cycle
from perfkit.sample import sample_policy
from perfkit.scales import BUILTIN_SCALES, FIVE_POINT, OKR, ScaleCatalog, ScaleRef
from perfkit.scoring import (
    FIVE_POINT_CUTOFFS,
    Component,
    ConfigReader,
    EmployeeInputs,
    RatingCutoffs,
    Score,
    make_policy,
    policy_names,
    register_policy,
)

from .strategies.calibration import cutoffs as nine_box_cutoffs
from .strategies.calibration import guidelines
from .strategies.common import ids
from .strategies.rewards import (
    amounts,
    bonus_plans,
    development_rules,
    eligibility_rules,
    merit_matrices,
    rate_tables,
    recognition_rules,
)
from .strategies.scoring import kpi_curves, okr_policies, weighted_components_policies
from .test_plugins import PROJECT, _dist_info

ROOT = Path(__file__).resolve().parent.parent
CURRENT = ROOT / "examples" / "policy.toml"
PROPOSED = ROOT / "examples" / "policy-proposed.toml"
PAGE = ROOT / "docs" / "policy-file.md"
AT = datetime(2026, 12, 20, 18, tzinfo=UTC)
FIVE = FIVE_POINT.ref


def weighted(goals: float, competencies: float) -> Any:
    return make_policy(
        "weighted_components",
        {
            "weights": {"goals": goals, "competencies": competencies},
            "roles": {"manager": 60, "peer": 30, "self": 10},
        },
    )


def problems(run: Any) -> list[str]:
    """The problems a load reports, one string each."""
    with pytest.raises(DocumentError) as info:
        run()
    return [str(e) for e in info.value.errors]


def outcome(run: Any) -> tuple[ValidationError, ...] | None:
    """The problems of a load that failed with a DocumentError, ``None`` for one that worked
    (any other exception escapes and fails the test)."""
    try:
        run()
    except DocumentError as err:
        return err.errors
    return None


def only(run: Any) -> str:
    found = problems(run)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(scope="module")
def data() -> CycleData:
    return load_dataset(ROOT / "examples" / "data" / "acme").data


@pytest.fixture(scope="module")
def text() -> str:
    return CURRENT.read_text(encoding="utf-8")


# --- the example files -------------------------------------------------------------------------


def test_the_current_policy_is_the_sample_policy_at_70_30(data: CycleData) -> None:
    policy = load_policy(CURRENT, scales=data.scales)
    want = attrs.evolve(sample_policy(data), scoring=weighted(70, 30), cutoffs=FIVE_POINT_CUTOFFS)
    assert policy == want
    assert load_policy(str(CURRENT)) == want


def test_the_proposed_policy_changes_weights_and_forces(data: CycleData) -> None:
    current = load_policy(CURRENT, scales=data.scales)
    proposed = load_policy(PROPOSED, scales=data.scales)
    assert proposed == attrs.evolve(
        current, scoring=weighted(50, 50), calibration=CalibrationMode.FORCE
    )


def test_the_examples_run_with_the_example_data(data: CycleData) -> None:
    current = run_cycle(data, load_policy(CURRENT), at=AT)
    proposed = run_cycle(data, load_policy(PROPOSED), at=AT)
    assert len(current.employees) == len(proposed.employees) == 47
    assert current.policy == proposed.policy == "weighted_components"
    # Advice moves nobody; the proposal forces the midpoints 10/20/40/20/10 %.
    assert current.distribution.before == current.distribution.after
    shares = {1.0: 0.1, 2.0: 0.2, 3.0: 0.4, 4.0: 0.2, 5.0: 0.1}
    expected = {s.value: s.count for s in slot_counts(47, shares)}
    assert {v.value: v.count for v in proposed.distribution.after.values} == expected
    # 47 x 10/20/40/20/10 % = 4.7/9.4/18.8/9.4/4.7: floors 44, the 3 largest remainders (.8, .7, .7)
    assert expected == {1.0: 5, 2.0: 9, 3.0: 19, 4.0: 9, 5.0: 5}
    # 70/30 and 50/50 weigh the same goal and competency evidence differently.
    assert any(
        c.score.value != p.score.value
        for c, p in zip(current.employees, proposed.employees, strict=True)
    )
    assert current.merit is not None
    for pool in current.merit.pools:
        assert pool.spend <= pool.amount


def test_the_docs_page_shows_the_example_file(text: str) -> None:
    page = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```toml\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    assert text in blocks


def test_the_example_written_back_reads_the_same(data: CycleData) -> None:
    policy = load_policy(CURRENT, scales=data.scales)
    written = dump_policy(policy)
    assert load_policy(written, scales=data.scales) == policy
    assert dump_policy(load_policy(written)) == written


# --- writing and reading back --------------------------------------------------------------------


@st.composite
def kpi_policies(draw: st.DrawFn) -> KpiCurvePolicy:
    goals = draw(st.dictionaries(ids, kpi_curves(), max_size=2))
    units = draw(st.dictionaries(st.text(max_size=4), kpi_curves(), max_size=2))
    return KpiCurvePolicy(default=draw(kpi_curves()), goals=goals, units=units)


scoring_policies = st.one_of(weighted_components_policies(), okr_policies, kpi_policies())


@st.composite
def rating_cutoffs(draw: st.DrawFn, score_scale: ScaleRef | None) -> RatingCutoffs:
    values = sorted(draw(st.sets(st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0]), min_size=1)))
    starts = draw(
        st.lists(
            st.floats(-1e6, 1e6, allow_nan=False),
            min_size=len(values),
            max_size=len(values),
            unique=True,
        )
    )
    return RatingCutoffs(
        scale=FIVE, cutoffs=list(zip(sorted(starts), values, strict=True)), score_scale=score_scale
    )


@st.composite
def cycle_policies(draw: st.DrawFn) -> CyclePolicy:
    """Any policy a file can hold: every part on the five-point scale, pools in the rates' base
    currency, cut-offs that read the scoring policy's scores."""
    scoring = draw(scoring_policies)
    if scoring.scale != FIVE:
        cutoffs: RatingCutoffs | None = draw(rating_cutoffs(scoring.scale))
    else:
        cutoffs = draw(st.none() | rating_cutoffs(draw(st.sampled_from([None, FIVE]))))
    guideline = draw(st.none() | guidelines())
    merit = draw(st.none() | st.booleans().flatmap(lambda m: merit_matrices(monotone=m)))
    rates = draw(st.none() | rate_tables())
    pools: list[BudgetPool] = []
    if merit is not None and rates is not None:
        money = st.builds(Money, amount=amounts, currency=st.just(rates.base))
        pools = draw(st.lists(st.builds(BudgetPool, unit_id=ids, amount=money), max_size=3))
    return CyclePolicy(
        scoring=scoring,
        rating_scale=FIVE,
        cutoffs=cutoffs,
        guideline=guideline,
        calibration=draw(st.sampled_from(CalibrationMode)) if guideline else "advise",
        nine_box=draw(st.none() | nine_box_cutoffs),
        potential_attribute=draw(ids),
        merit=merit,
        eligibility=draw(st.none() | eligibility_rules),
        pools=pools,
        rates=rates,
        bonus=draw(st.none() | bonus_plans()),
        recognition=draw(st.lists(recognition_rules(), max_size=2)),
        development=draw(st.none() | development_rules()),
    )


@given(policy=cycle_policies())
def test_a_written_policy_reads_back_equal(policy: CyclePolicy) -> None:
    written = dump_policy(policy)
    assert load_policy(written) == policy
    assert load_policy(written, scales=BUILTIN_SCALES) == policy
    assert load_policy(written.encode()) == policy
    assert dump_policy(load_policy(written)) == written
    assert policy_from_mapping(policy_to_mapping(policy)) == policy
    assert tomllib.loads(written) == policy_to_mapping(policy)


def test_a_written_file_reads_from_disk(tmp_path: Path, data: CycleData) -> None:
    policy = sample_policy(data, calibration="force")
    path = tmp_path / "policy.toml"
    path.write_text(dump_policy(policy), encoding="utf-8")
    assert load_policy(path, scales=data.scales) == policy
    assert load_policy(str(path)) == policy
    assert load_policy(path.read_bytes()) == policy


def test_thresholds_turned_off_are_written_false() -> None:
    rules = DevelopmentRules(scale=OKR.ref, improvement_at_or_below=None, growth_min_rating=None)
    policy = CyclePolicy(scoring=OkrPolicy(), rating_scale=OKR.ref, development=rules)
    written = dump_policy(policy)
    assert "improvement_at_or_below = false" in written
    assert "growth_min_rating = false" in written
    assert 'scale = "okr"' not in written.split("[development]")[1]
    assert load_policy(written) == policy


def test_other_scale_versions_are_tables() -> None:
    v2 = ScaleRef(id="okr", version=2)
    cutoffs = RatingCutoffs(scale=v2, score_scale=OKR.ref, cutoffs=[(0.0, 0.0), (0.7, 1.0)])
    policy = CyclePolicy(scoring=OkrPolicy(), rating_scale=v2, cutoffs=cutoffs)
    written = dump_policy(policy)
    assert 'rating_scale = { id = "okr", version = 2 }' in written
    assert 'score_scale = "okr"' in written
    assert load_policy(written) == policy


def test_names_that_are_not_bare_keys_are_quoted() -> None:
    curve = KpiCurve(threshold=0.8, target=1.0, stretch=1.2)
    scoring = KpiCurvePolicy(units={"a\n": curve, "": curve, "3.5": curve, "é x": curve})
    cutoffs = RatingCutoffs(
        scale=FIVE, score_scale=scoring.scale, cutoffs=[(0.0, 1.0), (1.0, 3.0), (1.2, 5.0)]
    )
    bonus = BonusPlan(
        scale=FIVE,
        targets=[
            LevelTarget(job_level='L"1\\', pct=Decimal(5)),
            LevelTarget(job_level="L\n", pct=1),
        ],
        multipliers=[RatingMultiplier(rating=r, multiplier=1) for r in (1.0, 2.5, 1e-05)],
    )
    policy = CyclePolicy(scoring=scoring, rating_scale=FIVE, cutoffs=cutoffs, bonus=bonus)
    written = dump_policy(policy)
    assert '[scoring.units."a\\n"]' in written
    assert '"2.5" = "1"' in written  # a bare 2.5 would be the dotted key 2 -> 5
    assert '1e-05 = "1"' in written
    assert load_policy(written) == policy


# --- the forms values may take -----------------------------------------------------------------

BASE = """
rating_scale = "five-point"
[scoring]
name = "okr"
[cutoffs]
score_scale = "okr"
points = [[0.0, 1], [0.3, 2], [0.6, 3], [0.8, 4], [0.95, 5]]
"""

MERIT_ROWS = """
[merit]
compa_bands = [{ label = "low", upper = "0.9" }, { label = "high" }]
[merit.rows]
"5" = [7, 6]
"1" = [0, 0]
2 = ["1.5", 1]
3 = [4, 3.0]
4 = [5.5, 4.5]
"""


def test_money_and_decimals_take_several_forms() -> None:
    forms = [
        'award = "250 EUR"',
        'award = "250.00 EUR"',
        'award = { amount = "250", currency = "EUR" }',
        'award = { amount = 250.0, currency = "EUR" }',
    ]
    rules = {
        load_policy(f"{BASE}[[recognition]]\nid = 's'\nmin_praise = 1\nwindow_days = 7\n{f}\n")
        .recognition[0]
        .award
        for f in forms
    }
    assert rules == {Money.of("250.00", "EUR")}
    # A TOML float is read as the decimal it prints as: 4.1 is exactly 4.1, never 4.0999...
    policy = load_policy(f"{BASE}[rates]\nbase = 'EUR'\nGBP = 1.1\nUSD = '0.93'\nCHF = 1\n")
    assert policy.rates is not None
    assert [r.rate for r in policy.rates.rates] == [Decimal("1.1"), Decimal("0.93"), Decimal(1)]
    doc = tomllib.loads(BASE) | {"rates": {"base": "EUR", "GBP": Decimal("1.1")}}
    assert policy_from_mapping(doc).rates == RateTable.of("EUR", {"GBP": "1.1"})


def test_rows_build_the_matrix_in_rating_order() -> None:
    merit = load_policy(BASE + MERIT_ROWS).merit
    assert merit is not None
    assert merit.ratings == (1.0, 2.0, 3.0, 4.0, 5.0)
    assert merit.increase_pct(2, Decimal("0.8")) == Decimal("1.5")
    assert merit.increase_pct(5, Decimal("1.2")) == Decimal(6)
    # The same matrix as ratings and cells, cell by cell.
    cells = ", ".join(
        f'{{ rating = {c.rating}, band = "{c.band}", pct = "{c.pct}" }}' for c in merit.cells
    )
    table = (
        '[merit]\ncompa_bands = [{ label = "low", upper = 0.9 }, { label = "high" }]\n'
        f"ratings = [1, 2, 3, 4, 5]\ncells = [{cells}]\n"
    )
    assert load_policy(BASE + table).merit == merit
    assert "[merit.rows]" in dump_policy(load_policy(BASE + MERIT_ROWS))


def test_dates_scales_and_cadences() -> None:
    extra = """
[eligibility]
cutoff = 2026-10-01
scale = { id = "five-point", version = 1 }
[development]
improvement_cadence = "FREQ=MONTHLY;BYMONTHDAY=-1"
growth_cells = ["Star"]
"""
    policy = load_policy(BASE + extra)
    assert policy.eligibility is not None
    assert policy.eligibility.cutoff == date(2026, 10, 1)
    assert policy.eligibility.scale == FIVE
    assert policy.development is not None
    assert policy.development.improvement_cadence.rrule == "FREQ=MONTHLY;BYMONTHDAY=-1"
    as_text = load_policy(BASE + extra.replace("2026-10-01", '"2026-10-01"'))
    assert as_text == policy


# --- errors name the key path ------------------------------------------------------------------


def test_a_bad_merit_cell_names_its_key_path(text: str) -> None:
    bad = text.replace("3 = [4, 3, 2]", "3 = [4, -0.5, 2]")
    assert only(lambda: load_policy(bad)) == "merit.rows.3[1]: Decimal('-0.5') is negative"
    unmonotone = text.replace("3 = [4, 3, 2]", "3 = [4, 0.5, 2]")
    assert only(lambda: load_policy(unmonotone)).startswith(
        "merit.rows.3[1]: Decimal('0.5') is below the 1% of rating 2 in band '0.95-1.05'"
    )
    doc = tomllib.loads(BASE)
    doc["merit"] = {
        "compa_bands": [{"label": "all"}],
        "ratings": [1, 2, 3, 4, 5],
        "cells": [
            {"rating": r, "band": "all", "pct": "-0.5" if r == 4 else r} for r in range(1, 6)
        ],
    }
    assert (
        only(lambda: policy_from_mapping(doc)) == "merit.cells[3].pct: Decimal('-0.5') is negative"
    )


def test_every_problem_is_listed(text: str) -> None:
    bad = (
        text.replace("min_tenure_days", "min_tenure_day")
        .replace("[scoring.weights]", "[scoring.weight]")
        .replace("GBP =", "GPB =")
        .replace('amount = "18237 EUR"', 'amount = "18237 eur"')
        .replace('calibration = "advise"', 'calibration = "forced"')
        .replace("window_days = 365", "window_days = 0")
    )
    with pytest.raises(DocumentError) as info:
        load_policy(bad)
    assert str(info.value).startswith("<string>: 6 problems\n")
    assert sorted(str(e) for e in info.value.errors) == sorted(
        [
            "calibration: 'forced' is not one of 'advise', 'force'; did you mean 'force'?",
            (
                "scoring.weight: unknown key (known: curve, goals_from, missing, roles, scale, "
                "weights); did you mean 'weights'?"
            ),
            (
                "eligibility.min_tenure_day: unknown key (known: cutoff, exclude_leavers, "
                "min_rating, min_tenure_days, scale); did you mean 'min_tenure_days'?"
            ),
            "rates.GPB: is neither base nor an ISO 4217 currency code; did you mean 'GBP'?",
            (
                "pools[3].amount: '18237 eur' does not end in an ISO 4217 currency code; did you "
                "mean 'EUR'?"
            ),
            "recognition[0].window_days: 0 is not at least 1",
        ]
    )
    assert all(isinstance(e, ValidationError) for e in info.value.errors)


def test_unknown_top_level_keys_and_a_missing_scoring_table() -> None:
    assert problems(lambda: load_policy('rating_scale = "five-point"\nguidline = 1\n')) == [
        "scoring: is required: a table with the scoring policy's name (one of: "
        + ", ".join(policy_names())
        + ") and its settings",
        (
            "guidline: unknown key (known: bonus, calibration, cutoffs, development, eligibility, "
            "guideline, merit, nine_box, pools, potential_attribute, rates, rating_scale, "
            "recognition, scoring); did you mean 'guideline'?"
        ),
    ]
    assert problems(lambda: policy_from_mapping({"scoring": {"name": "okr"}})) == [
        "rating_scale: is required"
    ]


def test_toml_syntax_errors_name_file_line_and_column(tmp_path: Path, text: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text.replace('base = "EUR"', 'base = "EUR'), encoding="utf-8")
    line = text.splitlines().index('base = "EUR"') + 1
    assert only(lambda: load_policy(path)) == (
        f"{path}:{line}:12: is not valid TOML (Illegal character '\\n')"
    )
    with pytest.raises(DocumentError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"{path}: 1 problem\n")
    assert only(lambda: load_policy("a = 1\nb = ")) == (
        "<string>:2:5: is not valid TOML (Invalid value)"
    )
    path.write_bytes(b'rating_scale = "five-point"\n# caf\xe9\n')
    assert only(lambda: load_policy(path)) == f"{path}:2:6: is not UTF-8 text"
    assert only(lambda: load_policy(tmp_path / "nothing.toml")).startswith(
        f"{tmp_path / 'nothing.toml'}: cannot be read (No such file or directory)"
    )


def test_the_scoring_policy_is_chosen_by_name() -> None:
    assert only(lambda: load_policy(BASE.replace('"okr"\n[cutoffs]', '"okrs"\n[cutoffs]'))) == (
        "scoring.name: 'okrs' is not a scoring policy (available: "
        + ", ".join(policy_names())
        + "); did you mean 'okr'?"
    )
    assert only(lambda: load_policy(BASE.replace('name = "okr"', 'name = "okr"\naverage = 1'))) == (
        "scoring.average: 1 is not one of 'mean', 'weighted'"
    )
    assert only(lambda: load_policy(BASE.replace('name = "okr"', 'name = "okr"\naverag = 1'))) == (
        "scoring.averag: unknown key (known: average); did you mean 'average'?"
    )
    assert only(lambda: policy_from_mapping({"rating_scale": "okr", "scoring": {}})) == (
        f"scoring.name: is required (one of: {', '.join(policy_names())})"
    )
    assert only(lambda: policy_from_mapping({"rating_scale": "okr", "scoring": "okr"})) == (
        "scoring: 'okr' is not a table (a mapping of keys to values)"
    )


def test_what_a_run_would_refuse_is_refused_on_load(text: str) -> None:
    no_cutoffs = 'rating_scale = "five-point"\n[scoring]\nname = "okr"\n'
    assert only(lambda: load_policy(no_cutoffs)) == (
        "cutoffs: are required: the scoring policy 'okr' scores on okr v1, the ratings are on "
        "five-point v1"
    )
    wrong_reader = text.replace("[cutoffs]\n", '[cutoffs]\nscore_scale = "okr"\n')
    assert only(lambda: load_policy(wrong_reader)) == (
        "cutoffs.score_scale: 'okr v1' is not the scale the scoring policy "
        "'weighted_components' scores on (five-point v1)"
    )
    other_scale = text.replace("[bonus]\n", '[bonus]\nscale = "three-point"\n')
    assert only(lambda: load_policy(other_scale)) == (
        "bonus.scale: 'three-point v1' is not the rating scale five-point v1"
    )
    other_currency = text.replace('amount = "18237 EUR"', 'amount = "18237 GBP"')
    assert only(lambda: load_policy(other_currency)) == (
        "pools[3].amount: '18237.00 GBP' is not in the base currency of the rates, EUR"
    )
    no_rates = text.replace('[rates]\nbase = "EUR"\nGBP = "1.16"\n', "")
    assert only(lambda: load_policy(no_rates)) == "rates: None are required with budget pools"
    forced = BASE.replace("[scoring]", 'calibration = "force"\n[scoring]')
    assert only(lambda: load_policy(forced)) == "calibration: 'force' needs a guideline to force"


def test_the_scale_catalogue_is_checked_when_given(data: CycleData, text: str) -> None:
    scales = data.scales
    no_five = text.replace("5 = [7, 6, 5]\n", "").replace("5 = 1.5\n", "")
    assert problems(lambda: load_policy(no_five, scales=scales)) == [
        "merit.rows: have no row for rating 5",
        "bonus.multipliers: have no multiplier for rating 5 of five-point v1",
    ]
    assert load_policy(no_five) is not None  # without the catalogue, nothing to check against
    six = text.replace("[4.5, 5]]", "[4.5, 6]]")
    allowed = "(allowed: 1 'Unsatisfactory', 2 'Needs improvement', 3 'Meets expectations'"
    assert only(lambda: load_policy(six, scales=scales)).startswith(
        f"cutoffs.points[4][1]: 6.0 is not on scale five-point v1 {allowed}"
    )
    guideline = text.replace("{ value = 5,", "{ value = 5.5,")
    assert only(lambda: load_policy(guideline, scales=scales)).startswith(
        f"guideline.targets[4].value: 5.5 is not on scale five-point v1 {allowed}"
    )
    unknown = ScaleCatalog(scales=[OKR])
    assert only(lambda: load_policy(text, scales=unknown)) == (
        "rating_scale: 'five-point v1' is not in the scale catalogue (it holds: okr v1)"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("[nine_box]\n", "[nine_box]\ncolour = 1\n"),
            "nine_box.colour: unknown key (known: performance, potential)",
        ),
        (
            ("performance = [2.5, 3.5]", "performance = [3.5, 2.5]"),
            "nine_box.performance[1]: 2.5 is not above low_max 3.5",
        ),
        (
            ('award = "250.00 EUR"', 'award = "EUR 250"'),
            "recognition[0].award: 'EUR 250' is not an amount and a currency, like \"250.00 EUR\"",
        ),
        (
            ('award = "250.00 EUR"', "award = { amount = 250, currency = 'XXX' }"),
            "recognition[0].award.currency: 'XXX' is not an ISO 4217 currency code",
        ),
        (
            ('award = "250.00 EUR"', 'award = "250.00 EUR"\naward_pct = 2'),
            (
                "recognition[0].award: Money(amount=Decimal('250.00'), currency='EUR') give "
                "exactly one of award (an amount) and award_pct"
            ),
        ),
        (
            ("min_rating = 2", "min_rating = 2\ncutoff = 2026-10-01T00:00:00Z"),
            (
                "eligibility.cutoff: datetime.datetime(2026, 10, 1, 0, 0, "
                "tzinfo=datetime.timezone.utc) is a date and time; give a date such as 2026-10-01"
            ),
        ),
        (("min_rating = 2", 'min_rating = "2"'), "eligibility.min_rating: '2' is not a number"),
        (
            ("cap = 1.5", 'cap = "1,5"'),
            "bonus.cap: '1,5' is not a decimal number (a number, or a string such as \"4.5\")",
        ),
        (("cap = 1.5", "cap = 0"), "bonus.cap: Decimal('0') is not positive"),
        (
            ("2 = 0.5\n", "2.5 = 0.5\n"),
            (
                "bonus.multipliers.2: {'5': 0.5} is a table: write a rating value with a decimal "
                'point as a quoted key ("3.5" = ...)'
            ),
        ),
        (
            ("2 = 0.5\n", '2 = 0.5\n"2.0" = 0.5\n'),
            'bonus.multipliers."2.0": 2.0 repeats multipliers[1]',
        ),
        (("L6 = 15", "L6 = -15"), "bonus.targets.L6: Decimal('-15') is negative"),
        (
            ("2 = [1.5, 1, 0]", "two = [1.5, 1, 0]"),
            'merit.rows.two: \'two\' is not a rating value (a number such as "3" or "3.5")',
        ),
        (
            ("2 = [1.5, 1, 0]", "2 = [1.5, 1]"),
            (
                "merit.rows.2: [1.5, 1] gives 2 increases for 3 compa bands ('below 0.95', "
                "'0.95-1.05', 'above 1.05')"
            ),
        ),
        (
            ('{ label = "above 1.05" }', '{ label = "above 1.05", upper = 2 }'),
            "merit.compa_bands[2].upper: Decimal('2') must be None: the last band is open-ended",
        ),
        (
            ("[merit.rows]", "ratings = [1]\n[merit.rows]"),
            "merit.rows: and ratings/cells are both given; give one of them",
        ),
        (
            ('GBP = "1.16"', 'GBP = "1.16"\nEUR = 2'),
            "rates.EUR: Decimal('2') is not 1 for the base EUR",
        ),
        (('base = "EUR"\n', ""), "rates.base: is required"),
        (
            ("improvement_at_or_below = 2", "improvement_at_or_below = true"),
            "development.improvement_at_or_below: True is not a number (or false, for none)",
        ),
        (
            ("kpi_plans = true", 'kpi_plans = true\ngrowth_cadence = "FREQ=HOURLY"'),
            (
                "development.growth_cadence: 'FREQ=HOURLY' is not a valid check-in RRULE: has "
                "FREQ=HOURLY, a sub-daily frequency"
            ),
        ),
        (
            ('rating_scale = "five-point"', 'rating_scale = ""'),
            (
                "rating_scale: '' is not a valid id (1-200 characters, no control characters, no "
                "space at either end)"
            ),
        ),
        (
            ('rating_scale = "five-point"', "rating_scale = { id = 'five-point', version = 0 }"),
            "rating_scale.version: 0 is not a version (1 or more)",
        ),
        (('unit_id = "u03"', "unit_id = 3"), "pools[2].unit_id: 3 is not a string id"),
    ],
)
def test_bad_values(text: str, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in text
    found = only(lambda: load_policy(text.replace(old, new, 1)))
    assert found == message or found.startswith(message)


def test_bad_arguments_are_validation_errors() -> None:
    with pytest.raises(ValidationError, match=r"^scales: 5 is not a ScaleCatalog$"):
        load_policy(BASE, scales=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^path_or_text: 5 is not a path or TOML text"):
        load_policy(5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^policy: 'x' is not a CyclePolicy$"):
        dump_policy("x")  # type: ignore[arg-type]
    assert only(lambda: policy_from_mapping([1])) == (  # type: ignore[arg-type]
        "[1] is not a table (a mapping of keys to values)"
    )
    assert only(lambda: policy_from_mapping({1: 2})) == (  # type: ignore[dict-item]
        "1 is a key that is not a string"
    )


# --- plugins by name ---------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CappedMedian:
    """A policy from "another package": the median key-result attainment, capped."""

    name: ClassVar[str] = "policy-file-median"
    cap: float = 1.0

    @property
    def scale(self) -> ScaleRef:
        return OKR.ref

    def score(self, inputs: EmployeeInputs) -> Score:
        values = sorted(min(g.attainment, self.cap) for g in inputs.goals) or [0.0]
        part = Component.leaf("median", 1.0, values[len(values) // 2], "median")
        return Score.of(inputs.employee_id, self.name, self.scale, [part])


def median_factory(config: Mapping[str, Any]) -> CappedMedian:
    r = ConfigReader(config)
    cap = r.number("cap", 1.0, low=0.0, high=1.0)
    r.finish()
    return CappedMedian(cap=cap)


class Opaque:
    """A policy that is neither an attrs class nor gives its configuration."""

    name = "policy-file-opaque"

    @property
    def scale(self) -> ScaleRef:
        return OKR.ref

    def score(self, inputs: EmployeeInputs) -> Score:
        part = Component.leaf("zero", 1.0, 0.0, "nothing")
        return Score.of(inputs.employee_id, self.name, self.scale, [part])


class Configured(Opaque):
    """A policy that says which configuration builds it."""

    name = "policy-file-configured"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Configured)

    def __hash__(self) -> int:
        return 0

    def to_config(self) -> dict[str, Any]:
        return {}


def broken_factory(config: Mapping[str, Any]) -> CappedMedian:
    raise RuntimeError("the consultants' licence has expired")


def strict_factory(config: Mapping[str, Any]) -> CappedMedian:
    raise NotFoundError("licence", "acme-2026")


FACTORIES: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "policy-file-median": median_factory,
    "policy-file-opaque": lambda config: Opaque(),
    "policy-file-configured": lambda config: Configured(),
    "policy-file-broken": broken_factory,
    "policy-file-strict": strict_factory,
}
for _name, _factory in FACTORIES.items():
    if _name not in policy_names():
        register_policy(_name, _factory)


def test_a_registered_policy_is_selected_by_name_and_written_back() -> None:
    okr_cutoffs = BASE.split("[cutoffs]")[1]
    doc = (
        'rating_scale = "five-point"\n[scoring]\nname = "policy-file-median"\ncap = 0.8\n'
        f"[cutoffs]{okr_cutoffs}"
    )
    policy = load_policy(doc)
    assert policy.scoring == CappedMedian(cap=0.8)
    assert load_policy(dump_policy(policy)) == policy
    assert only(lambda: load_policy(doc.replace("cap = 0.8", "cap = 2"))) == (
        "scoring.cap: 2 is not between 0 and 1"
    )
    configured = attrs.evolve(policy, scoring=Configured())
    assert load_policy(dump_policy(configured)) == configured
    with pytest.raises(ValidationError, match=r"^scoring: 'policy-file-opaque' cannot be written"):
        dump_policy(attrs.evolve(policy, scoring=Opaque()))
    broken = doc.replace("policy-file-median", "policy-file-broken").replace("cap = 0.8\n", "")
    assert only(lambda: load_policy(broken)) == (
        "scoring.name: 'policy-file-broken' cannot be used (scoring policy 'policy-file-broken' "
        "could not be built (RuntimeError: the consultants' licence has expired))"
    )
    strict = broken.replace("policy-file-broken", "policy-file-strict")
    assert only(lambda: load_policy(strict)) == (
        "scoring.name: 'policy-file-strict' cannot be used (NotFoundError: no licence with id "
        "'acme-2026')"
    )


def test_an_installed_plugin_is_selected_by_name_in_a_policy_file(tmp_path: Path) -> None:
    """The consulting firm's story: installing a package makes its policy selectable by name
    in a policy file, without touching perfkit (a fresh interpreter finds its entry point)."""
    meta = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    points = meta["project"]["entry-points"]["perfkit.scoring_policies"]
    _dist_info(tmp_path, meta["project"]["name"], meta["project"]["version"], points)
    shutil.copy(PROJECT / "perfkit_median.py", tmp_path / "perfkit_median.py")
    doc = BASE.replace('name = "okr"', 'name = "median"\ncap = 0.9')
    code = f"""
import json
from perfkit import DocumentError
from perfkit.io._policy import dump_policy, load_policy
policy = load_policy({doc!r})
try:
    load_policy({doc.replace("cap", "cop")!r})
except DocumentError as err:
    typo = str(err.errors[0])
print(json.dumps({{
    "module": type(policy.scoring).__module__, "cap": policy.scoring.cap, "typo": typo,
    "again": load_policy(dump_policy(policy)) == policy,
}}))
"""
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "module": "perfkit_median",
        "cap": 0.9,
        "typo": "scoring.cop: unknown key (known: cap); did you mean 'cap'?",
        "again": True,
    }
    assert only(lambda: load_policy(doc)).startswith(
        "scoring.name: 'median' is not a scoring policy (available: "
    )


# --- nothing but perfkit errors ----------------------------------------------------------------

KEYS = [
    "rating_scale",
    "scoring",
    "name",
    "cutoffs",
    "points",
    "guideline",
    "targets",
    "value",
    "minimum",
    "maximum",
    "calibration",
    "nine_box",
    "performance",
    "potential",
    "merit",
    "compa_bands",
    "rows",
    "ratings",
    "cells",
    "rating",
    "band",
    "pct",
    "eligibility",
    "rates",
    "base",
    "GBP",
    "pools",
    "unit_id",
    "amount",
    "bonus",
    "multipliers",
    "recognition",
    "award",
    "development",
    "improvement_items",
    "scale",
    "id",
    "version",
    "weights",
    "goals",
    "1",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(["five-point", "okr", "250 EUR", "1.5", "advise", "force", "EUR", "3"]),
    st.dates(),
    st.datetimes(),
    st.decimals(),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=100)
@given(doc=st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), values, max_size=8))
def test_any_mapping_gets_a_policy_or_a_perfkit_error(doc: dict[str, Any]) -> None:
    found = outcome(lambda: policy_from_mapping(doc))
    assert found is None or (found and all(isinstance(e, ValidationError) for e in found))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            found.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found.extend(_paths(v, (*prefix, i)))
    return found


@settings(max_examples=100)
@given(data=st.data())
def test_a_mutated_policy_gets_a_policy_or_a_perfkit_error(data: st.DataObject, text: str) -> None:
    doc = tomllib.loads(text)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(_paths(doc)))
        parent = doc
        for step in where[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "delete", "wrap"]))
        if action == "delete":
            del parent[where[-1]]
        elif action == "wrap":
            parent[where[-1]] = [parent[where[-1]]]
        else:
            parent[where[-1]] = data.draw(values)
    found = outcome(lambda: policy_from_mapping(doc, scales=BUILTIN_SCALES))
    assert found is None or found


@settings(max_examples=100)
@given(data=st.data())
def test_mangled_text_gets_a_policy_or_a_perfkit_error(data: st.DataObject, text: str) -> None:
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(chars) - 1))
        junk = data.draw(st.sampled_from(['"', "[", "]", "=", "\n", "{", ",", "-", "x", "1", ""]))
        chars[at : at + data.draw(st.integers(0, 3))] = [junk]
    found = outcome(lambda: load_policy("".join(chars)))
    assert found is None or found
