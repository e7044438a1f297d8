"""HRIS imports: CSV directories and JSON documents in, CycleData out, every bad row reported."""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfkit
from perfkit import PerfkitError, ValidationError
from perfkit.dataset import CycleData
from perfkit.feedback import FeedbackLog, FeedbackRequest
from perfkit.goals import OwnerKind
from perfkit.io import (
    DataImportError,
    ImportProblem,
    ImportResult,
    RecordKind,
    SkippedRecord,
    load_dataset,
    write_dataset,
)
from perfkit.io._hris_write import files
from perfkit.metrics import Direction, MilestoneMetric, NumericMetric
from perfkit.money import Money
from perfkit.run import run_cycle
from perfkit.sample import sample_cycle, sample_policy

from .strategies.io import cycle_datas, import_problems, skipped_records

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "data"
SLOW = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CYCLE = """\
[cycle]
id = "fy2026"
name = "FY 2026"
start = 2026-01-01
end = 2026-12-31
timezone = "Europe/Paris"

[[forms]]
id = "annual"
name = "Annual review"

[[forms.criteria]]
id = "goals"
name = "Goal results"
kind = "goal"
weight = 0.6
scale = { id = "five-point" }

[[forms.criteria]]
id = "teamwork"
name = "Teamwork"
kind = "competency"
weight = 0.4
scale = { id = "five-point" }
"""
UNITS = "id,name,parent_id,head_id\nacme,Acme,,e1\nsales,Sales,acme,e2\n"
PEOPLE = (
    "id,name,manager_id,unit_id,hire_date,job_level,base_pay,currency\n"
    "e1,Ann Lee,,acme,2020-01-01,L6,90000.00,EUR\n"
    "e2,Bob Roy,e1,sales,2021-03-01,L5,70000.00,EUR\n"
    "e3,Cy Diaz,e2,sales,2022-05-01,L3,52000.00,EUR\n"
)
GOALS = (
    "id,title,owner_kind,owner_id,metric,aligns_to,baseline,target,direction\n"
    "g1,Grow revenue,company,acme,numeric,,9,12,up\n"
    "g2,Resolve 95% of tickets within 24 h,employee,e3,numeric,g1,80,95,up\n"
)


def export(tmp_path: Path, **files_: str | bytes | None) -> Path:
    """An export directory with the default files, changed by ``files_`` (``None`` removes)."""
    root = tmp_path / "export"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir()
    content: dict[str, str | bytes | None] = {
        "cycle.toml": CYCLE,
        "units.csv": UNITS,
        "employees.csv": PEOPLE,
        "goals.csv": GOALS,
    }
    content.update({k.replace("_", ".", 1): v for k, v in files_.items()})
    for name, text in content.items():
        if text is None:
            continue
        data = text.encode() if isinstance(text, str) else text
        (root / name).write_bytes(data)
    return root


def problems_of(root: Path, **options: Any) -> list[str]:
    with pytest.raises(DataImportError) as caught:
        load_dataset(root, **options)
    return [str(p) for p in caught.value.problems]


# --- what loads -----------------------------------------------------------------------------


def test_a_small_export_loads(tmp_path: Path) -> None:
    result = load_dataset(export(tmp_path))
    data = result.data
    assert [e.id for e in data.organisation.employees] == ["e1", "e2", "e3"]
    assert data.organisation.employee("e3").base_pay == Money.of("52000.00", "EUR")
    assert data.goals.goal("g2").aligns_to[0].parent_id == "g1"
    assert data.goals.goal("g2").start_date == date(2026, 1, 1)  # the cycle's, by default
    assert data.cycle.id == "fy2026"
    assert result.skipped == ()
    assert result.notes == ()
    assert "3 employees, 2 goals" in result.report()


@settings(SLOW)
@given(cycle_datas())
def test_write_then_load_gives_equal_data(data: CycleData) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_dataset(data, Path(tmp) / "csv")
        assert load_dataset(Path(tmp) / "csv").data == data
        write_dataset(data, Path(tmp) / "data.json")
        assert load_dataset(Path(tmp) / "data.json").data == data


def test_sample_company_round_trips_through_csv(tmp_path: Path) -> None:
    data = sample_cycle(30, seed=3)
    write_dataset(data, tmp_path / "out")
    assert load_dataset(tmp_path / "out").data == data


@given(import_problems)
def test_import_problem_round_trips(problem: ImportProblem) -> None:
    assert perfkit.loads(perfkit.dumps(problem), ImportProblem) == problem


@given(skipped_records)
def test_skipped_record_round_trips(record: SkippedRecord) -> None:
    assert perfkit.loads(perfkit.dumps(record), SkippedRecord) == record


@settings(SLOW, max_examples=10)
@given(cycle_datas(max_people=3), st.lists(skipped_records, max_size=2), st.lists(st.text()))
def test_import_result_round_trips(
    data: CycleData, skipped: list[SkippedRecord], notes: list[str]
) -> None:
    result = ImportResult(data=data, skipped=skipped, notes=notes)
    assert perfkit.loads(perfkit.dumps(result), ImportResult) == result


def test_problem_text_names_file_line_column_value_and_reason() -> None:
    p = ImportProblem(
        file="employees.csv",
        line=14,
        column="manager_id",
        column_number=4,
        value="e-999",
        reason="is not an employee",
    )
    assert str(p) == "employees.csv:14:manager_id (col 4): 'e-999' is not an employee"
    assert (
        str(ImportProblem(file="d.json", line=3, column_number=7, reason="bad"))
        == "d.json:3:7: bad"
    )
    with pytest.raises(ValidationError, match="line: 0 is not at least 1"):
        ImportProblem(file="x.csv", line=0, reason="r")


# --- the example data set -------------------------------------------------------------------


def test_example_data_loads_cleanly_and_runs_the_cycle() -> None:
    result = load_dataset(EXAMPLE / "acme")
    assert result.skipped == ()
    assert result.notes == ()
    data = result.data
    assert 40 <= len(data.organisation.employees) <= 80
    assert load_dataset(EXAMPLE / "acme.json").data == data
    cycle_result = run_cycle(data, sample_policy(data), at=datetime(2026, 12, 31, 18, tzinfo=UTC))
    assert len(cycle_result.employees) > 30


