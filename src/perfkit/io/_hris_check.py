"""The checks that need more than one row: repeated ids, references across files, loops, readings
that must fit their goal's metric, feedback answers that must fit their request, reviews that must
fit their form; then skip mode's pruning and the final build of the :class:`CycleData`.

Every problem is reported at the row that holds the bad value, all of them in one pass.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import attrs

from .._errors import DocumentError, PerfkitError, ValidationError
from ..dataset import CycleData
from ..feedback import FeedbackLog, FeedbackRequest, FeedbackResponse
from ..goals import GoalSet, OwnerKind
from ..org import Organisation
from ..scales import ScaleCatalog
from ._hris_config import Config
from ._hris_model import (
    DataImportError,
    ImportProblem,
    ImportResult,
    RecordKind,
    _Record,
    sorted_problems,
)

K = RecordKind
_WHAT = {
    "unit": "is not an org unit",
    "employee": "is not an employee",
    "company": "is not the company (a root org unit)",
    "goal": "is not a goal",
    "feedback_request": "is not a feedback request",
}
_NOUN = {
    "unit": "org unit",
    "employee": "employee",
    "company": "company unit",
    "goal": "goal",
    "feedback_request": "feedback request",
}


@attrs.define(eq=False)
class Records:
    """Everything a reader found, before the checks."""

    source: str
    files: list[str]
    config_file: str
    by_kind: dict[RecordKind, list[_Record]] = attrs.Factory(lambda: defaultdict(list))
    problems: list[ImportProblem] = attrs.Factory(list)
    """Problems with a whole file (encoding, CSV syntax, header, the cycle file): never skipped."""
    notes: list[str] = attrs.Factory(list)
    unreadable: set[str] = attrs.Factory(set)
    """Kinds of record whose file could not be read: references to them are not checked (the
    file's own problem says enough)."""

    def all(self) -> Iterator[_Record]:
        for kind in RecordKind:
            yield from self.by_kind.get(kind, ())


_REF_FIELDS = (
    "aligns_to",
    "author",
    "goal_id",
    "head_id",
    "manager_id",
    "owner",
    "parent_id",
    "request_id",
    "requested_from",
    "reviewer",
    "subject",
    "unit_id",
)


def _view(rec: _Record) -> Any:
    """The record's object, or what could be read of it (missing fields are ``None``)."""
    if rec.obj is not None:
        return rec.obj
    if rec.fields is None:
        return None
    found: dict[str, Any] = dict.fromkeys(_REF_FIELDS)
    found.update((k, x) for k, x in rec.fields.items() if k in found)
    return SimpleNamespace(**found)


_PROVIDERS = frozenset({K.UNIT, K.EMPLOYEE, K.GOAL, K.FEEDBACK})


def _provides(rec: _Record) -> list[tuple[str, str]]:
    if rec.id is None or rec.kind not in _PROVIDERS:
        return []
    if rec.kind is K.UNIT:
        obj = _view(rec)
        keys = [("unit", rec.id)]
        if obj is None or obj.parent_id is None:
            keys.append(("company", rec.id))
        return keys
    if rec.kind is K.EMPLOYEE:
        return [("employee", rec.id)]
    if rec.kind is K.GOAL:
        return [("goal", rec.id)]
    if _may_be_request(rec):
        return [("feedback_request", rec.id)]
    return []


def _may_be_request(rec: _Record) -> bool:
    """A feedback request, or a record too broken to tell (its own problem is reported)."""
    if rec.obj is not None:
        return isinstance(rec.obj, FeedbackRequest)
    return rec.fields is None or rec.fields.get("requested_from") is not None


def _refs(rec: _Record) -> list[tuple[str, str, str]]:
    """``(field path, target kind, id)`` for each reference the record makes."""
    obj = _view(rec)
    if obj is None:
        return []
    kind = rec.kind
    ids: list[tuple[str, str, Any]]
    if kind is K.CHECK_IN:
        if rec.obj is not None:  # a built check-in's ids are strings
            return [("goal_id", "goal", obj.goal_id), ("author", "employee", obj.author)]
        ids = [("goal_id", "goal", obj.goal_id), ("author", "employee", obj.author)]
    elif kind is K.REVIEW:
        ids = [("subject", "employee", obj.subject), ("reviewer", "employee", obj.reviewer)]
    elif kind is K.FEEDBACK:
        ids = [("author", "employee", obj.author), ("subject", "employee", obj.subject)]
        for j, person in enumerate(getattr(obj, "requested_from", None) or ()):
            ids.append((f"requested_from[{j}]", "employee", person))
        ids.append(("goal_id", "goal", obj.goal_id))
        ids.append(("request_id", "feedback_request", getattr(obj, "request_id", None)))
    elif kind is K.UNIT:
        ids = [("parent_id", "unit", obj.parent_id), ("head_id", "employee", obj.head_id)]
    elif kind is K.EMPLOYEE:
        ids = [("manager_id", "employee", obj.manager_id), ("unit_id", "unit", obj.unit_id)]
    elif kind is K.GOAL:
        ids = []
        owner = obj.owner
        if owner is not None:
            target = {OwnerKind.EMPLOYEE: "employee", OwnerKind.UNIT: "unit"}.get(
                owner.kind, "company"
            )
            ids.append(("owner.id", target, owner.id))
        for j, a in enumerate(obj.aligns_to or ()):
            ids.append((f"aligns_to[{j}].parent_id", "goal", getattr(a, "parent_id", None)))
    else:
        return []
    return [ref for ref in ids if isinstance(ref[2], str)]


def _first_by_id(records: Iterable[_Record]) -> dict[str, _Record]:
    found: dict[str, _Record] = {}
    for r in records:
        if r.id is not None and r.id not in found:
            found[r.id] = r
    return found


def _duplicates(records: Sequence[_Record], noun: str) -> None:
    first: dict[str, _Record] = {}
    for r in records:
        if r.id is None:
            continue
        if r.id in first:
            r.problems.append(
                r.where.at("id", f"repeats the {noun} id of {first[r.id].where.label}")
            )
        else:
            first[r.id] = r


def _single_parent_loops(parent: Mapping[str, str | None]) -> list[tuple[str, ...]]:
    """Every loop of a parent map (each node has one parent, so loops are disjoint), each from
    its smallest id with that id repeated at the end; sorted."""
    done: set[str] = set()
    loops: list[tuple[str, ...]] = []
    for start in sorted(parent):
        if start in done:
            continue
        path: list[str] = []
        on_path: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in parent and node not in done and node not in on_path:
            on_path[node] = len(path)
            path.append(node)
            node = parent[node]
        if node is not None and node in on_path:
            loop = path[on_path[node] :]
            at = loop.index(min(loop))
            rotated = loop[at:] + loop[:at]
            loops.append((*rotated, rotated[0]))
        done.update(path)
    return sorted(loops)


def _graph_loops(parents: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """Loops of a graph where a node may have several parents: depth-first from each id in
    sorted order; a loop is kept unless it shares a node with one already found."""
    done: set[str] = set()
    taken: set[str] = set()
    loops: list[tuple[str, ...]] = []
    for start in sorted(parents):
        if start in done:
            continue
        path = [start]
        on_path = {start}
        stack = [iter(sorted(p for p in parents[start] if p in parents))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                node = path.pop()
                on_path.discard(node)
                done.add(node)
            elif nxt in on_path:
                loop = path[path.index(nxt) :]
                if not taken.intersection(loop):
                    taken.update(loop)
                    at = loop.index(min(loop))
                    rotated = loop[at:] + loop[:at]
                    loops.append((*rotated, rotated[0]))
            elif nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(sorted(p for p in parents[nxt] if p in parents)))
    return loops


def _loops(recs: Records) -> None:
    for kind, field, what in ((K.UNIT, "parent_id", "unit hierarchy"),):
        rows = _first_by_id(r for r in recs.by_kind.get(kind, ()) if r.obj is not None)
        for loop in _single_parent_loops({k: r.obj.parent_id for k, r in rows.items()}):
            rows[loop[0]].problems.append(
                rows[loop[0]].where.at(field, f"{what} loops: {' -> '.join(loop)}")
            )
    people = _first_by_id(r for r in recs.by_kind.get(K.EMPLOYEE, ()) if r.obj is not None)
    for loop in _single_parent_loops({k: r.obj.manager_id for k, r in people.items()}):
        people[loop[0]].problems.append(
            people[loop[0]].where.at("manager_id", f"reporting line loops: {' -> '.join(loop)}")
        )
    goals = _first_by_id(r for r in recs.by_kind.get(K.GOAL, ()) if r.obj is not None)
    graph = {k: [a.parent_id for a in r.obj.aligns_to] for k, r in goals.items()}
    for loop in _graph_loops(graph):
        rec = goals[loop[0]]
        j = next(i for i, a in enumerate(rec.obj.aligns_to) if a.parent_id == loop[1])
        rec.problems.append(
            rec.where.at(f"aligns_to[{j}].parent_id", f"goal alignment loops: {' -> '.join(loop)}")
        )


def _references(recs: Records) -> None:
    provided: dict[str, set[str]] = {target: set() for target in _WHAT}
    for r in recs.all():
        for target, key in _provides(r):
            provided[target].add(key)
    unreadable = recs.unreadable
    for r in recs.all():
        for path, target, key in _all_refs(r):
            if key not in provided[target] and target not in unreadable:
                r.problems.append(r.where.at(path, _WHAT[target], key))


def _all_refs(rec: _Record) -> Sequence[tuple[str, str, str]]:
    """The references found while reading the record, then those its object makes."""
    refs = _refs(rec)
    return [*rec.refs, *refs] if rec.refs else refs


def _fits(recs: Records, config: Config) -> None:
    cycle = config.cycle
    for r in recs.by_kind.get(K.GOAL, ()):
        g = r.obj
        if g is not None and cycle is not None and g.cycle_id not in (None, cycle.id):
            r.problems.append(r.where.at("cycle_id", f"is not this cycle ({cycle.id!r})"))
    goals = _first_by_id(r for r in recs.by_kind.get(K.GOAL, ()) if r.obj is not None)
    for r in recs.by_kind.get(K.CHECK_IN, ()):
        check_in = r.obj
        target = goals.get(check_in.goal_id) if check_in is not None else None
        if target is not None:
            try:
                target.obj.metric.check(check_in)
            except ValidationError as err:
                r.problems.append(r.where.at(err.path, err.reason, err.value))
    _feedback_fits(recs)
    forms = {f.id: f for f in config.forms or ()}
    # Whether a review fits its form depends on the form and the ratings only, and a big
    # export repeats the same few combinations of ratings thousands of times: each
    # combination is checked once (its problem, if any, is reported at every review with it).
    verdicts: dict[tuple[str, tuple[Any, ...]], tuple[str, str, object] | None] = {}
    for r in recs.by_kind.get(K.REVIEW, ()):
        review = r.obj
        if review is None:
            continue
        if cycle is not None and review.cycle_id != cycle.id:
            r.problems.append(r.where.at("cycle_id", f"is not this cycle ({cycle.id!r})"))
        if config.forms is None:
            continue
        form = forms.get(review.form_id)
        if form is None:
            known = ", ".join(sorted(forms)) or f"none; add [[forms]] to {recs.config_file}"
            r.problems.append(r.where.at("form_id", f"is not a review form (forms: {known})"))
        elif config.scales is not None:
            key = (form.id, review.ratings)
            if key not in verdicts:
                verdicts[key] = None
                try:
                    form.check(review, config.scales)
                except ValidationError as err:
                    verdicts[key] = (err.path, err.reason, err.value)
            verdict = verdicts[key]
            if verdict is not None:
                r.problems.append(r.where.at(*verdict))


def _feedback_fits(recs: Records) -> None:
    """The rules of :class:`~perfkit.feedback.FeedbackLog`, every breach at its response."""
    requests = {
        r.id: r.obj
        for r in reversed(recs.by_kind.get(K.FEEDBACK, ()))
        if isinstance(r.obj, FeedbackRequest) and r.id is not None
    }
    answered: dict[tuple[str, str], _Record] = {}
    for r in recs.by_kind.get(K.FEEDBACK, ()):
        e = r.obj
        if not isinstance(e, FeedbackResponse):
            continue
        request = requests.get(e.request_id)
        if request is None:
            continue
        if e.subject != request.subject:
            r.problems.append(
                r.where.at("subject", f"differs from the request's subject {request.subject!r}")
            )
        if e.author not in request.requested_from:
            r.problems.append(
                r.where.at(
                    "author",
                    f"was not asked by request {request.id!r} "
                    f"(asked: {', '.join(request.requested_from)})",
                )
            )
        if e.at < request.at:
            r.problems.append(
                r.where.at("at", f"is before its request {request.id!r} ({request.at.isoformat()})")
            )
        key = (request.id, e.author)
        if key in answered:
            r.problems.append(
                r.where.at(
                    "author",
                    f"already answered request {request.id!r} ({answered[key].where.label})",
                )
            )
        else:
            answered[key] = r


def _prune(records: Sequence[_Record]) -> set[int]:
    """Skip mode: the records to drop (by ``id()``): those with problems, then every record that
    refers to a dropped one, transitively."""
    count: dict[tuple[str, str], int] = defaultdict(int)
    label: dict[tuple[str, str], str] = {}
    referrers: dict[tuple[str, str], list[tuple[_Record, str]]] = defaultdict(list)
    for r in records:
        for key in _provides(r):
            count[key] += 1
        for path, target, ident in _all_refs(r):
            referrers[(target, ident)].append((r, path))
    bad = {id(r) for r in records if not r.ok}
    queue = deque(r for r in records if not r.ok)
    while queue:
        r = queue.popleft()
        for key in _provides(r):
            count[key] -= 1
            label.setdefault(key, r.where.label)
            if count[key] > 0:
                continue
            for other, path in referrers.get(key, ()):
                if id(other) not in bad:
                    bad.add(id(other))
                    reason = f"is a skipped {_NOUN[key[0]]} ({label[key]})"
                    other.skip_reason = [*other.skip_reason, other.where.at(path, reason)]
                    queue.append(other)
    return bad


def finish(recs: Records, config: Config, *, skip: bool) -> ImportResult:
    """Run the checks, then refuse the import (listing every problem) or build the data set
    (in skip mode, from the records that remain)."""
    for kind, noun in (
        (K.UNIT, "unit"),
        (K.EMPLOYEE, "employee"),
        (K.GOAL, "goal"),
        (K.CHECK_IN, "check-in"),
        (K.FEEDBACK, "feedback event"),
        (K.REVIEW, "review"),
    ):
        _duplicates(recs.by_kind.get(kind, []), noun)
    _references(recs)
    _loops(recs)
    _fits(recs, config)
    records = list(recs.all())
    fatal = [*recs.problems, *config.problems]
    row_problems = [p for r in records for p in r.problems]
    if fatal or (row_problems and not skip) or config.cycle is None:
        problems = sorted_problems([*fatal, *row_problems], recs.files)
        if not problems:  # pragma: no cover - a missing cycle always comes with its problem
            problems = [ImportProblem(file=recs.config_file, reason="is required (the cycle)")]
        raise DataImportError(problems, recs.source)
    bad = _prune(records) if skip else set()
    kept = {k: [r for r in rs if id(r) not in bad] for k, rs in recs.by_kind.items()}
    skipped = [r.skipped() for r in records if id(r) in bad]
    data = _build(recs, config, kept)
    return ImportResult(data=data, skipped=skipped, notes=recs.notes)


_PLACES = {
    "organisation.units": K.UNIT,
    "organisation.employees": K.EMPLOYEE,
    "goals.goals": K.GOAL,
    "goals.check_ins": K.CHECK_IN,
    "feedback.events": K.FEEDBACK,
    "reviews": K.REVIEW,
}
_PLACE = re.compile(r"^(?P<where>[a-z_.]+)\[(?P<i>[0-9]+)\]\.?(?P<rest>.*)$")


def _located(
    errors: Iterable[ValidationError], kept: Mapping[RecordKind, list[_Record]], source: str
) -> list[ImportProblem]:
    """Problems the final build found, at their rows where the path leads to one."""
    out = []
    for err in errors:
        m = _PLACE.match(err.path)
        kind = _PLACES.get(m.group("where")) if m else None
        rows = kept.get(kind, []) if kind is not None else []
        if m and kind is not None and int(m.group("i")) < len(rows):
            out.append(rows[int(m.group("i"))].where.at(m.group("rest"), err.reason, err.value))
        else:
            out.append(ImportProblem(file=source, reason=str(err)))
    return out


def _build(recs: Records, config: Config, kept: Mapping[RecordKind, list[_Record]]) -> CycleData:
    def objs(kind: RecordKind) -> list[Any]:
        return [r.obj for r in kept.get(kind, [])]

    assert config.cycle is not None
    try:
        try:
            org = Organisation(units=objs(K.UNIT), employees=objs(K.EMPLOYEE))
        except ValidationError as err:
            raise err.at("organisation") from None
        try:
            goals = GoalSet(goals=objs(K.GOAL), check_ins=objs(K.CHECK_IN))
        except ValidationError as err:
            raise err.at("goals") from None
        try:
            feedback = FeedbackLog(events=objs(K.FEEDBACK))
        except ValidationError as err:
            raise err.at("feedback") from None
        try:
            return CycleData(
                organisation=org,
                cycle=config.cycle,
                goals=goals,
                feedback=feedback,
                scales=config.scales if config.scales is not None else ScaleCatalog(),
                forms=config.forms or (),
                reviews=objs(K.REVIEW),
            )
        except DocumentError as err:
            problems = _located(err.errors, kept, recs.source)
    except ValidationError as err:
        problems = _located([err], kept, recs.source)
    except PerfkitError as err:  # pragma: no cover - every domain check raises ValidationError
        problems = [ImportProblem(file=recs.source, reason=str(err))]
    raise DataImportError(sorted_problems(problems, recs.files), recs.source)
