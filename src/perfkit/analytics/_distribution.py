"""Rating distributions by group: how ratings spread within each unit, manager, job level or
any employee attribute (location, gender, ...)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import attrs

from .. import _validation as v
from .._errors import NotFoundError, UnknownReferenceError, ValidationError
from ..org import Employee, Organisation
from ..scales import NumericScale, OrdinalScale, ScaleRef
from . import _common as c

__all__ = [
    "DistributionSummary",
    "GroupDistribution",
    "Grouping",
    "PointCount",
    "distribution_by",
    "groups_by_attribute",
]


class Grouping(enum.StrEnum):
    """What people are grouped by in a distribution summary (the names of
    :class:`perfkit.calibration.GroupBy`, plus employee attributes)."""

    UNIT = "unit"
    """The org unit a person belongs to (``Employee.unit_id``)."""
    MANAGER = "manager"
    """The person's manager (``Employee.manager_id``): each manager's team."""
    JOB_LEVEL = "job_level"
    """The job level (``Employee.job_level``)."""
    ATTRIBUTE = "attribute"
    """An employee attribute (``Employee.attributes[name]``): location, gender, age band."""


def _to_group_by(value: Any) -> Any:
    return v.as_enum(Grouping, value)


@attrs.frozen(kw_only=True)
class PointCount:
    """How many people of a group got one rating value (a scale point), and their share."""

    value: float = c.float_field()
    count: int = attrs.field(validator=v.count)
    share: float = c.float_field(c.probability)
    label: str = attrs.field(default="", validator=v.text)

    def sentence(self) -> str:
        """``3 (Meets expectations): 2 people, 66.7%``."""
        label = f" ({self.label})" if self.label else ""
        people = "1 person" if self.count == 1 else f"{self.count} people"
        return f"{c.g(self.value)}{label}: {people}, {c.percent(self.share)}"


@attrs.frozen(kw_only=True)
class GroupDistribution:
    """The ratings of one group: ``n`` people, mean, sample standard deviation (``None`` for a
    single person), lowest and highest rating, and the count and share per rating value.

    A ``suppressed`` group is smaller than the report's minimum group size: only its size is
    shown, every figure is ``None`` and ``points`` is empty.
    """

    group: str = attrs.field(validator=v.non_empty_text)
    n: int = attrs.field(validator=v.count)
    suppressed: bool = attrs.field(default=False, validator=v.instance_of(bool))
    mean: float | None = c.optional_float_field()
    sd: float | None = c.optional_float_field(c.optional_non_negative)
    minimum: float | None = c.optional_float_field()
    maximum: float | None = c.optional_float_field()
    points: tuple[PointCount, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(PointCount))
    )

    def __attrs_post_init__(self) -> None:
        if self.suppressed:
            for name in ("mean", "sd", "minimum", "maximum"):
                if getattr(self, name) is not None:
                    raise ValidationError(name, getattr(self, name), "is set on a suppressed group")
            if self.points:
                raise ValidationError("points", self.points, "are set on a suppressed group")
        elif self.n > 0 and self.mean is None:
            raise ValidationError("mean", None, f"is missing for a group of {self.n}")

    def count(self, value: float) -> int:
        """How many in the group got ``value`` (0 if nobody, or if the group is suppressed)."""
        number = c.number("value", value)
        return next((p.count for p in self.points if p.value == number), 0)

    def sentence(self) -> str:
        """``Berlin: 12 people, mean 3.25 (sd 0.87), from 2 to 5; 3: 5 (41.7%), 4: 4 (33.3%)``."""
        if self.suppressed:
            return f"{self.group}: {self.n} people, too few to report: suppressed"
        if self.n == 0 or self.mean is None:
            return f"{self.group}: nobody rated"
        people = "1 person" if self.n == 1 else f"{self.n} people"
        spread = "" if self.sd is None else f" (sd {c.g(self.sd)})"
        assert self.minimum is not None
        assert self.maximum is not None
        shown = ", ".join(
            f"{c.g(p.value)}: {p.count} ({c.percent(p.share)})" for p in self.points if p.count
        )
        return (
            f"{self.group}: {people}, mean {c.g(self.mean)}{spread}, "
            f"from {c.g(self.minimum)} to {c.g(self.maximum)}; {shown}"
        )


@attrs.frozen(kw_only=True)
class DistributionSummary:
    """Ratings summarised per group (sorted by group name), with every group listing the same
    rating values so that groups can be compared column by column.

    ``ungrouped`` counts the rated people who have no group (no manager, or no value for the
    attribute): they are left out. ``overall`` summarises everyone grouped together; it is
    ``None`` when groups are suppressed and the suppressed groups together hold fewer than
    ``min_group_size`` people (their figures could be worked out as overall minus the rest).
    """

    by: Grouping = attrs.field(converter=_to_group_by, validator=v.enum_member(Grouping))
    attribute: str | None = attrs.field(default=None, validator=v.optional(v.non_empty_text))
    scale: ScaleRef | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(ScaleRef))
    )
    min_group_size: int = attrs.field(default=1, validator=c.at_least_one)
    groups: tuple[GroupDistribution, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(GroupDistribution))
    )
    overall: GroupDistribution | None = attrs.field(
        default=None, validator=v.optional(v.instance_of(GroupDistribution))
    )
    ungrouped: int = attrs.field(default=0, validator=v.count)

    def group(self, name: str) -> GroupDistribution:
        """One group's distribution (:class:`~perfkit.NotFoundError` if there is no such group)."""
        for gd in self.groups:
            if gd.group == name:
                return gd
        raise NotFoundError("group", str(name))

    @property
    def suppressed(self) -> tuple[str, ...]:
        """The names of the suppressed groups."""
        return tuple(gd.group for gd in self.groups if gd.suppressed)

    def sentences(self) -> tuple[str, ...]:
        """One sentence per group, then the overall figures and who was left out."""
        out = [gd.sentence() for gd in self.groups]
        if self.overall is not None:
            out.append(self.overall.sentence())
        if self.ungrouped:
            out.append(f"{self.ungrouped} rated people have no {self._what()}: left out")
        return tuple(out)

    def _what(self) -> str:
        if self.by is Grouping.ATTRIBUTE:
            return f"{self.attribute!r} attribute"
        return self.by.value.replace("_", " ")

    def explain(self) -> str:
        """The summary as text: what it groups by, then :meth:`sentences`, a line each."""
        head = f"ratings by {self._what()}"
        if self.min_group_size > 1:
            head += f" (groups under {self.min_group_size} people suppressed)"
        return "\n".join([head, *self.sentences()])