def test_example_data_holds_the_seed_stories() -> None:
    data = load_dataset(EXAMPLE / "acme").data
    goals = data.goals
    support = [g for g in goals.goals if "95% of support tickets within 24 h" in g.title]
    assert any(g.owner.kind is OwnerKind.EMPLOYEE for g in support)
    marketing = goals.goal("mkt-q2-engagement")
    assert marketing.owner.kind is OwnerKind.UNIT
    assert [a.parent_id for a in marketing.aligns_to] == ["c-engagement"]
    weekly = goals.check_ins_for(marketing.id)
    gaps = {(b.at - a.at) for a, b in itertools.pairwise(weekly)}
    assert gaps == {timedelta(weeks=1)}
    assert len(weekly) == 13
    pm = [g for g in goals.goals if g.id.startswith("e0011-")]
    kinds = {type(g.metric) for g in pm}
    assert MilestoneMetric in kinds
    assert any(
        isinstance(g.metric, NumericMetric) and g.metric.direction is Direction.DOWN for g in pm
    )
    assert any("satisfaction" in g.title for g in pm)


# --- every problem, at its row -------------------------------------------------------------


def test_a_typo_in_a_manager_id_names_the_row_and_the_id(tmp_path: Path) -> None:
    people = PEOPLE.replace("e3,Cy Diaz,e2,", "e3,Cy Diaz,e-999,")
    assert problems_of(export(tmp_path, employees_csv=people)) == [
        "employees.csv:4:manager_id (col 3): 'e-999' is not an employee"
    ]


def test_every_problem_of_every_file_is_listed_in_one_pass(tmp_path: Path) -> None:
    people = PEOPLE.replace("2022-05-01", "2022-13-01").replace("e3,Cy Diaz,e2", "e3,Cy Diaz,e9")
    goals = GOALS.replace("g2,Resolve", "g2,Resolve").replace(",g1,80,95", ",g7,80,95")
    checkins = (
        "id,goal_id,author,at,value\n"
        "c1,g1,e1,2026-02-01T10:00:00Z,10\n"
        "c2,g9,e1,2026-02-01T10:00:00Z,x\n"
    )
    with pytest.raises(DataImportError) as caught:
        load_dataset(export(tmp_path, employees_csv=people, goals_csv=goals, checkins_csv=checkins))
    err = caught.value
    assert [str(p) for p in err.problems] == [
        "employees.csv:4:manager_id (col 3): 'e9' is not an employee",
        "employees.csv:4:hire_date (col 5): '2022-13-01' is not a calendar date (no such day)",
        "goals.csv:3:aligns_to (col 6): 'g7' item 1: 'g7' is not a goal",
        "checkins.csv:3:goal_id (col 2): 'g9' is not a goal",
        "checkins.csv:3:value (col 5): 'x' is not a number",
    ]
    assert str(err).splitlines()[0].endswith("import refused, 5 problems (nothing was loaded)")


def test_the_listing_is_capped_but_every_problem_is_kept(tmp_path: Path) -> None:
    rows = "".join(f"x{i},Name,,acme,not a date,L1,1.00,EUR\n" for i in range(60))
    people = PEOPLE + rows
    with pytest.raises(DataImportError) as caught:
        load_dataset(export(tmp_path, employees_csv=people))
    assert len(caught.value.problems) == 60
    lines = str(caught.value).splitlines()
    assert len(lines) == 1 + 50 + 1
    assert lines[-1] == "  ... and 10 more (see .problems)"


def test_a_bom_is_fine_and_bad_utf8_names_its_line(tmp_path: Path) -> None:
    assert load_dataset(export(tmp_path, employees_csv="\ufeff" + PEOPLE)).data
    bad = PEOPLE.encode().replace(b"Cy Diaz", b"Cy D\xefaz")
    assert problems_of(export(tmp_path, employees_csv=bad)) == [
        "employees.csv:4: is not UTF-8 text (byte 0xef at offset 163); save the export as UTF-8"
    ]


def test_bad_csv_quoting_names_its_line(tmp_path: Path) -> None:
    people = PEOPLE + 'e4,"Dee "the" Ng,e1,sales,2022-01-01,L3,1.00,EUR\n'
    assert problems_of(export(tmp_path, employees_csv=people)) == [
        "employees.csv:5: is not valid CSV (',' expected after '\"')"
    ]


def test_header_problems_are_reported_together(tmp_path: Path) -> None:
    header = "id,name,manager_id,unit_id,hire_dat,job_level,base_pay,currency,name\n"
    people = header + PEOPLE.split("\n", 1)[1]
    assert problems_of(export(tmp_path, employees_csv=people)) == [
        (
            "employees.csv:1: has no column 'hire_date' in its header row (required: id, name, "
            "manager_id, unit_id, hire_date, job_level, base_pay)"
        ),
        "employees.csv:1:hire_dat (col 5): is not a known column; did you mean 'hire_date'?",
        "employees.csv:1:name (col 9): repeats column 2",
    ]


def test_header_names_are_read_in_any_case_and_spacing(tmp_path: Path) -> None:
    people = PEOPLE.replace("hire_date,job_level", "Hire Date,Job-Level")
    data = load_dataset(export(tmp_path, employees_csv=people)).data
    assert data.organisation.employee("e1").hire_date == date(2020, 1, 1)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    assert problems_of(export(tmp_path, employees_csv=None)) == [
        f"employees.csv: is missing from {tmp_path / 'export'} (the people: required)"
    ]
    assert problems_of(export(tmp_path, employees_csv="\n\n")) == [
        (
            "employees.csv: is empty; a header row is required (id, name, manager_id, unit_id, "
            "hire_date, job_level, base_pay, ...)"
        )
    ]


def test_a_cut_off_line_is_a_problem_at_its_line(tmp_path: Path) -> None:
    people = PEOPLE + "e4,Dee,e1,sales"
    assert problems_of(export(tmp_path, employees_csv=people)) == [
        "employees.csv:5: has 4 cells; the header has 8 (a cut-off line?)"
    ]


def test_repeated_ids_name_the_first(tmp_path: Path) -> None:
    people = PEOPLE + "e2,Bo Again,e1,sales,2021-03-01,L5,70000.00,EUR\n"
    assert problems_of(export(tmp_path, employees_csv=people)) == [
        "employees.csv:5:id (col 1): 'e2' repeats the employee id of employees.csv:3"
    ]


