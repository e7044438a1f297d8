"""Strategies for HRIS imports: whole consistent data sets, their import reports, and ways to
break an export's files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
from hypothesis import assume
from hypothesis import strategies as st

from perfkit.dataset import CycleData
from perfkit.feedback import (
    Constructive,
    FeedbackLog,
    FeedbackRequest,
    FeedbackResponse,
    Note,
    Praise,
)
from perfkit.goals import CheckIn, GoalSet, Owner, OwnerKind
from perfkit.io import ImportProblem, RecordKind, SkippedRecord
from perfkit.io._hris_csv import EMPLOYEES, column_clash
from perfkit.metrics import MilestoneMetric
from perfkit.org import Employee, Organisation, OrgUnit
from perfkit.reviews import (
    Criterion,
    CriterionRating,
    Review,
    ReviewerRole,
    ReviewForm,
    ReviewStatus,
)
from perfkit.scales import BUILTIN_SCALES, FIVE_POINT, ScaleCatalog

from .common import aware_datetimes, ids, simple_ids, texts, unit_floats, weights
from .cycles import review_cycles
from .feedback import contexts, visibilities, words
from .goals import goals, readings
from .org import employee_fields, names
from .reviews import kinds, statuses
from .scales import ratings_on, scales

cell_ids = ids.filter(lambda s: ";" not in s)
"""Ids a CSV list cell can hold (``;`` separates the items of one cell)."""


def _attribute_key(key: str) -> bool:
    return (
        key == key.strip() and key not in EMPLOYEES.columns and column_clash(EMPLOYEES, key) is None
    )


attribute_keys = (st.sampled_from(["location", "gender", "cost_centre", "Region"]) | names).filter(
    _attribute_key
)
attribute_maps = st.dictionaries(attribute_keys, texts.filter(bool), max_size=3)


@st.composite
def _organisation(draw: st.DrawFn, max_people: int) -> Organisation:
    n_units = draw(st.integers(1, 3))
    unit_ids = draw(st.lists(cell_ids, min_size=n_units, max_size=n_units, unique=True))
    n = draw(st.integers(1, max_people))
    people = draw(st.lists(cell_ids, min_size=n, max_size=n, unique=True))
    employees = []
    for i, pid in enumerate(people):
        manager = draw(st.none() | st.sampled_from(people[:i])) if i else None
        fields = draw(employee_fields(employee_id=pid, unit_id=draw(st.sampled_from(unit_ids))))
        fields["manager_id"] = manager
        fields["attributes"] = draw(attribute_maps)
        employees.append(Employee(**fields))
    units = [
        OrgUnit(
            id=uid,
            name=draw(names),
            parent_id=draw(st.sampled_from(unit_ids[:i])) if i else None,
            head_id=draw(st.none() | st.sampled_from(people)),
        )
        for i, uid in enumerate(unit_ids)
    ]
    return Organisation(units=units, employees=employees)


@st.composite
def _goals(draw: st.DrawFn, org: Organisation, cycle_id: str) -> GoalSet:
    n = draw(st.integers(0, 6))
    names_ = draw(st.lists(simple_ids, min_size=n, max_size=n, unique=True))
    people = [e.id for e in org.employees]
    made = []
    for i, name in enumerate(names_):
        g = draw(goals(goal_id=name, parents=tuple(names_[:i])))
        if isinstance(g.metric, MilestoneMetric):
            assume(all(";" not in m.id for m in g.metric.milestones))
        kind = draw(st.sampled_from(OwnerKind))
        if kind is OwnerKind.EMPLOYEE:
            owner = Owner(kind=kind, id=draw(st.sampled_from(people)))
        elif kind is OwnerKind.UNIT:
            owner = Owner(kind=kind, id=draw(st.sampled_from([u.id for u in org.units])))
        else:
            owner = Owner(kind=kind, id=org.units[0].id)
        cycle = draw(st.sampled_from([None, cycle_id]))
        made.append(attrs.evolve(g, owner=owner, cycle_id=cycle))
    check_ins = []
    for k in range(draw(st.integers(0, 6)) if made else 0):
        goal = draw(st.sampled_from(made))
        check_ins.append(
            CheckIn(
                id=f"c{k}",
                goal_id=goal.id,
                author=draw(st.sampled_from(people)),
                at=draw(aware_datetimes),
                confidence=draw(st.none() | unit_floats),
                note=draw(texts),
                **draw(readings(goal.metric)),
            )
        )
    return GoalSet(goals=made, check_ins=check_ins)


@st.composite
def _feedback(draw: st.DrawFn, org: Organisation, goal_ids: list[str]) -> FeedbackLog:
    people = [e.id for e in org.employees]
    if len(people) < 2:
        return FeedbackLog()
    events: list[Any] = []
    requests: list[FeedbackRequest] = []
    for k in range(draw(st.integers(0, 6))):
        author, subject = draw(st.permutations(people))[:2]
        common = {
            "id": f"f{k}",
            "author": author,
            "subject": subject,
            "at": draw(aware_datetimes),
            "goal_id": draw(st.none() | st.sampled_from(goal_ids)) if goal_ids else None,
            "competency": draw(st.none() | cell_ids),
            "visibility": draw(visibilities),
        }
        kind = draw(st.sampled_from(["praise", "constructive", "note", "request", "response"]))
        if kind == "praise":
            events.append(Praise(text=draw(words), **common))
        elif kind == "constructive":
            events.append(Constructive(text=draw(words), **common))
        elif kind == "note":
            events.append(Note(text=draw(words), context=draw(contexts), **common))
        elif kind == "request":
            asked = draw(
                st.lists(
                    st.sampled_from([p for p in people if p != subject]), min_size=1, unique=True
                )
            )
            request = FeedbackRequest(
                requested_from=asked, question=draw(words), text=draw(texts), **common
            )
            requests.append(request)
            events.append(request)
        elif requests:
            request = draw(st.sampled_from(requests))
            answered = {
                e.author
                for e in events
                if isinstance(e, FeedbackResponse) and e.request_id == request.id
            }
            free = [p for p in request.requested_from if p not in answered]
            if free:
                events.append(
                    FeedbackResponse(
                        id=f"f{k}",
                        request_id=request.id,
                        author=draw(st.sampled_from(free)),
                        subject=request.subject,
                        at=request.at + timedelta(minutes=draw(st.integers(0, 10_000))),
                        text=draw(words),
                        goal_id=common["goal_id"],
                        visibility=draw(visibilities),
                    )
                )
    return FeedbackLog(events=events)


@st.composite
def _catalog(draw: st.DrawFn) -> ScaleCatalog:
    extra = draw(st.lists(scales, max_size=2, unique_by=lambda s: (s.id, s.version)))
    extra = [s for s in extra if s.ref not in BUILTIN_SCALES]
    if draw(st.booleans()):
        return ScaleCatalog(scales=[*BUILTIN_SCALES.scales, *extra])
    return ScaleCatalog(scales=[FIVE_POINT, *extra])


@st.composite
def cycle_datas(draw: st.DrawFn, max_people: int = 5) -> CycleData:
    """A small consistent data set with every kind of record (and ids a CSV export can hold)."""
    cycle = draw(review_cycles())
    org = draw(_organisation(max_people))
    goal_set = draw(_goals(org, cycle.id))
    log = draw(_feedback(org, [g.id for g in goal_set.goals]))
    catalog = draw(_catalog())
    n = draw(st.integers(1, 3))
    criteria = [
        Criterion(
            id=f"k{i}",
            name=draw(names),
            kind=draw(kinds),
            weight=draw(weights),
            scale=draw(st.sampled_from(catalog.scales)).ref,
            description=draw(texts),
        )
        for i in range(n)
    ]
    form = ReviewForm(id=draw(cell_ids), name=draw(names), criteria=criteria)
    people = [e.id for e in org.employees]
    reviews = []
    for k in range(draw(st.integers(0, 4))):
        role = draw(st.sampled_from(ReviewerRole))
        subject = draw(st.sampled_from(people))
        others = [p for p in people if p != subject]
        if role is not ReviewerRole.SELF and not others:
            continue
        reviewer = subject if role is ReviewerRole.SELF else draw(st.sampled_from(others))
        rated = draw(st.lists(st.sampled_from(criteria), unique_by=lambda c: c.id))
        ratings = [
            CriterionRating(
                criterion_id=c.id,
                rating=draw(ratings_on(catalog.get(c.scale))),
                comment=draw(texts),
            )
            for c in rated
        ]
        status = draw(statuses) if ratings else ReviewStatus.DRAFT
        reviews.append(
            Review(
                id=f"r{k}",
                cycle_id=cycle.id,
                form_id=form.id,
                subject=subject,
                reviewer=reviewer,
                role=role,
                ratings=ratings,
                summary=draw(texts),
                status=status,
                employee_comment=draw(texts) if status is ReviewStatus.ACKNOWLEDGED else "",
                version=draw(st.integers(1, 9)),
            )
        )
    return CycleData(
        organisation=org,
        cycle=cycle,
        goals=goal_set,
        feedback=log,
        scales=catalog,
        forms=[form],
        reviews=reviews,
    )


# --- the report's types -------------------------------------------------------------------

import_problems = st.builds(
    ImportProblem,
    file=st.sampled_from(["employees.csv", "goals.csv", "data.json"]),
    line=st.none() | st.integers(1, 10_000),
    column=st.none() | st.sampled_from(["manager_id", "hire_date", "data.goals.goals[3].weight"]),
    column_number=st.none() | st.integers(1, 40),
    value=st.none() | texts,
    reason=words,
)

skipped_records = st.builds(
    SkippedRecord,
    kind=st.sampled_from(RecordKind),
    file=st.sampled_from(["employees.csv", "reviews.csv"]),
    id=st.none() | ids,
    lines=st.lists(st.integers(1, 500), max_size=3),
    path=st.none() | st.just("data.reviews[2]"),
    problems=st.lists(import_problems, min_size=1, max_size=3),
)
