"""Results export: canonical JSON, CSV files that read back to the same numbers, and the files
write_results puts in a directory."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given

from perfkit._errors import ValidationError
from perfkit._serialization import loads
from perfkit.calibration import CalibrationEntry, CalibrationSession, DistributionGuideline, Target
from perfkit.cycles import ReviewCycle
from perfkit.dataset import CycleData
from perfkit.io._export import (
    ADJUSTMENT_COLUMNS,
    DISTRIBUTION_COLUMNS,
    EMPLOYEE_COLUMNS,
    POOL_COLUMNS,
    result_csv,
    result_csv_files,
    result_json,
    write_results,
)
from perfkit.money import Money
from perfkit.ninebox import NineBoxCell
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.rewards import MeritAllocation, MeritProposal, PoolReport
from perfkit.run import CycleResult, EmployeeResult, run_cycle
from perfkit.sample import sample_cycle, sample_policy
from perfkit.scales import BUILTIN_SCALES, FIVE_POINT
from perfkit.scoring import Component, Score

from .strategies.export import cycle_results

AT = datetime(2026, 12, 20, 18, tzinfo=UTC)
FILES = ("adjustments.csv", "distribution.csv", "employees.csv", "pools.csv")


def rows(text: str) -> list[dict[str, str]]:
    """Read CSV text the way a consumer would (csv module, newline="")."""
    return list(csv.DictReader(io.StringIO(text, newline="")))


def header(text: str) -> tuple[str, ...]:
    return tuple(next(csv.reader(io.StringIO(text, newline=""))))


# --- a result small enough to check by hand ------------------------------------------------


def eur(x: str) -> Money:
    return Money.of(x, "EUR")


def hand_result() -> CycleResult:
    """Two people: ann scored 3.8 (rated 4, calibrated to 5 by dana), ben 2.5 (rated 3, left
    there). Ann gets 5% of 50,000.00 EUR = 2,500.00 EUR, scaled by the pool to 2,000.00 EUR."""
    entries = [
        CalibrationEntry(
            employee_id=pid,
            unit_id="team",
            job_level="L3",
            score=score,
            rating=FIVE_POINT.rate(rating),
        )
        for pid, score, rating in (("ann", 3.8, 4), ("ben", 2.5, 3))
    ]
    session = CalibrationSession(
        id="fy-calibration", name="FY: calibration", scale=FIVE_POINT.ref, population=entries
    )
    session, _ = session.adjust(
        "ann",
        5,
        "dana",
        datetime(2026, 12, 14, 10, tzinfo=UTC),
        'led the "big", migration',
        FIVE_POINT,
    )
    merit = MeritProposal(
        employee_id="ann",
        base_pay=eur("50000"),
        rating=FIVE_POINT.rate(5),
        compa_ratio=Decimal("1.00"),
        band="0.95-1.05",
        pct=Decimal(5),
        raw_increase=eur("2500"),
        factor=Decimal("0.8"),
        final_increase=eur("2000"),
        pool_id="team",
    )
    pool = PoolReport(
        unit_id="team",
        amount=eur("2000"),
        demand=eur("2500"),
        factor=Decimal("0.8"),
        spend=eur("2000"),
        remaining=eur("0"),
        headcount=1,
    )
    guideline = DistributionGuideline(
        scale=FIVE_POINT.ref,
        targets=[Target(value=3, minimum=0.5, maximum=1), Target(value=5, minimum=0, maximum=0.2)],
    )

    def score(pid: str, value: float) -> Score:
        return Score.of(pid, "simple", FIVE_POINT.ref, [Component.leaf("goals", 1, value)])

    people = [
        EmployeeResult(
            employee_id="ann",
            unit_id="team",
            score=score("ann", 3.8),
            rating_before=FIVE_POINT.rate(4),
            rating_after=FIVE_POINT.rate(5),
            adjustments=session.history("ann"),
            nine_box=NineBoxCell.numbered(9),
            merit=merit,
            plan_ids=["growth-ann", "mentoring-ann"],
        ),
        EmployeeResult(
            employee_id="ben",
            unit_id="team",
            score=score("ben", 2.5),
            rating_before=FIVE_POINT.rate(3),
            rating_after=FIVE_POINT.rate(3),
        ),
    ]
    return CycleResult(
        cycle_id="fy",
        policy="simple",
        at=AT,
        employees=people,
        calibration=session,
        distribution=session.report(),
        guideline=guideline,
        merit=MeritAllocation(proposals=[merit], pools=[pool]),
    )


def hand_data() -> CycleData:
    def person(pid: str, name: str, manager: str | None) -> Employee:
        return Employee(
            id=pid,
            name=name,
            manager_id=manager,
            unit_id="team",
            hire_date=date(2020, 1, 1),
            job_level="L3",
            base_pay=eur("50000"),
        )

    org = Organisation(
        units=[OrgUnit(id="co", name="Co"), OrgUnit(id="team", name="Platform", parent_id="co")],
        employees=[
            person("dana", "Dana Diaz", None),
            person("ann", "Ann Lee", "dana"),
            person("ben", "Ben Okafor", "dana"),
        ],
    )
    cycle = ReviewCycle(id="fy", name="FY 2026", start=date(2026, 1, 1), end=date(2026, 12, 31))
    return CycleData(organisation=org, cycle=cycle, scales=BUILTIN_SCALES)


def test_employees_csv_by_hand() -> None:
    assert result_csv(hand_result()) == (
        ",".join(EMPLOYEE_COLUMNS) + "\r\n"
        "ann,,team,,3.8,five-point v1,4,,5,,true,9,Star,,5,2000.00,EUR,team,,,0,"
        '"growth-ann\nmentoring-ann",'
        '"3.80 = goals 1 × 3.80; rating 4 by the cut-offs; calibrated 4 → 5 by dana on '
        '2026-12-14: led the ""big"", migration; 9-box 9: Star; merit 5% of 50,000.00 EUR = '
        "2,500.00 EUR, scaled 0.8 by pool team → 2,000.00 EUR; development plan growth-ann; "
        'development plan mentoring-ann"\r\n'
        "ben,,team,,2.5,five-point v1,3,,3,,false,,,,,,,,,,0,,"
        "2.50 = goals 1 × 2.50; rating 3 by the cut-offs\r\n"
    )


def test_names_and_labels_come_from_the_data() -> None:
    text = result_csv(hand_result(), data=hand_data())
    ann, ben = rows(text)
    assert (ann["employee_name"], ann["unit_name"]) == ("Ann Lee", "Platform")
    assert (ann["rating_before_label"], ann["rating_after_label"]) == (
        "Exceeds expectations",
        "Outstanding",
    )
    assert (ben["employee_name"], ben["rating_after_label"]) == ("Ben Okafor", "Meets expectations")


def test_adjustments_pools_and_distribution_by_hand() -> None:
    files = result_csv_files(hand_result(), data=hand_data())
    assert tuple(files) == FILES
    assert files["adjustments.csv"] == (
        ",".join(ADJUSTMENT_COLUMNS) + "\r\n"
        '1,ann,Ann Lee,4,5,dana,2026-12-14T10:00:00+00:00,"led the ""big"", migration"\r\n'
    )
    assert files["pools.csv"] == (
        ",".join(POOL_COLUMNS) + "\r\nteam,Platform,EUR,2000.00,2500.00,0.8,2000.00,0.00,1\r\n"
    )
    # ann 4 → 5, ben 3; the guideline lists 3 (50-100 %) and 5 (0-20 %).
    assert files["distribution.csv"] == (
        ",".join(DISTRIBUTION_COLUMNS) + "\r\n"
        "3,Meets expectations,1,0.5,1,0.5,0.5,1\r\n"
        "4,Exceeds expectations,1,0.5,0,0,,\r\n"
        "5,Outstanding,0,0,1,0.5,0,0.2\r\n"
    )
    assert files["employees.csv"] == result_csv(hand_result(), data=hand_data())


# --- properties ----------------------------------------------------------------------------


@given(cycle_results())
def test_json_is_canonical_and_reads_back(result: CycleResult) -> None:
    text = result_json(result)
    again = loads(text, CycleResult)
    assert again == result
    assert result_json(again) == text


@given(cycle_results())
def test_employees_csv_reads_back_to_the_same_numbers(result: CycleResult) -> None:
    text = result_csv(result)
    assert header(text) == EMPLOYEE_COLUMNS
    found = rows(text)
    people = sorted(result.employees, key=lambda e: e.employee_id)
    assert [r["employee_id"] for r in found] == [e.employee_id for e in people]
    for row, e in zip(found, people, strict=True):
        assert row["unit_id"] == e.unit_id
        assert float(row["score"]) == e.score.value
        assert float(row["rating_before"]) == e.rating_before.value
        assert float(row["rating_after"]) == e.rating_after.value
        assert row["rating_scale"] == str(e.rating_after.scale)
        assert row["calibrated"] == ("true" if e.adjustments else "false")
        assert row["nine_box"] == ("" if e.nine_box is None else str(e.nine_box.number))
        if e.merit is None:
            assert row["merit_amount"] == row["merit_currency"] == row["merit_pct"] == ""
        else:
            assert Decimal(row["merit_amount"]) == e.merit.final_increase.amount
            assert row["merit_currency"] == e.merit.final_increase.currency
            assert Decimal(row["merit_pct"]) == e.merit.pct
        if e.bonus is None:
            assert row["bonus_amount"] == ""
        else:
            bonus = Money(amount=Decimal(row["bonus_amount"]), currency=row["bonus_currency"])
            assert bonus == e.bonus.amount
        eligible = {"": None, "true": True, "false": False}[row["eligible"]]
        assert eligible == (None if e.eligibility is None else e.eligibility.eligible)
        assert int(row["awards"]) == len(e.awards)
        plans = row["plan_ids"].split("\n") if row["plan_ids"] else []
        assert plans == list(e.plan_ids)
        assert row["explanation"] == e.explain()


@given(cycle_results())
def test_the_other_csv_files_read_back(result: CycleResult) -> None:
    files = result_csv_files(result)
    assert tuple(files) == FILES
    assert files["employees.csv"] == result_csv(result)
    adjustments = rows(files["adjustments.csv"])
    assert header(files["adjustments.csv"]) == ADJUSTMENT_COLUMNS
    assert len(adjustments) == len(result.calibration.adjustments)
    for n, (row, a) in enumerate(zip(adjustments, result.calibration.adjustments, strict=True)):
        assert int(row["sequence"]) == n + 1
        assert row["employee_id"] == a.employee_id
        assert (float(row["from_value"]), float(row["to_value"])) == (a.from_value, a.to_value)
        assert (row["by"], row["reason"]) == (a.by, a.reason)
        assert datetime.fromisoformat(row["at"]) == a.at
        assert datetime.fromisoformat(row["at"]).utcoffset() == a.at.utcoffset()
    pools = rows(files["pools.csv"])
    reports = [] if result.merit is None else sorted(result.merit.pools, key=lambda p: p.unit_id)
    assert [r["unit_id"] for r in pools] == [p.unit_id for p in reports]
    for row, p in zip(pools, reports, strict=True):
        assert row["currency"] == p.amount.currency
        assert Decimal(row["budget"]) == p.amount.amount
        assert Decimal(row["demand"]) == p.demand.amount
        assert Decimal(row["factor"]) == p.factor
        assert Decimal(row["spend"]) == p.spend.amount
        assert Decimal(row["remaining"]) == p.remaining.amount
        assert int(row["headcount"]) == p.headcount
    distribution = rows(files["distribution.csv"])
    before = {c.value: c for c in result.distribution.before.values}
    after = {c.value: c for c in result.distribution.after.values}
    values = [float(r["rating_value"]) for r in distribution]
    assert values == sorted(values)
    for row in distribution:
        value = float(row["rating_value"])
        old, new = before.get(value), after.get(value)
        assert int(row["before_count"]) == (0 if old is None else old.count)
        assert float(row["before_share"]) == (0.0 if old is None else old.share)
        assert int(row["after_count"]) == (0 if new is None else new.count)
        assert float(row["after_share"]) == (0.0 if new is None else new.share)
        target = None if result.guideline is None else result.guideline.target(value)
        if target is None:
            assert row["guideline_minimum"] == row["guideline_maximum"] == ""
        else:
            assert float(row["guideline_minimum"]) == target.minimum
            assert float(row["guideline_maximum"]) == target.maximum
    assert set(values) >= set(before) | set(after)


@given(cycle_results())
def test_csv_is_rfc_4180(result: CycleResult) -> None:
    for name, text in result_csv_files(result).items():
        assert text.endswith("\r\n"), name
        parsed = list(csv.reader(io.StringIO(text, newline="")))
        assert len({len(r) for r in parsed}) == 1, name
        again = io.StringIO(newline="")
        csv.writer(again, lineterminator="\r\n").writerows(parsed)
        assert again.getvalue() == text, name


# --- write_results -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> tuple[CycleData, CycleResult]:
    data = sample_cycle(24, seed=11)
    return data, run_cycle(data, sample_policy(data, calibration="force"), at=AT)


def test_write_results_writes_every_format(
    tmp_path: Path, sample: tuple[CycleData, CycleResult]
) -> None:
    data, result = sample
    written = write_results(result, tmp_path / "out", data=data)
    names = [p.name for p in written]
    assert names == [*FILES[:3], "pools.csv", "report.html", "results.json"]
    assert all(p.parent == tmp_path / "out" for p in written)
    assert (tmp_path / "out" / "results.json").read_bytes() == result_json(result).encode()
    for name, text in result_csv_files(result, data=data).items():
        assert (tmp_path / "out" / name).read_bytes() == text.encode("utf-8")
    loaded = loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"), CycleResult)
    assert loaded == result
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>")
    assert html.escape(data.organisation.employee(result.employees[0].employee_id).name) in report


def test_write_results_is_byte_identical(
    tmp_path: Path, sample: tuple[CycleData, CycleResult]
) -> None:
    data, result = sample
    first = write_results(result, tmp_path / "a", data=data)
    again = run_cycle(data, sample_policy(data, calibration="force"), at=AT)
    second = write_results(again, tmp_path / "b", data=data)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


def test_write_results_picks_formats(tmp_path: Path, sample: tuple[CycleData, CycleResult]) -> None:
    _, result = sample
    assert [p.name for p in write_results(result, tmp_path, formats=["json"])] == ["results.json"]
    assert [p.name for p in write_results(result, str(tmp_path / "h"), formats="html")] == [
        "report.html"
    ]
    csvs = write_results(result, tmp_path / "c", formats=("csv", "csv"))
    assert [p.name for p in csvs] == list(FILES)


def test_write_results_refuses_bad_arguments(
    tmp_path: Path, sample: tuple[CycleData, CycleResult]
) -> None:
    _, result = sample
    with pytest.raises(ValidationError, match=r"^result: 'x' is not a CycleResult"):
        write_results("x", tmp_path)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^formats\[1\]: 'pdf' is not a format"):
        write_results(result, tmp_path, formats=["json", "pdf"])
    with pytest.raises(ValidationError, match=r"^formats: \(\) is empty"):
        write_results(result, tmp_path, formats=())
    with pytest.raises(ValidationError, match=r"^formats: 3 is not a collection"):
        write_results(result, tmp_path, formats=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^out_dir: 7 is not a directory path"):
        write_results(result, 7)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^out_dir: '' is empty"):
        write_results(result, "")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ValidationError, match=r"is a file, not a directory"):
        write_results(result, a_file)
    with pytest.raises(ValidationError, match=r"^data: 1 is not a CycleData"):
        write_results(result, tmp_path / "d", data=1)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^data\.cycle\.id: 'fy' is not the result's cycle"):
        write_results(result, tmp_path / "d", data=hand_data())
    assert not (tmp_path / "d").exists()  # nothing is written when anything is refused
    with pytest.raises(ValidationError, match=r"^result: None is not a CycleResult"):
        result_json(None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"^result: \[\] is not a CycleResult"):
        result_csv([])  # type: ignore[arg-type]


def test_text_that_is_not_unicode_is_refused_before_writing(tmp_path: Path) -> None:
    result = hand_result()
    session, _ = result.calibration.adjust("ben", 2, "dana", AT, "bad \ud800 text", FIVE_POINT)
    broken = CycleResult(
        cycle_id=result.cycle_id,
        policy=result.policy,
        at=result.at,
        employees=result.employees,
        calibration=session,
        distribution=session.report(),
    )
    with pytest.raises(ValidationError, match=r"^adjustments\.csv: .* not valid Unicode"):
        write_results(broken, tmp_path / "out", formats=["csv"])
    assert not (tmp_path / "out").exists()