def test_loops_are_named(tmp_path: Path) -> None:
    people = PEOPLE.replace("e1,Ann Lee,,", "e1,Ann Lee,e3,")
    units = UNITS.replace("acme,Acme,,e1", "acme,Acme,sales,e1")
    goals = GOALS.replace(
        "g1,Grow revenue,company,acme,numeric,", "g1,Grow revenue,company,acme,numeric,g2"
    )
    assert problems_of(
        export(tmp_path, employees_csv=people, units_csv=units, goals_csv=goals)
    ) == [
        "units.csv:2:parent_id (col 3): 'sales' unit hierarchy loops: acme -> sales -> acme",
        "employees.csv:2:manager_id (col 3): 'e3' reporting line loops: e1 -> e3 -> e2 -> e1",
        "goals.csv:2:owner_id (col 4): 'acme' is not the company (a root org unit)",
        "goals.csv:2:aligns_to (col 6): 'g2' item 1: goal alignment loops: g1 -> g2 -> g1",
    ]


def test_references_across_files_are_checked_at_their_rows(tmp_path: Path) -> None:
    checkins = (
        "id,goal_id,author,at,value,done\n"
        "c1,g2,e3,2026-02-01T10:00:00+01:00,90,\n"
        "c2,g404,e3,2026-02-01T10:00:00+01:00,90,\n"
        "c3,g2,e3,2026-02-01T10:00:00+01:00,,true\n"
    )
    feedback = (
        "id,type,author,subject,at,text\n"
        "f1,praise,e1,e77,2026-03-01T09:00:00Z,Great work\n"
        "f2,praise,e1,e2,2026-03-01T09:00:00Z,\n"
    )
    reviews = (
        "id,subject,reviewer,role,criterion_id,rating\n"
        "r1,e3,e2,manager,goals,4\n"
        "r2,e404,e2,manager,goals,4\n"
        "r3,e3,e2,manager,speed,4\n"
    )
    root = export(tmp_path, checkins_csv=checkins, feedback_csv=feedback, reviews_csv=reviews)
    assert problems_of(root) == [
        "checkins.csv:3:goal_id (col 2): 'g404' is not a goal",
        "checkins.csv:4:value (col 5): is required for a numeric metric",
        "feedback.csv:2:subject (col 4): 'e77' is not an employee",
        "feedback.csv:3:text (col 6): is required",
        "reviews.csv:3:subject (col 2): 'e404' is not an employee",
        (
            "reviews.csv:4:criterion_id (col 5): 'speed' is not a criterion of form 'annual' "
            "(goals, teamwork)"
        ),
    ]


# --- cells: dates, times, money, numbers ------------------------------------------------------


def _hire(tmp_path: Path, text: str, **options: Any) -> date | list[str]:
    people = PEOPLE.replace("2022-05-01", f'"{text}"')
    root = export(tmp_path, employees_csv=people)
    try:
        return load_dataset(root, **options).data.organisation.employee("e3").hire_date
    except DataImportError as err:
        return [p.reason for p in err.problems]


def test_dates_are_iso_unless_dayfirst_is_given(tmp_path: Path) -> None:
    assert _hire(tmp_path, "2022-05-01") == date(2022, 5, 1)
    assert _hire(tmp_path, "20220501") == date(2022, 5, 1)
    refused = _hire(tmp_path, "01/05/2022")
    assert isinstance(refused, list)
    assert "dayfirst=True" in refused[0]
    assert _hire(tmp_path, "01/05/2022", dayfirst=True) == date(2022, 5, 1)
    assert _hire(tmp_path, "01/05/2022", dayfirst=False) == date(2022, 1, 5)
    assert _hire(tmp_path, "1 May 2022", dayfirst=True) == date(2022, 5, 1)
    assert _hire(tmp_path, "01/05/22", dayfirst=True) == ["has no four-digit year"]
    assert _hire(tmp_path, "May 2022", dayfirst=True) == [
        "is not a whole date (day, month and four-digit year)"
    ]
    assert _hire(tmp_path, "2022-05-01 10:30", dayfirst=True) == [
        "has a time of day; a date is expected here"
    ]


def _at(tmp_path: Path, text: str, **options: Any) -> datetime | list[str]:
    checkins = f'id,goal_id,author,at,value\nc1,g2,e3,"{text}",90\n'
    root = export(tmp_path, checkins_csv=checkins)
    try:
        return load_dataset(root, **options).data.goals.check_ins[0].at
    except DataImportError as err:
        return [p.reason for p in err.problems]


def test_datetimes_need_a_zone(tmp_path: Path) -> None:
    paris = timezone(timedelta(hours=1))
    assert _at(tmp_path, "2026-02-02T09:30:00+01:00") == datetime(2026, 2, 2, 9, 30, tzinfo=paris)
    assert _at(tmp_path, "2026-02-02T08:30:00Z") == datetime(2026, 2, 2, 8, 30, tzinfo=UTC)
    naive = _at(tmp_path, "2026-02-02 09:30")
    assert isinstance(naive, list)
    assert naive[0].startswith("has no time zone")
    assumed = _at(tmp_path, "2026-02-02 09:30", assume_timezone="Europe/Paris")
    assert assumed == datetime(2026, 2, 2, 9, 30, tzinfo=paris)
    assert _at(tmp_path, "2026-02-02") == [
        "is a date without a time of day; a moment (date and time) is expected"
    ]
    assert _at(tmp_path, "02/02/2026 09:30 +0100", dayfirst=True) == datetime(
        2026, 2, 2, 9, 30, tzinfo=paris
    )
    named = _at(tmp_path, "02/02/2026 09:30 EST", dayfirst=True)
    assert named == ["names the time zone 'EST'; give an offset such as +02:00 instead"]


def _pay(tmp_path: Path, pay: str, currency: str = "") -> Money | list[str]:
    people = PEOPLE.replace("52000.00,EUR", f'"{pay}",{currency}')
    try:
        data = load_dataset(export(tmp_path, employees_csv=people)).data
    except DataImportError as err:
        return [str(p) for p in err.problems]
    return data.organisation.employee("e3").base_pay


