"""The cycle policy file: how a whole review cycle is run, in one TOML file.

A *cycle policy* is the set of rules HR fixes before a cycle: how a score is computed (the
scoring policy and its settings), the rating scale and the cut-offs from score to rating, the
calibration guideline and whether it is advice or forced, the 9-box cut-offs, the merit matrix,
eligibility, budget pools and exchange rates, the bonus plan, recognition rules and the
development rules. :func:`load_policy` reads it from a TOML file into a
:class:`~perfkit.run.CyclePolicy`; :func:`dump_policy` writes one back, so that
``load_policy(dump_policy(p)) == p``.

The file mirrors :class:`~perfkit.run.CyclePolicy`: each top-level key or table is one of its
fields and each key inside is a field of that part, so an error names the TOML key path
(``merit.cells[3].pct: Decimal('-0.5') is negative``), a TOML syntax error names
``file:line:column``, unknown keys are refused with a "did you mean" for close names, and every
problem found is listed in one :class:`~perfkit.DocumentError`. The scoring policy is chosen by
name from the scoring registry (built-ins, registered policies and installed plugins) and
configured by its own ``from_config``. docs/policy-file.md describes the format key by key.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Final, TypeVar

import attrs

from .._errors import MISSING, DocumentError, PerfkitError, ValidationError, join_path
from ..calibration import DistributionGuideline, Target
from ..cycles import Cadence
from ..development import DevelopmentRules, ItemOwner, ItemTemplate
from ..money import CURRENCIES, Money
from ..ninebox import NineBoxCutoffs
from ..rewards import (
    BonusPlan,
    BudgetPool,
    CompaBand,
    CurrencyRate,
    EligibilityRules,
    LevelTarget,
    MeritCell,
    MeritMatrix,
    RateTable,
    RatingMultiplier,
    RecognitionRule,
    Rounding,
)
from ..run import CalibrationMode, CyclePolicy
from ..scales import NumericScale, OrdinalScale, ScaleCatalog, ScaleRef
from ..scoring import (
    ConfigReader,
    PolicyPluginError,
    RatingCutoffs,
    ScoringPolicy,
    make_policy,
    policy_names,
)

__all__ = ["dump_policy", "load_policy", "policy_from_mapping", "policy_to_mapping"]

T = TypeVar("T")
Conv = Callable[[Any, str], Any]
"""Turns the value found at a key path into what the domain class takes (or raises)."""

_TEXT_SOURCE: Final = "<string>"
"""The name a policy given as text goes by in errors (``<string>:3:7``)."""


# --- small helpers ------------------------------------------------------------------------


class _Problems(Exception):
    """Internal: several problems found in one part of the document."""

    def __init__(self, errors: Sequence[ValidationError]) -> None:
        super().__init__(errors)
        self.errors = list(errors)


class _Inline(dict[str, Any]):
    """A small table the writer keeps on one line (``{ id = "okr", version = 2 }``)."""


@attrs.frozen
class _Listed:
    """Items read from a table keyed by name, with the key path of each (for errors)."""

    items: list[Any]
    paths: list[str]


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _quoted(text: str, *, strict: bool = False) -> str:
    """``text`` as a TOML basic string. With ``strict`` a lone surrogate, which no UTF-8 file
    can hold, is refused."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            if strict:
                raise ValidationError("", text, "holds a lone surrogate, which TOML cannot")
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _key(key: str, *, strict: bool = False) -> str:
    """A TOML key as written in a file and in key paths: bare when it can be, else quoted."""
    return key if _BARE_KEY.fullmatch(key) else _quoted(key, strict=strict)


def _suggest(word: object, options: Sequence[str]) -> str:
    """``; did you mean 'weights'?`` for the closest of ``options`` (case-insensitive; a name
    with the same letters in another order, ``GPB`` for ``GBP``, comes first)."""
    if not isinstance(word, str) or not options:
        return ""
    folded = {o.casefold(): o for o in options}
    key = word.casefold()
    found = [o for o in folded if sorted(o) == sorted(key)]
    found = found or difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[found[0]]!r}?" if found else ""


def _moved(err: ValidationError, path: str, reason: str | None = None) -> ValidationError:
    """A copy of ``err`` (same class) at ``path``, optionally with another reason."""
    clone = err.__class__.__new__(err.__class__)
    clone.__dict__.update(err.__dict__)
    ValidationError.__init__(clone, path, err.value, err.reason if reason is None else reason)
    return clone


_FIRST_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?(.*)$", re.DOTALL)


def _relocate(
    err: ValidationError, base: str, places: Mapping[str, tuple[str, Sequence[str]]]
) -> ValidationError:
    """``err`` from a domain class, put at its TOML key path below ``base``.

    ``places`` maps a field whose TOML key differs to ``(its key path, the key path of each
    item)``: ``cells[4].pct`` becomes the path of item 4, a field without an item index the
    field's own path; other fields are keys of the same name.
    """
    m = _FIRST_SEGMENT.match(err.path)
    if m is None or m[1] not in places:
        return err.at(base)
    own, items = places[m[1]]
    index = None if m[2] is None else int(m[2])
    if index is not None and index < len(items):
        return _moved(err, items[index])
    rest = "" if index is None else f"[{index}]"
    return _moved(err, own + rest + m[3])


def _number_key(x: float) -> str:
    """A rating value as a TOML key: ``3``, ``3.5``, ``1e-05``."""
    if x.is_integer() and abs(x) < 2**53:
        return str(int(x))
    return repr(x)


_NUMBER_KEY = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MONEY_TEXT = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)) +([A-Za-z]{3})")
_CURRENCY_LIST: Final = tuple(sorted(CURRENCIES))


# --- the reader ---------------------------------------------------------------------------