def groups_by_attribute(organisation: Organisation, attribute: str) -> dict[str, str]:
    """Each employee's value of one attribute (``{"e1": "Berlin", ...}``), by employee id, for
    :func:`~perfkit.analytics.adverse_impact`; employees without the attribute are left out."""
    if not isinstance(organisation, Organisation):
        raise ValidationError("organisation", organisation, "is not an Organisation")
    if not isinstance(attribute, str) or not attribute:
        raise ValidationError("attribute", attribute, "is not an attribute name")
    return {
        e.id: e.attributes[attribute]
        for e in sorted(organisation.employees, key=lambda e: e.id)
        if attribute in e.attributes
    }


def _key(by: Grouping, attribute: str | None, employee: Employee) -> str | None:
    if by is Grouping.UNIT:
        return employee.unit_id
    if by is Grouping.MANAGER:
        return employee.manager_id
    if by is Grouping.JOB_LEVEL:
        return employee.job_level
    assert attribute is not None
    return employee.attributes.get(attribute)


def _summary(
    name: str,
    values: list[float],
    points: tuple[float, ...],
    labels: Mapping[float, str],
    suppressed: bool,
) -> GroupDistribution:
    n = len(values)
    if suppressed:
        return GroupDistribution(group=name, n=n, suppressed=True)
    if n == 0:
        return GroupDistribution(group=name, n=0)
    counts: dict[float, int] = {}
    for x in values:
        counts[x] = counts.get(x, 0) + 1
    return GroupDistribution(
        group=name,
        n=n,
        mean=c.mean(values),
        sd=c.sd(values) if n > 1 else None,
        minimum=min(values),
        maximum=max(values),
        points=tuple(
            PointCount(
                value=p,
                count=counts.get(p, 0),
                share=counts.get(p, 0) / n,
                label=labels.get(p, ""),
            )
            for p in points
        ),
    )