def test_money_with_its_currency(tmp_path: Path) -> None:
    assert _pay(tmp_path, "52000.00 EUR") == Money.of("52000.00", "EUR")
    assert _pay(tmp_path, "GBP 41000") == Money.of("41000", "GBP")
    assert _pay(tmp_path, "41000", "GBP") == Money.of("41000", "GBP")
    assert _pay(tmp_path, "41000 usd", "USD") == Money.of("41000", "USD")
    assert _pay(tmp_path, "41000 EUR", "GBP") == [
        "employees.csv:4:base_pay (col 7): '41000 EUR' is in EUR, but the row's currency is GBP"
    ]
    assert _pay(tmp_path, "52,000.00 EUR") == [
        (
            "employees.csv:4:base_pay (col 7): '52,000.00 EUR' is not an amount (use '.' as the "
            "decimal separator and no thousands separators)"
        )
    ]
    assert _pay(tmp_path, "52000") == [
        (
            "employees.csv:4:base_pay (col 7): '52000' has no currency: write '52000.00 EUR' or "
            "fill the currency column"
        )
    ]
    assert _pay(tmp_path, "-5", "EUR") == ["employees.csv:4:base_pay (col 7): '-5' is negative"]


def test_salary_bands_in_the_row_currency(tmp_path: Path) -> None:
    header = PEOPLE.split("\n", 1)[0] + ",band_minimum,band_midpoint,band_maximum\n"
    rest = PEOPLE.split("\n", 1)[1].replace("\n", ",,,\n")
    people = header + rest.replace("90000.00,EUR,,,", "90000,EUR,80000,95000,110000")
    person = load_dataset(export(tmp_path, employees_csv=people)).data.organisation.employee("e1")
    assert person.band is not None
    assert person.band.midpoint == Money.of("95000", "EUR")
    bad = people.replace("80000,95000", "80000,70000")
    assert problems_of(export(tmp_path, employees_csv=bad)) == [
        (
            "employees.csv:2:band_midpoint (col 10): '70000' is not between minimum 80000.00 and "
            "maximum 110000.00"
        )
    ]
    mixed = people.replace("80000,95000", "80000 GBP,95000")
    assert problems_of(export(tmp_path, employees_csv=mixed)) == [
        "employees.csv:2:band_minimum (col 9): '80000 GBP' is in GBP, but the row's currency is EUR"
    ]


def test_every_bad_field_of_a_row_is_reported(tmp_path: Path) -> None:
    goals = GOALS + "g3,  ,employee,e3,numeric,g1=-2,80,95,sideways\n"
    assert problems_of(export(tmp_path, goals_csv=goals)) == [
        "goals.csv:4:aligns_to (col 6): 'g1=-2' item 1: weight -2.0 is not positive",
        "goals.csv:4:direction (col 9): 'sideways' is not one of 'up', 'down'",
    ]
    goals = GOALS + "g3,  ,employee,e3,numeric,,80,95,\n"
    assert problems_of(export(tmp_path, goals_csv=goals)) == [
        "goals.csv:4:title (col 2): '  ' must not be empty"
    ]


# --- columns kept, units made up ------------------------------------------------------------


def test_extra_columns_become_attributes_and_are_noted_elsewhere(tmp_path: Path) -> None:
    people = PEOPLE.replace("currency\n", "currency,Location,grade\n").replace("EUR\n", "EUR,,\n")
    people = people.replace("EUR,,\n", "EUR,Paris,\n", 1)
    goals = GOALS.replace("direction\n", "direction,okr_quarter\n").replace("up\n", "up,Q1\n")
    result = load_dataset(export(tmp_path, employees_csv=people, goals_csv=goals))
    org = result.data.organisation
    assert dict(org.employee("e1").attributes) == {"Location": "Paris"}
    assert dict(org.employee("e2").attributes) == {}
    assert result.notes == (
        "goals.csv: columns 'okr_quarter' (col 10) are not perfkit columns; not read",
    )


def test_without_units_csv_units_come_from_employees(tmp_path: Path) -> None:
    result = load_dataset(export(tmp_path, units_csv=None))
    assert [(u.id, u.name, u.parent_id) for u in result.data.organisation.units] == [
        ("acme", "acme", None),
        ("sales", "sales", None),
    ]
    assert "units.csv is absent: 2 top-level units" in result.notes[0]


# --- reviews, milestones, feedback ------------------------------------------------------------


def test_a_review_spans_its_rating_rows(tmp_path: Path) -> None:
    reviews = (
        "id,subject,reviewer,role,status,criterion_id,rating,comment\n"
        "r1,e3,e2,manager,submitted,goals,Exceeds expectations,Strong year\n"
        "r1,,,,,teamwork,3,\n"
        "r2,e3,e3,self,draft,,,\n"
    )
    data = load_dataset(export(tmp_path, reviews_csv=reviews)).data
    first, second = data.reviews
    assert [(r.criterion_id, r.rating.value, r.comment) for r in first.ratings] == [
        ("goals", 4.0, "Strong year"),
        ("teamwork", 3.0, ""),
    ]
    assert first.form_id == "annual"
    assert first.cycle_id == "fy2026"
    assert second.ratings == ()
    clash = reviews.replace("r1,,,,,teamwork", "r1,e2,,,,teamwork")
    assert problems_of(export(tmp_path, reviews_csv=clash)) == [
        (
            "reviews.csv:3:subject (col 2): 'e2' differs from reviews.csv:2 ('e3'); the rows of "
            "one review repeat its columns or leave them empty"
        )
    ]


def test_milestones_come_from_their_own_file(tmp_path: Path) -> None:
    goals = GOALS + "g3,Ship v2,employee,e3,milestone,g1,,,\n"
    stones = "goal_id,id,title,weight,due\ng3,beta,Beta,1,2026-06-30\ng3,ga,GA,2,\n"
    data = load_dataset(export(tmp_path, goals_csv=goals, milestones_csv=stones)).data
    metric = data.goals.goal("g3").metric
    assert isinstance(metric, MilestoneMetric)
    assert [(m.id, m.weight) for m in metric.milestones] == [("beta", 1.0), ("ga", 2.0)]
    assert problems_of(export(tmp_path, goals_csv=goals)) == [
        (
            "goals.csv:4:metric (col 5): 'milestone' is 'milestone', but milestones.csv has no "
            "milestones for goal 'g3'"
        )
    ]
    wrong = stones + "g2,x,X,1,\n"
    assert problems_of(export(tmp_path, goals_csv=goals, milestones_csv=wrong)) == [
        (
            "milestones.csv:4:goal_id (col 1): 'g2' is a goal measured by a numeric metric, not "
            "milestones"
        )
    ]