class _Reader(ConfigReader):
    """The scoring policies' :class:`~perfkit.scoring.ConfigReader`, with TOML key paths
    (quoted keys where needed) and unknown keys collected as problems, each with a "did you
    mean"."""

    def __init__(self, table: object, path: str, problems: list[ValidationError]) -> None:
        super().__init__(table, path)
        self.problems = problems

    def at(self, key: str) -> str:
        return join_path(self.path, _key(key))

    def finish(self) -> None:
        known = sorted(self._known)
        shown = ", ".join(known) or "none"
        for key in self.keys():
            if key not in self._known:
                self.problems.append(
                    ValidationError(
                        self.at(key),
                        MISSING,
                        f"unknown key (known: {shown}){_suggest(key, known)}",
                    )
                )


class _Loader:
    """Reads one policy document, collecting every problem it finds."""

    def __init__(self) -> None:
        self.problems: list[ValidationError] = []

    # --- collecting problems --------------------------------------------------------------

    def reader(self, value: object, path: str) -> _Reader:
        return _Reader(value, path, self.problems)

    def section(self, conv: Conv, value: Any, path: str) -> Any:
        """``conv(value, path)``, or ``None`` with its problems recorded."""
        return self.attempt(lambda: conv(value, path))

    def attempt(self, build: Callable[[], T]) -> T | None:
        """``build()``, or ``None`` with its problems recorded."""
        try:
            return build()
        except ValidationError as err:
            self.problems.append(err)
        except _Problems as err:
            self.problems.extend(err.errors)
        return None

    def make(
        self,
        cls: type[T],
        r: _Reader,
        spec: Mapping[str, Conv | None],
        *,
        fixed: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> T:
        """Build ``cls`` from the keys of ``spec`` found in ``r`` (``None``: the value as
        given, for the class to check); ``names`` maps a TOML key to a field of another name;
        ``fixed`` gives fields their value when the key is absent."""
        names = names or {}
        kwargs: dict[str, Any] = dict(fixed or {})
        places: dict[str, tuple[str, Sequence[str]]] = {
            names[key]: (r.at(key), ()) for key in spec if key in names
        }
        given: set[str] = set()
        errors: list[ValidationError] = []
        for key, conv in spec.items():
            if not r.has(key):
                continue
            field = names.get(key, key)
            given.add(field)
            value = r.raw(key)
            try:
                converted = value if conv is None else conv(value, r.at(key))
            except ValidationError as err:
                errors.append(err)
                continue
            except _Problems as err:
                errors.extend(err.errors)
                continue
            if isinstance(converted, _Listed):
                places[field] = (r.at(key), converted.paths)
                converted = converted.items
            kwargs[field] = converted
        r.finish()
        by_field = {names.get(k, k): k for k in spec}
        for a in attrs.fields(cls):  # type: ignore[arg-type]
            if a.default is attrs.NOTHING and a.name not in kwargs and a.name not in given:
                errors.append(
                    ValidationError(r.at(by_field.get(a.name, a.name)), MISSING, "is required")
                )
        if errors:
            raise _Problems(errors)
        try:
            return cls(**kwargs)
        except ValidationError as err:
            raise _relocate(err, r.path, places) from None

    def table(
        self,
        cls: type[T],
        spec: Mapping[str, Conv | None],
        *,
        fixed: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> Callable[[Any, str], T]:
        """A converter: a table read into ``cls`` with :meth:`make`."""

        def conv(value: Any, path: str) -> T:
            return self.make(cls, self.reader(value, path), spec, fixed=fixed, names=names)

        return conv

    def items(self, build: Callable[[Any, str], T]) -> Callable[[Any, str], list[T]]:
        """A converter: an array, each item built by ``build`` (every bad item reported)."""

        def conv(value: Any, path: str) -> list[T]:
            found = _array(value, path)
            out: list[T] = []
            errors: list[ValidationError] = []
            for i, item in enumerate(found):
                try:
                    out.append(build(item, f"{path}[{i}]"))
                except ValidationError as err:
                    errors.append(err)
                except _Problems as err:
                    errors.extend(err.errors)
            if errors:
                raise _Problems(errors)
            return out

        return conv

    def keyed(self, build: Callable[[str, Any, str], T]) -> Callable[[Any, str], _Listed]:
        """A converter: a table whose keys are names (job levels, rating values), each entry
        built by ``build(key, value, key path)``."""

        def conv(value: Any, path: str) -> _Listed:
            r = self.reader(value, path)
            out: list[T] = []
            paths: list[str] = []
            errors: list[ValidationError] = []
            for key in value:
                where = r.at(key)
                try:
                    out.append(build(key, value[key], where))
                    paths.append(where)
                except ValidationError as err:
                    errors.append(err)
                except _Problems as err:
                    errors.extend(err.errors)
            if errors:
                raise _Problems(errors)
            return _Listed(out, paths)

        return conv

    # --- values ---------------------------------------------------------------------------

    def scale_ref(self, value: Any, path: str) -> ScaleRef:
        """``"five-point"`` (version 1) or ``{ id = "five-point", version = 2 }``."""
        if isinstance(value, str):
            try:
                return ScaleRef(id=value)
            except ValidationError as err:
                raise _moved(err, path) from None
        if isinstance(value, Mapping):
            return self.make(ScaleRef, self.reader(value, path), {"id": None, "version": None})
        raise ValidationError(
            path, value, "is not a scale id (a string) or a table { id = ..., version = ... }"
        )

    def money(self, value: Any, path: str) -> Money:
        """``"250.00 EUR"`` or ``{ amount = "250.00", currency = "EUR" }``."""
        if isinstance(value, Mapping):
            spec: dict[str, Conv | None] = {"amount": _decimal, "currency": None}
            return self.make(Money, self.reader(value, path), spec)
        if not isinstance(value, str):
            raise ValidationError(path, value, 'is not an amount and a currency, like "250.00 EUR"')
        m = _MONEY_TEXT.fullmatch(value)
        if m is None:
            raise ValidationError(path, value, 'is not an amount and a currency, like "250.00 EUR"')
        if m[2] not in CURRENCIES:
            raise ValidationError(
                path,
                value,
                f"does not end in an ISO 4217 currency code{_suggest(m[2], _CURRENCY_LIST)}",
            )
        try:
            return Money(amount=Decimal(m[1]), currency=m[2])
        except ValidationError as err:
            raise _moved(err, path) from None

    # --- sections -------------------------------------------------------------------------

    def scoring(self, value: Any, path: str) -> ScoringPolicy:
        """The scoring policy: ``name`` from the registry, the other keys its configuration."""
        if not isinstance(value, Mapping):
            raise ValidationError(path, value, "is not a table (a mapping of keys to values)")
        where = join_path(path, "name")
        names = policy_names()
        name = value.get("name", MISSING)
        if name is MISSING:
            raise ValidationError(where, MISSING, f"is required (one of: {', '.join(names)})")
        if not isinstance(name, str):
            raise ValidationError(where, name, "is not a string")
        if name not in names:
            raise ValidationError(
                where,
                name,
                f"is not a scoring policy (available: {', '.join(names)}){_suggest(name, names)}",
            )
        config = {k: v for k, v in value.items() if k != "name"}
        try:
            return make_policy(name, config)
        except ValidationError as err:
            raise _scoring_error(err, path) from None
        except PolicyPluginError as err:
            raise ValidationError(where, name, f"cannot be used ({err})") from err
        except PerfkitError as err:  # a plugin's factory may raise any perfkit error
            raise ValidationError(
                where, name, f"cannot be used ({type(err).__name__}: {err})"
            ) from err

    def cutoffs(self, rating: ScaleRef) -> Conv:
        return self.table(
            RatingCutoffs,
            {"scale": self.scale_ref, "score_scale": self.scale_ref, "points": _array},
            fixed={"scale": rating},
            names={"points": "cutoffs"},
        )

    def guideline(self, rating: ScaleRef) -> Conv:
        target = self.table(Target, {"value": None, "minimum": None, "maximum": None})
        return self.table(
            DistributionGuideline,
            {"scale": self.scale_ref, "targets": self.items(target)},
            fixed={"scale": rating},
        )

    def merit(self, rating: ScaleRef) -> Conv:
        """The merit matrix: ``compa_bands`` and either ``rows`` (rating → increase % per
        band) or ``ratings`` and ``cells``."""
        band = self.table(CompaBand, {"label": None, "upper": _decimal})
        cell = self.table(MeritCell, {"rating": None, "band": None, "pct": _decimal})

        def conv(value: Any, path: str) -> MeritMatrix:
            r = self.reader(value, path)
            kwargs: dict[str, Any] = {"scale": rating}
            places: dict[str, tuple[str, Sequence[str]]] = {}
            errors: list[ValidationError] = []

            def read(key: str, conv: Conv) -> None:
                if r.has(key):
                    try:
                        kwargs[key] = conv(r.raw(key), r.at(key))
                    except ValidationError as err:
                        errors.append(err)
                    except _Problems as err:
                        errors.extend(err.errors)

            read("scale", self.scale_ref)
            read("compa_bands", self.items(band))
            read("require_monotone", _as_given)
            has_rows = r.has("rows")
            has_cells = r.has("cells") | r.has("ratings")
            if has_rows and has_cells:
                errors.append(
                    ValidationError(
                        r.at("rows"), MISSING, "and ratings/cells are both given; give one of them"
                    )
                )
            elif has_rows:
                bands = kwargs.get("compa_bands")
                if bands is not None:
                    try:
                        ratings, cells, rating_paths, cell_paths = self.rows(
                            r.raw("rows"), r.at("rows"), bands
                        )
                    except ValidationError as err:
                        errors.append(err)
                    except _Problems as err:
                        errors.extend(err.errors)
                    else:
                        kwargs["ratings"], kwargs["cells"] = ratings, cells
                        places["ratings"] = (r.at("rows"), rating_paths)
                        places["cells"] = (r.at("rows"), cell_paths)
            elif has_cells:
                read("ratings", _array)
                read("cells", self.items(cell))
                errors.extend(
                    ValidationError(r.at(key), MISSING, f"is required with {other}")
                    for key, other in (("ratings", "cells"), ("cells", "ratings"))
                    if key not in value
                )
            else:
                errors.append(
                    ValidationError(r.at("rows"), MISSING, "is required (or ratings and cells)")
                )
            if not r.has("compa_bands"):
                errors.append(ValidationError(r.at("compa_bands"), MISSING, "is required"))
            r.finish()
            if errors:
                raise _Problems(errors)
            try:
                return MeritMatrix(**kwargs)
            except ValidationError as err:
                raise _relocate(err, path, places) from None

        return conv

    def rows(
        self, value: Any, path: str, bands: list[CompaBand]
    ) -> tuple[list[float], list[MeritCell], list[str], list[str]]:
        """``rows``: one key per rating value, an increase % per compa band (in band order).

        The matrix is built with its ratings in increasing order and its cells row by row,
        whatever the order of the keys, so that a written matrix reads back equal."""
        r = self.reader(value, path)
        labels = ", ".join(repr(b.label) for b in bands)
        entries: list[tuple[float, str, list[Decimal]]] = []
        errors: list[ValidationError] = []
        for key in value:
            where = r.at(key)
            try:
                rating = _rating_key(key, where, value[key])
                pcts = _array(value[key], where)
                if len(pcts) != len(bands):
                    raise ValidationError(
                        where,
                        pcts,
                        f"gives {len(pcts)} increases for {len(bands)} compa bands ({labels})",
                    )
                found = []
                for j, pct in enumerate(pcts):
                    found.append(_decimal(pct, f"{where}[{j}]"))
                entries.append((rating, where, found))
            except ValidationError as err:
                errors.append(err)
        if errors:
            raise _Problems(errors)
        entries.sort(key=lambda e: e[0])
        cells: list[MeritCell] = []
        cell_paths: list[str] = []
        for rating, where, pcts in entries:
            for j, (b, pct) in enumerate(zip(bands, pcts, strict=True)):
                at = f"{where}[{j}]"
                try:
                    cells.append(MeritCell(rating=rating, band=b.label, pct=pct))
                except ValidationError as err:
                    errors.append(_moved(err, where if err.path == "rating" else at))
                cell_paths.append(at)
        if errors:
            raise _Problems(errors)
        return [e[0] for e in entries], cells, [e[1] for e in entries], cell_paths

    def rates(self, value: Any, path: str) -> RateTable:
        """``base`` and one key per currency: its value in the base currency."""
        r = self.reader(value, path)
        errors: list[ValidationError] = []
        rates: list[CurrencyRate] = []
        paths: list[str] = []
        base = r.raw("base", None)
        if base is None:
            errors.append(ValidationError(r.at("base"), MISSING, "is required"))
        for key in value:
            if key == "base":
                continue
            where = r.at(key)
            r.has(key)
            if key not in CURRENCIES:
                errors.append(
                    ValidationError(
                        where,
                        MISSING,
                        "is neither base nor an ISO 4217 currency code"
                        + _suggest(key, ("base", *_CURRENCY_LIST)),
                    )
                )
                continue
            try:
                rates.append(CurrencyRate(currency=key, rate=_decimal(value[key], where)))
                paths.append(where)
            except ValidationError as err:
                errors.append(err if err.path == where else _moved(err, where))
        r.finish()
        if errors:
            raise _Problems(errors)
        try:
            return RateTable(base=base, rates=rates)
        except ValidationError as err:
            raise _relocate(err, path, {"rates": (path, paths)}) from None

    def bonus(self, rating: ScaleRef) -> Conv:
        def target(key: str, value: Any, where: str) -> LevelTarget:
            try:
                return LevelTarget(job_level=key, pct=_decimal(value, where))
            except ValidationError as err:
                raise (err if err.path == where else _moved(err, where)) from None

        def multiplier(key: str, value: Any, where: str) -> RatingMultiplier:
            rating_value = _rating_key(key, where, value)
            try:
                return RatingMultiplier(rating=rating_value, multiplier=_decimal(value, where))
            except ValidationError as err:
                raise (err if err.path == where else _moved(err, where)) from None

        return self.table(
            BonusPlan,
            {
                "scale": self.scale_ref,
                "targets": self.keyed(target),
                "default_target_pct": _decimal,
                "multipliers": self.keyed(multiplier),
                "company_multiplier": _decimal,
                "cap": _decimal,
                "rounding": _choice(Rounding),
            },
            fixed={"scale": rating},
        )

    def development(self, rating: ScaleRef) -> Conv:
        item = self.table(
            ItemTemplate, {"title": None, "due_days": None, "owner": _choice(ItemOwner)}
        )
        return self.table(
            DevelopmentRules,
            {
                "scale": self.scale_ref,
                "improvement_at_or_below": _off_or_number,
                "kpi_plans": None,
                "growth_min_rating": _off_or_number,
                "growth_min_potential": _off_or_number,
                "growth_cells": _array,
                "improvement_cadence": _cadence,
                "improvement_review_days": None,
                "improvement_items": self.items(item),
                "kpi_item_days": None,
                "growth_cadence": _cadence,
                "growth_review_days": None,
                "growth_items": self.items(item),
            },
            fixed={"scale": rating},
        )

    # --- the document ---------------------------------------------------------------------

    def document(self, doc: object, scales: ScaleCatalog | None) -> CyclePolicy | None:
        """The policy, or ``None`` with :attr:`problems` saying why."""
        r = self.attempt(lambda: self.reader(doc, ""))
        if r is None:
            return None
        rating = self.attempt(lambda: self.scale_ref(r.raw("rating_scale"), "rating_scale"))
        anchor = rating or ScaleRef(id="rating-scale")
        sections: dict[str, Conv] = {
            "scoring": self.scoring,
            "calibration": _choice(CalibrationMode),
            "potential_attribute": _as_given,
            "cutoffs": self.cutoffs(anchor),
            "guideline": self.guideline(anchor),
            "nine_box": self.table(NineBoxCutoffs, {"performance": _array, "potential": _array}),
            "merit": self.merit(anchor),
            "eligibility": self.table(
                EligibilityRules,
                {
                    "min_tenure_days": None,
                    "min_rating": None,
                    "exclude_leavers": None,
                    "cutoff": _day,
                    "scale": self.scale_ref,
                },
            ),
            "rates": self.rates,
            "pools": self.items(self.table(BudgetPool, {"unit_id": None, "amount": self.money})),
            "bonus": self.bonus(anchor),
            "recognition": self.items(
                self.table(
                    RecognitionRule,
                    {
                        "id": None,
                        "min_praise": None,
                        "window_days": None,
                        "award": self.money,
                        "award_pct": _decimal,
                        "distinct_authors": None,
                        "rounding": _choice(Rounding),
                    },
                )
            ),
            "development": self.development(anchor),
        }
        parts: dict[str, Any] = {}
        if not r.has("scoring"):
            self.problems.append(
                ValidationError(
                    "scoring",
                    MISSING,
                    "is required: a table with the scoring policy's name (one of: "
                    f"{', '.join(policy_names())}) and its settings",
                )
            )
        for key, conv in sections.items():
            if r.has(key):
                found = self.section(conv, r.raw(key), key)
                if found is not None:
                    parts[key] = found
        r.finish()
        if self.problems or rating is None:
            return None
        parts["rating_scale"] = rating
        self.cross_checks(parts)
        policy = self.attempt(lambda: CyclePolicy(**parts))
        if policy is not None and scales is not None:
            self.against(policy, scales, merit_rows=_has_rows(doc))
        return None if self.problems else policy

    def cross_checks(self, parts: Mapping[str, Any]) -> None:
        """What a run would refuse later, refused now with the key path: parts on another scale
        than the rating scale, pools in another currency than the rates' base, scores that the
        cut-offs cannot read."""
        rating: ScaleRef = parts["rating_scale"]
        for section in ("cutoffs", "guideline", "merit", "bonus", "eligibility", "development"):
            ref = getattr(parts.get(section), "scale", None)
            if ref is not None and ref != rating:
                self.problems.append(
                    ValidationError(
                        f"{section}.scale", str(ref), f"is not the rating scale {rating}"
                    )
                )
        rates: RateTable | None = parts.get("rates")
        for i, pool in enumerate(parts.get("pools", ())):
            if rates is not None and pool.amount.currency != rates.base:
                self.problems.append(
                    ValidationError(
                        f"pools[{i}].amount",
                        _money(pool.amount),
                        f"is not in the base currency of the rates, {rates.base}",
                    )
                )
        scoring: ScoringPolicy = parts["scoring"]
        cutoffs: RatingCutoffs | None = parts.get("cutoffs")
        if cutoffs is None and scoring.scale != rating:
            self.problems.append(
                ValidationError(
                    "cutoffs",
                    MISSING,
                    f"are required: the scoring policy {scoring.name!r} scores on "
                    f"{scoring.scale}, the ratings are on {rating}",
                )
            )
        elif cutoffs is not None and (cutoffs.score_scale or cutoffs.scale) != scoring.scale:
            read = cutoffs.score_scale or cutoffs.scale
            self.problems.append(
                ValidationError(
                    "cutoffs.score_scale",
                    str(read),
                    f"is not the scale the scoring policy {scoring.name!r} scores on "
                    f"({scoring.scale})",
                )
            )

    def against(self, policy: CyclePolicy, scales: ScaleCatalog, *, merit_rows: bool) -> None:
        """Checks against the scale catalogue: the rating scale is in it, and the cut-offs,
        the guideline, the merit matrix and the bonus multipliers fit its values."""
        ref = policy.rating_scale
        if ref not in scales:
            held = ", ".join(str(s.ref) for s in scales.scales) or "none"
            self.problems.append(
                ValidationError(
                    "rating_scale", str(ref), f"is not in the scale catalogue (it holds: {held})"
                )
            )
            return
        scale = scales.get(ref)
        if policy.cutoffs is not None:
            for i, (_, value) in enumerate(policy.cutoffs.cutoffs):
                if not scale.allows(value):
                    self.problems.append(
                        ValidationError(
                            f"cutoffs.points[{i}][1]",
                            value,
                            f"is not on scale {ref} (allowed: {scale.describe_allowed()})",
                        )
                    )
        if policy.guideline is not None:
            try:
                policy.guideline.check(scale)
            except ValidationError as err:
                self.problems.append(err.at("guideline"))
        if policy.merit is not None:
            try:
                policy.merit.check_scale(scale)
            except ValidationError as err:
                if merit_rows and err.path == "ratings":
                    err = _moved(err, "rows")
                self.problems.append(err.at("merit"))
        if policy.bonus is not None:
            for value in scale.allowed_values() or ():
                if not any(math.isclose(m.rating, value) for m in policy.bonus.multipliers):
                    self.problems.append(
                        ValidationError(
                            "bonus.multipliers",
                            MISSING,
                            f"have no multiplier for rating {value:g} of {ref}",
                        )
                    )


def _has_rows(doc: object) -> bool:
    merit = doc.get("merit") if isinstance(doc, Mapping) else None
    return isinstance(merit, Mapping) and "rows" in merit


def _scoring_error(err: ValidationError, path: str) -> ValidationError:
    """An error of the scoring policy's configuration (``policy.weights.goals``), at its key
    path in the policy file (``scoring.weights.goals``), with a "did you mean" for unknown
    keys."""
    p = err.path
    if p == "policy" or p.startswith(("policy.", "policy[")):
        where = path + p[len("policy") :]
    else:
        where = join_path(path, p)
    reason = err.reason
    m = re.fullmatch(r"unknown key \(known: (.*)\)", reason)
    if m is not None:
        reason += _suggest(where.rsplit(".", 1)[-1], m[1].split(", "))
    return _moved(err, where, reason)


# --- value converters ---------------------------------------------------------------------


def _as_given(value: Any, _path: str) -> Any:
    return value


def _array(value: Any, path: str) -> list[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise ValidationError(path, value, "is not an array")
    return list(value)


def _decimal(value: Any, path: str) -> Decimal:
    """A decimal from a TOML string (``"4.5"``) or number (a float is read as the shortest
    decimal that prints as it: ``4.1`` is exactly 4.1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, Decimal) and value.is_finite():  # from a mapping built in code
        return value
    if isinstance(value, float) and math.isfinite(value):
        return Decimal(repr(value))
    if isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value):
        return Decimal(value)
    raise ValidationError(
        path, value, 'is not a decimal number (a number, or a string such as "4.5")'
    )


def _off_or_number(value: Any, path: str) -> Any:
    """``false`` turns a threshold off (``None``); a number is left for the class to check."""
    if value is False:
        return None
    if value is True:
        raise ValidationError(path, value, "is not a number (or false, for none)")
    return value


def _rating_key(key: str, path: str, value: object = None) -> float:
    """A rating value given as a key: ``3``, ``"3.5"`` (a bare ``3.5`` is the dotted key
    ``3`` → ``5`` in TOML, which shows as a table here)."""
    if isinstance(value, Mapping):
        raise ValidationError(
            path,
            value,
            'is a table: write a rating value with a decimal point as a quoted key ("3.5" = ...)',
        )
    if not _NUMBER_KEY.fullmatch(key):
        raise ValidationError(path, key, 'is not a rating value (a number such as "3" or "3.5")')
    number = float(key)
    if not math.isfinite(number):
        raise ValidationError(path, key, "is not a finite number")
    return number


def _day(value: Any, path: str) -> date:
    """A TOML local date (``2026-10-01``) or an ISO date string."""
    if isinstance(value, datetime):
        raise ValidationError(path, value, "is a date and time; give a date such as 2026-10-01")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationError(path, value, "is not a date (such as 2026-10-01)")


def _cadence(value: Any, path: str) -> Cadence:
    """A check-in cadence as an RFC 5545 rule: ``"FREQ=WEEKLY;INTERVAL=2"``."""
    if not isinstance(value, str):
        raise ValidationError(path, value, "is not an RRULE such as 'FREQ=WEEKLY;INTERVAL=2'")
    try:
        return Cadence(rrule=value)
    except ValidationError as err:
        raise _moved(err, path) from None


def _choice(kind: type[Enum]) -> Conv:
    options = [str(m.value) for m in kind]
    shown = ", ".join(repr(o) for o in options)

    def conv(value: Any, path: str) -> Enum:
        for member in kind:
            if isinstance(value, str) and value == member.value:
                return member
        raise ValidationError(path, value, f"is not one of {shown}{_suggest(value, options)}")

    return conv


# --- reading ------------------------------------------------------------------------------


def _checked_scales(scales: object) -> ScaleCatalog | None:
    if scales is not None and not isinstance(scales, ScaleCatalog):
        raise ValidationError("scales", scales, "is not a ScaleCatalog")
    return scales


def policy_from_mapping(
    data: Mapping[str, Any], *, scales: ScaleCatalog | None = None, source: str = "policy"
) -> CyclePolicy:
    """The cycle policy a mapping describes: what ``tomllib.loads`` gives for a policy file
    (or the same shape from JSON, YAML or code).

    With ``scales`` (the cycle's scale catalogue, ``data.scales``) the rating scale must be in
    it and the cut-offs, guideline, merit matrix and bonus multipliers must fit its values.
    Every problem found is listed in one :class:`~perfkit.DocumentError` named ``source``,
    each at its key path.
    """
    catalog = _checked_scales(scales)
    if not isinstance(source, str):
        raise ValidationError("source", source, "is not a string")
    loader = _Loader()
    try:
        policy = loader.document(data, catalog)
    except RecursionError:
        raise DocumentError(
            [ValidationError("", MISSING, "is nested too deeply")], source
        ) from None
    if policy is None:
        raise DocumentError(_unique(loader.problems), source)
    return policy


def _unique(problems: list[ValidationError]) -> list[ValidationError]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out


def _is_path(value: str) -> bool:
    """Whether a string names a file rather than holding TOML: one line, no ``=`` or ``[``."""
    return bool(value.strip()) and not any(c in value for c in "\n=[")


def _read(path_or_text: object) -> tuple[str, str]:
    """The TOML text and the name it goes by in errors."""
    if isinstance(path_or_text, str) and not _is_path(path_or_text):
        return path_or_text, _TEXT_SOURCE
    if isinstance(path_or_text, bytes):
        return _decoded(path_or_text, _TEXT_SOURCE), _TEXT_SOURCE
    if not isinstance(path_or_text, str | os.PathLike):
        raise ValidationError(
            "path_or_text", path_or_text, "is not a path or TOML text (a str, bytes or a Path)"
        )
    path = Path(path_or_text)
    name = str(path)
    try:
        raw = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise DocumentError(
            [ValidationError(name, MISSING, f"cannot be read ({why}); give a TOML file or text")],
            name,
        ) from None
    return _decoded(raw, name), name


def _decoded(raw: bytes, source: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DocumentError(
            [ValidationError(f"{source}:{line}:{column}", MISSING, "is not UTF-8 text")], source
        ) from None
    return text.removeprefix("\ufeff")


_TOML_WHERE = re.compile(r"^(.*) \(at (?:line (\d+), column (\d+)|end of document)\)$", re.DOTALL)


def _parsed(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        m = _TOML_WHERE.match(message)
        if m is not None and m[2] is not None:
            line, column, message = int(m[2]), int(m[3]), m[1]
        else:
            if m is not None:
                message = m[1]
            line = text.count("\n") + 1
            column = len(text) - (text.rfind("\n") + 1) + 1
        raise DocumentError(
            [
                ValidationError(
                    f"{source}:{line}:{column}", MISSING, f"is not valid TOML ({message})"
                )
            ],
            source,
        ) from None
    except RecursionError:
        raise DocumentError(
            [ValidationError(source, MISSING, "is nested too deeply")], source
        ) from None


def load_policy(
    path_or_text: str | os.PathLike[str] | bytes, *, scales: ScaleCatalog | None = None
) -> CyclePolicy:
    """Read a cycle policy file (docs/policy-file.md).

    ``path_or_text`` is a path (a :class:`~pathlib.Path`, or a one-line string without ``=``
    or ``[``) or the TOML text itself (a string or UTF-8 bytes). ``scales`` is the cycle's scale
    catalogue, to check the policy against it (see :func:`policy_from_mapping`).

    Every problem is listed in one :class:`~perfkit.DocumentError`: a TOML syntax error at
    ``file:line:column``, each bad value at its key path (``merit.rows.3[1]: ...``), each unknown
    key with a "did you mean".
    """
    catalog = _checked_scales(scales)
    text, source = _read(path_or_text)
    return policy_from_mapping(_parsed(text, source), scales=catalog, source=source)


# --- writing ------------------------------------------------------------------------------


def _ref(ref: ScaleRef) -> Any:
    return ref.id if ref.version == 1 else _Inline(id=ref.id, version=ref.version)


def _dec(value: Decimal) -> str:
    return format(value, "f")


def _money(value: Money) -> str:
    return f"{_dec(value.amount)} {value.currency}"


def _scaled(ref: ScaleRef, rating: ScaleRef) -> dict[str, Any]:
    """The ``scale`` key of a part: left out when it is the rating scale (its default)."""
    return {} if ref == rating else {"scale": _ref(ref)}


def _plain(value: Any) -> Any:
    """A scoring policy's field as configuration: enums by value, scales by id, ``(name,
    value)`` pairs as a table, attrs classes as tables."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return _dec(value)
    if isinstance(value, NumericScale | OrdinalScale):
        return value.id
    if attrs.has(type(value)):
        return {a.name: _plain(getattr(value, a.name)) for a in attrs.fields(type(value)) if a.init}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        if not value:
            return {}
        if all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value):
            return {_plain(k): _plain(v) for k, v in value}
        return [_plain(x) for x in value]
    return value


def _scoring_table(policy: ScoringPolicy) -> dict[str, Any]:
    """The ``[scoring]`` table: the name and the configuration that builds this very policy
    (from its ``to_config()`` when it has one, else from its attrs fields), checked by building
    it again."""
    name = policy.name
    to_config = getattr(policy, "to_config", None)
    config: dict[str, Any]
    if callable(to_config):
        given = to_config()
        if not isinstance(given, Mapping):
            raise ValidationError("scoring", name, "has a to_config() that gives no table")
        config = dict(given)
    elif attrs.has(type(policy)):
        config = {}
        kind: Any = type(policy)
        for a in attrs.fields(kind):
            value = getattr(policy, a.name)
            if a.init and value is not None:  # TOML has no null: a field left out is its default
                key = "scale" if isinstance(value, NumericScale | OrdinalScale) else a.alias
                config[key or a.name] = _plain(value)
    else:
        raise ValidationError(
            "scoring", name, "cannot be written: it has neither a to_config() nor attrs fields"
        )
    try:
        again: object = make_policy(name, config)
    except PerfkitError as err:
        again = err
    if again != policy:
        raise ValidationError(
            "scoring",
            name,
            "cannot be written to a policy file: its settings do not build the same policy "
            "again (give the policy a to_config() method)",
        )
    return {"name": name, **config}


def policy_to_mapping(policy: CyclePolicy) -> dict[str, Any]:
    """The plain data of a policy file (what :func:`policy_from_mapping` reads): tables,
    arrays, strings, numbers, booleans and dates. Decimals and money are written as strings
    (``"4.5"``, ``"250.00 EUR"``) so that they stay exact."""
    if not isinstance(policy, CyclePolicy):
        raise ValidationError("policy", policy, "is not a CyclePolicy")
    rating = policy.rating_scale
    doc: dict[str, Any] = {
        "rating_scale": _ref(rating),
        "calibration": policy.calibration.value,
        "potential_attribute": policy.potential_attribute,
        "scoring": _scoring_table(policy.scoring),
    }
    if policy.cutoffs is not None:
        c = policy.cutoffs
        doc["cutoffs"] = {
            **_scaled(c.scale, rating),
            **({} if c.score_scale is None else {"score_scale": _ref(c.score_scale)}),
            "points": [[low, value] for low, value in c.cutoffs],
        }
    if policy.guideline is not None:
        g = policy.guideline
        doc["guideline"] = {
            **_scaled(g.scale, rating),
            "targets": [
                {"value": t.value, "minimum": t.minimum, "maximum": t.maximum} for t in g.targets
            ],
        }
    if policy.nine_box is not None:
        doc["nine_box"] = {
            "performance": list(policy.nine_box.performance),
            "potential": list(policy.nine_box.potential),
        }
    if policy.merit is not None:
        doc["merit"] = _merit(policy.merit, rating)
    if policy.eligibility is not None:
        e = policy.eligibility
        doc["eligibility"] = {
            "min_tenure_days": e.min_tenure_days,
            **({} if e.min_rating is None else {"min_rating": e.min_rating}),
            "exclude_leavers": e.exclude_leavers,
            **({} if e.cutoff is None else {"cutoff": e.cutoff}),
            **({} if e.scale is None else {"scale": _ref(e.scale)}),
        }
    if policy.rates is not None:
        doc["rates"] = {
            "base": policy.rates.base,
            **{r.currency: _dec(r.rate) for r in policy.rates.rates},
        }
    if policy.pools:
        doc["pools"] = [{"unit_id": p.unit_id, "amount": _money(p.amount)} for p in policy.pools]
    if policy.bonus is not None:
        b = policy.bonus
        doc["bonus"] = {
            **_scaled(b.scale, rating),
            **(
                {}
                if b.default_target_pct is None
                else {"default_target_pct": _dec(b.default_target_pct)}
            ),
            "company_multiplier": _dec(b.company_multiplier),
            "cap": _dec(b.cap),
            "rounding": b.rounding.value,
            "targets": {t.job_level: _dec(t.pct) for t in b.targets},
            "multipliers": {_number_key(m.rating): _dec(m.multiplier) for m in b.multipliers},
        }
    if policy.recognition:
        doc["recognition"] = [_recognition(r) for r in policy.recognition]
    if policy.development is not None:
        doc["development"] = _development(policy.development, rating)
    return doc


def _merit(m: MeritMatrix, rating: ScaleRef) -> dict[str, Any]:
    """A merit matrix, as ``rows`` when its cells are in row order (as ``rows`` builds them),
    else as ``ratings`` and ``cells``."""
    out: dict[str, Any] = {
        **_scaled(m.scale, rating),
        "compa_bands": [
            {"label": b.label, **({} if b.upper is None else {"upper": _dec(b.upper)})}
            for b in m.compa_bands
        ],
        "require_monotone": m.require_monotone,
    }
    width = len(m.compa_bands)
    in_rows = len(m.cells) == len(m.ratings) * width and all(
        c.rating == m.ratings[i // width] and c.band == m.compa_bands[i % width].label
        for i, c in enumerate(m.cells)
    )
    keys = [_number_key(r) for r in m.ratings]
    if in_rows and len(set(keys)) == len(keys):
        out["rows"] = {
            key: [_dec(c.pct) for c in m.cells[i * width : (i + 1) * width]]
            for i, key in enumerate(keys)
        }
    else:
        out["ratings"] = list(m.ratings)
        out["cells"] = [{"rating": c.rating, "band": c.band, "pct": _dec(c.pct)} for c in m.cells]
    return out


def _recognition(rule: RecognitionRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "min_praise": rule.min_praise,
        "window_days": rule.window_days,
        **({} if rule.award is None else {"award": _money(rule.award)}),
        **({} if rule.award_pct is None else {"award_pct": _dec(rule.award_pct)}),
        "distinct_authors": rule.distinct_authors,
        "rounding": rule.rounding.value,
    }


def _development(d: DevelopmentRules, rating: ScaleRef) -> dict[str, Any]:
    def off(x: float | None) -> float | bool:
        return False if x is None else x

    def items(templates: tuple[ItemTemplate, ...]) -> list[dict[str, Any]]:
        return [
            {"title": t.title, "due_days": t.due_days, "owner": t.owner.value} for t in templates
        ]

    return {
        **_scaled(d.scale, rating),
        "improvement_at_or_below": off(d.improvement_at_or_below),
        "kpi_plans": d.kpi_plans,
        "improvement_cadence": d.improvement_cadence.rrule,
        "improvement_review_days": d.improvement_review_days,
        "kpi_item_days": d.kpi_item_days,
        "improvement_items": items(d.improvement_items),
        "growth_min_rating": off(d.growth_min_rating),
        "growth_min_potential": off(d.growth_min_potential),
        "growth_cells": list(d.growth_cells),
        "growth_cadence": d.growth_cadence.rrule,
        "growth_review_days": d.growth_review_days,
        "growth_items": items(d.growth_items),
    }


# --- the TOML writer ----------------------------------------------------------------------

_HEADER: Final = (
    "# A perfkit cycle policy (docs/policy-file.md): perfkit.io.load_policy reads it.\n"
)


def dump_policy(policy: CyclePolicy) -> str:
    """The policy file of ``policy``: ``load_policy(dump_policy(p)) == p``.

    Every setting is written out (defaults included, so the file says all the cycle does),
    except the parts the policy does not have and the ``scale`` of parts on the rating scale.
    """
    return _HEADER + _toml(policy_to_mapping(policy))


def _toml(doc: Mapping[str, Any]) -> str:
    lines: list[str] = []
    _body(lines, (), doc, root=True)
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, Mapping) for x in value)


def _body(
    lines: list[str], prefix: tuple[str, ...], table: Mapping[str, Any], *, root: bool
) -> None:
    """A table's keys: values first, then, in order, sub-tables (``[a.b]``) and, at the top
    level, arrays of tables (``[[pools]]``)."""
    headed: list[tuple[tuple[str, ...], Any]] = []
    for key, value in table.items():
        path = (*prefix, key)
        inline = isinstance(value, _Inline) or not value
        if (isinstance(value, Mapping) and not inline) or (root and _is_table_array(value)):
            headed.append((path, value))
        else:
            lines.append(f"{_key(key, strict=True)} = {_value(value, path, top=True)}")
    for path, value in headed:
        if isinstance(value, Mapping):
            lines.extend(("", f"[{_dotted(path)}]"))
            _body(lines, path, value, root=False)
            continue
        for item in value:
            lines.extend(("", f"[[{_dotted(path)}]]"))
            _body(lines, path, item, root=False)


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(k, strict=True) for k in path)


def _value(value: Any, path: tuple[str, ...], *, top: bool = False) -> str:
    """One TOML value; an array of arrays or tables at the top of a key spans several lines."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        try:
            return _quoted(value, strict=True)
        except ValidationError as err:
            raise err.at(".".join(path)) from None
    if isinstance(value, Decimal):
        return _quoted(_dec(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(
            f"{_key(str(k), strict=True)} = {_value(v, (*path, str(k)))}" for k, v in value.items()
        )
        return f"{{ {inner} }}"
    if isinstance(value, list | tuple):
        parts = [_value(v, (*path, f"[{i}]")) for i, v in enumerate(value)]
        if top and value and all(isinstance(v, list | tuple | Mapping) for v in value):
            return "[\n" + "".join(f"    {p},\n" for p in parts) + "]"
        return f"[{', '.join(parts)}]"
    raise ValidationError(".".join(path), value, "cannot be written to TOML")