def distribution_by(
    ratings: Mapping[str, float],
    organisation: Organisation,
    by: Grouping | str = Grouping.UNIT,
    *,
    attribute: str | None = None,
    scale: NumericScale | OrdinalScale | None = None,
    min_group_size: int | None = None,
) -> DistributionSummary:
    """Summarise ratings (employee id → rating) per unit, manager, job level or attribute.

    ``by`` is ``"unit"`` (default), ``"manager"``, ``"job_level"`` or ``"attribute"`` (then name the
    ``attribute``, e.g. ``"gender"``). With a ``scale``, every rating must be a value of it and
    each group lists every point of the scale (with its label on an ordinal scale); without
    one, each group lists the values that occur anywhere in ``ratings``.

    Groups of fewer than ``min_group_size`` people are suppressed. The default is 1 (nothing
    suppressed) for units, managers and levels, and :data:`MIN_GROUP_SIZE` (5) for employee
    attributes: grouping by gender or age band is fairness reporting, where a small group's
    figures could reveal a person's rating. Every rated person must be an employee of the
    organisation.
    """
    if not isinstance(organisation, Organisation):
        raise ValidationError("organisation", organisation, "is not an Organisation")
    kind = v.as_enum(Grouping, by)
    if not isinstance(kind, Grouping):
        options = ", ".join(repr(m.value) for m in Grouping)
        raise ValidationError("by", by, f"is not one of {options}")
    if kind is Grouping.ATTRIBUTE:
        if not isinstance(attribute, str) or not attribute:
            raise ValidationError("attribute", attribute, "is not an attribute name")
    elif attribute is not None:
        raise ValidationError("attribute", attribute, f"is given, but grouping is by {kind.value}")
    if scale is not None and not isinstance(scale, NumericScale | OrdinalScale):
        raise ValidationError("scale", scale, "is not a rating scale")
    if min_group_size is None:
        minimum = c.MIN_GROUP_SIZE if kind is Grouping.ATTRIBUTE else 1
    else:
        minimum = c.whole("min_group_size", min_group_size, 1)
    given = c.ratings_by_employee(ratings)

    labels: dict[float, str] = {}
    if scale is not None:
        for key, x in given.items():
            if not scale.allows(x):
                raise ValidationError(
                    f"ratings[{key!r}]",
                    x,
                    f"is not on scale {scale.ref} ({scale.describe_allowed()})",
                )
            given[key] = scale.snap(x)
        allowed = scale.allowed_values()
        points = allowed if allowed is not None else tuple(sorted(set(given.values())))
        if isinstance(scale, OrdinalScale):
            labels = {p.value: p.label for p in scale.points}
    else:
        points = tuple(sorted(set(given.values())))

    grouped: dict[str, list[float]] = {}
    ungrouped = 0
    for key, x in given.items():
        try:
            employee = organisation.employee(key)
        except NotFoundError:
            raise UnknownReferenceError(
                f"ratings[{key!r}]", key, "is not an employee of the organisation"
            ) from None
        name = _key(kind, attribute, employee)
        if name is None or not name.strip():
            ungrouped += 1
        else:
            grouped.setdefault(name, []).append(x)

    groups = tuple(
        _summary(name, grouped[name], points, labels, len(grouped[name]) < minimum)
        for name in sorted(grouped)
    )
    hidden = sum(gd.n for gd in groups if gd.suppressed)
    everyone = [x for name in sorted(grouped) for x in grouped[name]]
    overall = None
    if everyone and (hidden == 0 or hidden >= minimum):
        overall = _summary("overall", everyone, points, labels, False)
    return DistributionSummary(
        by=kind,
        attribute=attribute if kind is Grouping.ATTRIBUTE else None,
        scale=None if scale is None else scale.ref,
        min_group_size=minimum,
        groups=groups,
        overall=overall,
        ungrouped=ungrouped,
    )