def test_feedback_columns_fit_their_type(tmp_path: Path) -> None:
    feedback = (
        "id,type,author,subject,at,text,requested_from,question,request_id\n"
        "q1,feedback_request,e2,e3,2026-03-01T09:00:00Z,,e1;e2x,How is Cy doing?,\n"
        "q2,feedback_request,e2,e3,2026-03-01T09:00:00Z,,e1,How is Cy doing?,\n"
        "a1,feedback_response,e2,e3,2026-03-02T09:00:00Z,Fine,,,q2\n"
        "p1,praise,e1,e3,2026-03-02T09:00:00Z,Thanks,,Why?,\n"
    )
    assert problems_of(export(tmp_path, feedback_csv=feedback)) == [
        "feedback.csv:2:requested_from (col 7): 'e1;e2x' item 2: 'e2x' is not an employee",
        "feedback.csv:4:author (col 3): 'e2' was not asked by request 'q2' (asked: e1)",
        "feedback.csv:5:question (col 8): 'Why?' does not apply to a praise",
    ]


# --- skip mode --------------------------------------------------------------------------------


def test_skip_mode_drops_bad_rows_and_what_refers_to_them(tmp_path: Path) -> None:
    people = PEOPLE.replace("e2,Bob Roy,e1,sales,2021-03-01", "e2,Bob Roy,e1,sales,2021-02-30")
    checkins = (
        "id,goal_id,author,at,value\n"
        "c1,g2,e3,2026-02-01T10:00:00Z,90\n"
        "c2,g1,e1,2026-02-01T10:00:00Z,10\n"
    )
    root = export(tmp_path, employees_csv=people, checkins_csv=checkins)
    result = load_dataset(root, on_error="skip")
    data = result.data
    assert [e.id for e in data.organisation.employees] == ["e1"]
    assert [g.id for g in data.goals.goals] == ["g1"]
    assert [c.id for c in data.goals.check_ins] == ["c2"]
    assert [(s.kind, s.id, s.lines) for s in result.skipped] == [
        (RecordKind.UNIT, "sales", (3,)),
        (RecordKind.EMPLOYEE, "e2", (3,)),
        (RecordKind.EMPLOYEE, "e3", (4,)),
        (RecordKind.GOAL, "g2", (3,)),
        (RecordKind.CHECK_IN, "c1", (2,)),
    ]
    assert str(result.skipped[2]) == (
        "employees.csv:4: employee 'e3' skipped: employees.csv:4:manager_id (col 3): 'e2' is a "
        "skipped employee (employees.csv:3)"
    )
    assert "skipped 5 records:" in result.report()


def test_skip_mode_still_refuses_a_file_it_cannot_read(tmp_path: Path) -> None:
    root = export(tmp_path, goals_csv=b"id,title\n\xff\n")
    assert problems_of(root, on_error="skip")[0].startswith("goals.csv:2: is not UTF-8 text")


# --- the cycle file and the arguments ---------------------------------------------------------


def test_the_cycle_file_is_required_unless_given(tmp_path: Path) -> None:
    root = export(tmp_path, cycle_toml=None)
    assert problems_of(root) == [
        f"cycle.toml: is missing from {root}: give the review cycle there (or pass cycle=...)"
    ]
    cycle = sample_cycle(3).cycle
    data = load_dataset(root, cycle=cycle).data
    assert data.cycle == cycle
    assert data.forms == ()


def test_cycle_file_problems(tmp_path: Path) -> None:
    assert problems_of(export(tmp_path, cycle_toml="[cycle]\nid = \n")) == [
        "cycle.toml:2:6: is not valid TOML (Invalid value)"
    ]
    bad = CYCLE.replace('timezone = "Europe/Paris"', 'timezone = "Mars/Olympus"')
    assert problems_of(export(tmp_path, cycle_toml=bad)) == [
        (
            "cycle.toml:cycle.timezone: 'Mars/Olympus' is not an IANA time zone name (like "
            "'Europe/Berlin')"
        )
    ]
    unknown = CYCLE.replace('scale = { id = "five-point" }', 'scale = { id = "ten-point" }', 1)
    assert problems_of(export(tmp_path, cycle_toml=unknown)) == [
        (
            "cycle.toml:forms[0].criteria[0].scale: 'ten-point v1' is not a scale in the catalog "
            "(built-in or listed in [[scales]])"
        )
    ]


def test_a_cycle_json_file_works_like_cycle_toml(tmp_path: Path) -> None:
    data = sample_cycle(3)
    doc = {
        "cycle": perfkit.unstructure(data.cycle),
        "forms": [perfkit.unstructure(f) for f in data.forms],
    }
    root = export(tmp_path, cycle_toml=None, cycle_json=json.dumps(doc), goals_csv=None)
    assert load_dataset(root).data.cycle == data.cycle


def test_bad_arguments_are_validation_errors(tmp_path: Path) -> None:
    root = export(tmp_path)
    with pytest.raises(ValidationError, match="on_error: 'ignore' is not 'raise' or 'skip'"):
        load_dataset(root, on_error="ignore")
    with pytest.raises(ValidationError, match="assume_timezone: 'Mars' is not a tzinfo"):
        load_dataset(root, assume_timezone="Mars")
    with pytest.raises(ValidationError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")
    with pytest.raises(ValidationError, match="pass the directory that holds it"):
        load_dataset(root / "employees.csv")
    with pytest.raises(ValidationError, match="path: 5 is not a path"):
        load_dataset(5)  # type: ignore[arg-type]


# --- JSON documents ---------------------------------------------------------------------------


def test_json_problems_have_a_line_or_a_path(tmp_path: Path) -> None:
    data = sample_cycle(4)
    path = tmp_path / "data.json"
    path.write_text('{"schema_version": 1,\n "type": "CycleData" "data": {}}')
    assert problems_of(path) == ["data.json:2:22: is not valid JSON (Expecting ',' delimiter)"]
    doc = json.loads(perfkit.dumps(data))
    doc["data"]["organisation"]["employees"][2]["manager_id"] = "e-999"
    doc["data"]["goals"]["goals"][0]["weight"] = -1
    path.write_text(json.dumps(doc))
    assert problems_of(path) == [
        "data.json:data.organisation.employees[2].manager_id: 'e-999' is not an employee",
        "data.json:data.goals.goals[0].weight: '-1' is not positive",
    ]
    result = load_dataset(path, on_error="skip")
    skipped = {s.path: s for s in result.skipped}
    assert "data.organisation.employees[2]" in skipped
    assert str(skipped["data.organisation.units[2]"].problems[0]) == (
        "data.json:data.organisation.units[2].head_id: 'e0002' is a skipped employee "
        "(data.json:data.organisation.employees[2])"
    )
    assert [e.id for e in result.data.organisation.employees] == ["e0000", "e0001", "e0003"]


def test_json_document_envelope(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"schema_version": 9, "type": "Goal", "data": {}}))
    assert problems_of(path) == [
        "d.json:schema_version: '9' is not supported (this perfkit reads version 1)",
        "d.json:type: 'Goal' is not 'CycleData' (a whole data set)",
        "d.json:data.organisation: is required",
        "d.json:data.cycle: is required",
    ]


# --- writing ----------------------------------------------------------------------------------


def test_write_refuses_what_the_csv_format_cannot_hold(tmp_path: Path) -> None:
    data = sample_cycle(5)
    write_dataset(data, tmp_path / "once")
    with pytest.raises(ValidationError, match="exists and is not an empty directory"):
        write_dataset(data, tmp_path / "once")
    people = list(data.organisation.employees)
    people[1] = attrs.evolve(people[1], attributes={"manager_id ": "x"})
    odd = attrs.evolve(data, organisation=attrs.evolve(data.organisation, employees=people))
    with pytest.raises(ValidationError, match="cannot be an employees.csv column name"):
        write_dataset(odd, tmp_path / "twice")
    assert not (tmp_path / "twice").exists()  # nothing was written
    people[1] = attrs.evolve(people[1], attributes={"Hire Date": "x"})
    odd = attrs.evolve(data, organisation=attrs.evolve(data.organisation, employees=people))
    with pytest.raises(ValidationError, match="is the column 'hire_date'"):
        files(odd)
    with pytest.raises(ValidationError, match="data: 5 is not a CycleData"):
        write_dataset(5, tmp_path / "x")  # type: ignore[arg-type]


def test_write_refuses_ids_holding_the_list_separator(tmp_path: Path) -> None:
    base = load_dataset(export(tmp_path)).data
    people = list(base.organisation.employees)
    people[2] = attrs.evolve(people[2], id="e;3")
    asked = FeedbackRequest(
        id="q1",
        author="e1",
        subject="e2",
        at=datetime(2026, 3, 1, 9, tzinfo=UTC),
        requested_from=["e;3"],
        question="How is Bob doing?",
    )
    goals = [g for g in base.goals.goals if g.id != "g2"]
    data = attrs.evolve(
        base,
        organisation=attrs.evolve(base.organisation, employees=people),
        goals=attrs.evolve(base.goals, goals=goals),
        feedback=FeedbackLog(events=[asked]),
    )
    with pytest.raises(
        ValidationError,
        match=r"feedback.events\[0\].requested_from\[0\]: 'e;3' holds ';', which separates",
    ):
        write_dataset(data, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    write_dataset(data, tmp_path / "out.json")  # JSON holds any id
    assert load_dataset(tmp_path / "out.json").data == data


# --- malformed files give perfkit errors, never a traceback -----------------------------------

_FILES = [
    "cycle.toml",
    "units.csv",
    "employees.csv",
    "goals.csv",
    "milestones.csv",
    "checkins.csv",
    "feedback.csv",
    "reviews.csv",
]
_CELLS = [
    "",
    "x",
    "-1",
    "1e999",
    "nan",
    "2026-02-30",
    "31/12/2026",
    "2026-01-01T10:00",
    "true",
    "12.5 EUR",
    "milestone",
    "binary",
    "company",
    "self",
    "k0",
    "c0",
    "f0",
    "r0",
]


@st.composite
def broken_exports(draw: st.DrawFn) -> dict[str, bytes]:
    """A valid export, then up to four blows: random bytes, a cut, a deleted or inserted
    character, a changed cell, a dropped file, a repeated line, a swapped header."""
    found = {k: v.encode() for k, v in files(draw(cycle_datas(max_people=4))).items()}
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(_FILES))
        b = found.get(name, b"")
        op = draw(st.sampled_from(["bytes", "cut", "del", "ins", "cell", "drop", "dup", "swap"]))
        lines = b.split(b"\r\n")
        if op == "bytes":
            b = draw(st.binary(max_size=120))
        elif op == "cut":
            b = b[: draw(st.integers(0, len(b)))]
        elif op == "del" and b:
            i = draw(st.integers(0, len(b) - 1))
            b = b[:i] + b[i + draw(st.integers(1, 20)) :]
        elif op == "ins":
            i = draw(st.integers(0, len(b)))
            blob = draw(st.sampled_from([b",", b'"', b"\n", b";", b"=", b"\xff", b"\x00"]))
            b = b[:i] + blob + b[i:]
        elif op == "cell" and len(lines) > 1:
            k = draw(st.integers(1, len(lines) - 1))
            cells = lines[k].split(b",")
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(st.sampled_from(_CELLS) | st.text(max_size=6)).encode()
            lines[k] = b",".join(cells)
            b = b"\r\n".join(lines)
        elif op == "drop":
            found.pop(name, None)
            continue
        elif op == "dup" and len(lines) > 1:
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            b = b"\r\n".join(lines)
        elif op == "swap" and len(lines) > 2:
            lines[0], lines[1] = lines[1], lines[0]
            b = b"\r\n".join(lines)
        found[name] = b
    return found


@settings(SLOW)
@given(broken_exports(), st.sampled_from(["raise", "skip"]), st.sampled_from([None, True]))
def test_broken_exports_give_only_perfkit_errors(
    contents: dict[str, bytes], on_error: str, dayfirst: bool | None
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, data in contents.items():
            (root / name).write_bytes(data)
        try:
            result = load_dataset(root, on_error=on_error, dayfirst=dayfirst, assume_timezone="UTC")
        except DataImportError as err:
            refused = err
        except PerfkitError:
            return
        else:
            refused = None
        if refused is not None:
            assert refused.problems  # refused, and says why
            n = len(refused.problems)
            assert str(refused).count("\n") == min(n, 50) + (n > 50)
            return
        # What loaded is whole: it survives a round trip, and skip mode accounts for every row.
        assert isinstance(result.data, CycleData)
        if on_error == "raise":
            assert result.skipped == ()
        rows = _data_rows(contents.get("employees.csv", b""))
        kept = len(result.data.organisation.employees)
        dropped = sum(1 for s in result.skipped if s.kind is RecordKind.EMPLOYEE)
        if rows is not None:
            assert kept + dropped == rows


def _data_rows(data: bytes) -> int | None:
    """Data rows of a CSV file that loaded (blank lines aside), or None if unsure."""
    import csv
    import io

    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), strict=True))
    except (UnicodeDecodeError, csv.Error):
        return None
    rows = [r for r in rows if any(c.strip() for c in r)]
    return max(0, len(rows) - 1)


_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
json_values = (
    _scalars
    | st.lists(_scalars, max_size=3)
    | st.dictionaries(st.text(max_size=4), _scalars, max_size=3)
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for k, x in node.items():
            found += _paths(x, (*prefix, k))
    elif isinstance(node, list):
        for i, x in enumerate(node):
            found += _paths(x, (*prefix, i))
    return found


@st.composite
def broken_documents(draw: st.DrawFn) -> str:
    doc = json.loads(perfkit.dumps(draw(cycle_datas(max_people=4))))
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(_paths(doc)[1:]))
        parent = doc
        for key in where[:-1]:
            parent = parent[key]
        if draw(st.booleans()):
            parent[where[-1]] = draw(json_values | st.sampled_from(["e0000", "2026-01-01", ""]))
        else:
            del parent[where[-1]]
    text = json.dumps(doc)
    if draw(st.booleans()):
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(st.sampled_from(["", "{", "]", ",", '"'])) + text[i + 1 :]
    return text


@settings(SLOW)
@given(broken_documents(), st.sampled_from(["raise", "skip"]))
def test_broken_documents_give_only_perfkit_errors(text: str, on_error: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.json"
        path.write_text(text, encoding="utf-8")
        try:
            result = load_dataset(path, on_error=on_error)
        except PerfkitError:
            return
        assert perfkit.loads(perfkit.dumps(result.data), CycleData) == result.data


@given(st.sampled_from(_FILES), st.binary(max_size=300))
def test_random_bytes_give_only_perfkit_errors(name: str, blob: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for file, text in files(sample_cycle(3)).items():
            (root / file).write_text(text, encoding="utf-8", newline="")
        (root / name).write_bytes(blob)
        with contextlib.suppress(PerfkitError):
            load_dataset(root, on_error="skip")


def test_decimal_amounts_keep_their_digits(tmp_path: Path) -> None:
    people = PEOPLE.replace("52000.00,EUR", "52000.125,EUR")
    data = load_dataset(export(tmp_path, employees_csv=people)).data
    assert data.organisation.employee("e3").base_pay.amount == Decimal("52000.125")


def test_a_response_must_answer_a_request(tmp_path: Path) -> None:
    feedback = (
        "id,type,author,subject,at,text,request_id\n"
        "p1,praise,e1,e3,2026-03-02T09:00:00Z,Thanks,\n"
        "a1,feedback_response,e2,e3,2026-03-03T09:00:00Z,Fine,p1\n"
    )
    assert problems_of(export(tmp_path, feedback_csv=feedback)) == [
        "feedback.csv:3:request_id (col 7): 'p1' is not a feedback request"
    ]


# --- the fast readers and the full readers agree ----------------------------------------------

# How a respelling test may write each cell the importer reads without surrounding spaces (and
# choices in any case, with spaces for underscores): free text is kept as written, so it is not
# respelled.
_CELL_KINDS: dict[str, dict[str, str]] = {
    "units.csv": {"id": "id", "parent_id": "id", "head_id": "id"},
    "employees.csv": {
        "id": "id",
        "manager_id": "id",
        "unit_id": "id",
        "hire_date": "id",
        "end_date": "id",
        "base_pay": "id",
        "currency": "code",
        "band_minimum": "id",
        "band_midpoint": "id",
        "band_maximum": "id",
    },
    "goals.csv": {
        "id": "id",
        "owner_kind": "choice",
        "owner_id": "id",
        "metric": "choice",
        "cycle_id": "id",
        "aligns_to": "list",
        "weight": "id",
        "start_date": "id",
        "end_date": "id",
        "status": "choice",
        "baseline": "id",
        "target": "id",
        "direction": "choice",
        "revision": "id",
        "proposed_by": "id",
    },
    "milestones.csv": {"goal_id": "id", "id": "id", "weight": "id", "due": "id"},
    "checkins.csv": {
        "id": "id",
        "goal_id": "id",
        "author": "id",
        "at": "id",
        "value": "id",
        "done": "bool",
        "milestones_done": "list",
        "confidence": "id",
    },
    "feedback.csv": {
        "id": "id",
        "type": "choice",
        "author": "id",
        "subject": "id",
        "at": "id",
        "goal_id": "id",
        "competency": "id",
        "visibility": "choice",
        "context": "choice",
        "requested_from": "list",
        "request_id": "id",
    },
    "reviews.csv": {
        "id": "id",
        "subject": "id",
        "reviewer": "id",
        "role": "choice",
        "cycle_id": "id",
        "form_id": "id",
        "status": "choice",
        "version": "id",
        "criterion_id": "id",
        "rating": "rating",
    },
}


def _respelled(kind: str, text: str, loud: bool, label: str | None) -> str:
    """``text`` written another way the importer reads as the same value."""
    if not text:
        return text
    if kind == "choice":
        return f" {text.replace('_', ' ').title() if loud else text.upper()} "
    if kind == "bool":
        return {"true": " Yes " if loud else "TRUE", "false": " no" if loud else "N"}[text]
    if kind == "code":
        return f" {text.lower()} "
    if kind == "list":
        return ";".join(f" {item} " for item in text.split(";"))
    if kind == "rating" and label is not None:
        return f" {label} " if loud else label.upper()
    return f" {text} "


def _labels(data: CycleData) -> dict[tuple[str, str], str]:
    """``(criterion id, value text) → label`` for the ordinal scales of the form's criteria."""
    from perfkit.io._hris_cells import plain_number
    from perfkit.scales import OrdinalScale

    found = {}
    for form in data.forms:
        for criterion in form.criteria:
            scale = data.scales.get(criterion.scale)
            if isinstance(scale, OrdinalScale):
                for point in scale.points:
                    if scale.value_of(point.label) != point.value:
                        continue  # an earlier point has the same label
                    if plain_number(point.label.strip()) is not None:
                        continue  # a cell that reads as a number is that number
                    found[(criterion.id, repr(point.value))] = point.label
    return found


@settings(SLOW, max_examples=60)
@given(cycle_datas(max_people=4), st.data())
def test_respelled_cells_load_as_the_plain_ones(data: CycleData, pick: st.DataObject) -> None:
    """Plainly written rows take the fast readers; respelled ones take the full readers (ids
    with spaces, choices in capitals, ordinal labels for ratings): the same data either way."""
    import csv
    import io
    import tempfile

    labels = _labels(data)
    contents = {}
    for name, text in files(data).items():
        kinds = _CELL_KINDS.get(name)
        if kinds is None:
            contents[name] = text
            continue
        rows = list(csv.reader(io.StringIO(text, newline="")))
        header = rows[0]
        chosen = pick.draw(st.sets(st.sampled_from(sorted(kinds))), label=name)
        loud = pick.draw(st.booleans())
        for row in rows[1:]:
            for j, column in enumerate(header):
                if column in chosen:
                    label = None
                    if column == "rating":
                        label = labels.get((row[header.index("criterion_id")], row[j]))
                    row[j] = _respelled(kinds[column], row[j], loud, label)
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        contents[name] = out.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in contents.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8", newline="")
        assert load_dataset(tmp).data == data


def test_plain_rows_the_domain_refuses_are_reported_like_any_other(tmp_path: Path) -> None:
    checkins = (
        "id,goal_id,author,at,value,done,milestones_done,confidence,note\n"
        "c1,g2,e3,2026-02-01T10:00:00Z,90,,,1.5,fine\n"
        "c2,g2,e3,2026-02-01T10:00:00Z,90,true,,0.5,\n"
        "c3,g2,e3,2026-02-01T10:00:00Z,90,,,0.5,\n"
        "c3,g2,e3,2026-02-01T11:00:00Z,91,,,0.5,\n"
        "c4,g2,e3,2026-02-01T10:00:00,90,,,,\n"
    )
    goals = (
        GOALS
        + "g3,Third,employee,e3,numeric,g1=0,1,2,up\n"
        + "g4,Fourth,employee,e3,binary,,,,\n"
        + "g5,Fifth,unit,sales,numeric,,5,5,up\n"
    )
    reviews = (
        "id,subject,reviewer,role,criterion_id,rating\n"
        "r1,e3,e2,manager,goals,9\n"
        "r1,e3,e2,manager,teamwork,2.5\n"
        "r2,e3,e3,manager,goals,4\n"
        "r3,e2,e3,peer,goals,4\n"
        "r3,e2,e3,peer,goals,3\n"
        "r4,e2,e1,manager,goals,9\n"
    )
    feedback = (
        "id,type,author,subject,at,text,requested_from,question,request_id\n"
        "q1,feedback_request,e1,e3,2026-03-01T09:00:00Z,,e2;e2,How is Cy doing?,\n"
        "q2,feedback_request,e1,e3,2026-03-01T09:00:00Z,,e3,How is Cy doing?,\n"
        "a1,feedback_response,e3,e3,2026-03-02T09:00:00Z,Fine,,,q2\n"
        "p1,praise,e1,e1,2026-03-02T09:00:00Z,Thanks,,,\n"
    )
    root = export(
        tmp_path, checkins_csv=checkins, goals_csv=goals, reviews_csv=reviews, feedback_csv=feedback
    )
    off_scale = (
        "'9' is not on scale five-point v1 (allowed: 1 'Unsatisfactory', 2 'Needs improvement', "
        "3 'Meets expectations', 4 'Exceeds expectations', 5 'Outstanding')"
    )
    assert problems_of(root) == [
        "goals.csv:4:aligns_to (col 6): 'g1=0' item 1: weight 0.0 is not positive",
        "goals.csv:6:target (col 8): '5' is not above baseline 5 (direction up)",
        "checkins.csv:2:confidence (col 8): '1.5' is not between 0 and 1",
        "checkins.csv:3:done (col 6): 'true' does not apply to a numeric metric",
        "checkins.csv:5:id (col 1): 'c3' repeats the check-in id of checkins.csv:4",
        (
            "checkins.csv:6:at (col 4): '2026-02-01T10:00:00' has no time zone; give an offset "
            "(+02:00, Z) or load with assume_timezone='Europe/Paris' (the zone the export's "
            "times are in)"
        ),
        "feedback.csv:2:requested_from (col 7): 'e2;e2' item 2: 'e2' repeats requested_from[0]",
        (
            "feedback.csv:3:requested_from (col 7): 'e3' item 1: 'e3' is the subject; ask "
            "others about them"
        ),
        (
            "feedback.csv:4:subject (col 4): 'e3' is the author; a feedback response is about "
            "someone else"
        ),
        "feedback.csv:5:subject (col 4): 'e1' is the author; praise is about someone else",
        f"reviews.csv:2:rating (col 6): {off_scale}",
        (
            "reviews.csv:4:reviewer (col 3): 'e3' is the subject; a manager review is written "
            "by someone else"
        ),
        "reviews.csv:6: 'goals' repeats the criterion id of ratings[0]",
        f"reviews.csv:7:rating (col 6): {off_scale}",
    ]


def test_the_import_leaves_the_cycle_collector_as_it_found_it(tmp_path: Path) -> None:
    """The import pauses Python's cycle collector while it builds its objects, and only then."""
    import gc

    root = export(tmp_path)
    (tmp_path / "bad").mkdir()
    bad = export(tmp_path / "bad", employees_csv=PEOPLE.replace("e2,Bob Roy,e1", "e2,Bob Roy,e9"))
    was = gc.isenabled()
    try:
        gc.enable()
        load_dataset(root)
        assert gc.isenabled()
        with pytest.raises(DataImportError):
            load_dataset(bad)
        assert gc.isenabled()
        gc.disable()
        load_dataset(root)
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_imports_in_several_threads_share_one_pause(tmp_path: Path) -> None:
    """Threads that import at once: the collector is back on when the last one ends."""
    import gc
    import threading

    root = export(tmp_path)
    was = gc.isenabled()
    gc.enable()
    try:
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def work() -> None:
            try:
                start.wait()
                for _ in range(3):
                    load_dataset(root)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert gc.isenabled()
    finally:
        if not was:
            gc.disable()
