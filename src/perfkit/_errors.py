"""The perfkit exception hierarchy.

Every error a caller can cause is a :class:`PerfkitError`. Errors about data name *where* the
problem is (a field path such as ``goals[3].weight``, or ``file:line:column`` for imported files)
and *what* was wrong (the offending value and a reason).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "ConcurrencyError",
    "DocumentError",
    "HierarchyLoopError",
    "NotFoundError",
    "PerfkitError",
    "PermissionDenied",
    "PhaseError",
    "StoreError",
    "TransitionError",
    "UnknownReferenceError",
    "ValidationError",
]

_MISSING = object()


def join_path(prefix: str, path: str) -> str:
    """Join two field paths: ``join_path("goals[3]", "weight") == "goals[3].weight"``."""
    if not prefix:
        return path
    if not path:
        return prefix
    if path.startswith("["):
        return prefix + path
    return f"{prefix}.{path}"


class PerfkitError(Exception):
    """Base class of every exception perfkit raises on purpose."""


class ValidationError(PerfkitError):
    """A value is not acceptable where it stands.

    ``path`` names the field (``goals[3].weight``), ``value`` is what was found there and
    ``reason`` says what is wrong with it, so ``str(err)`` reads
    ``goals[3].weight: -0.2 is not positive``.
    """

    def __init__(self, path: str, value: object, reason: str) -> None:
        self.path = path
        self.value = value
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        shown = "" if self.value is _MISSING else f"{_shown(self.value)} "
        where = f"{self.path}: " if self.path else ""
        return f"{where}{shown}{self.reason}"

    def at(self, prefix: str) -> ValidationError:
        """A copy of this error whose path is put below ``prefix``."""
        clone = self.__class__.__new__(self.__class__)
        clone.__dict__.update(self.__dict__)
        clone.path = join_path(prefix, self.path)
        Exception.__init__(clone, clone._message())
        return clone

    def __reduce__(self) -> tuple[object, ...]:  # pragma: no cover - pickling support
        return (_rebuild, (self.__class__, self.__dict__))


def _rebuild(cls: type[ValidationError], state: dict[str, object]) -> ValidationError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, err._message())
    return err


def _shown(value: object, limit: int = 120) -> str:
    """``repr`` of a bad value, cut short so a 400-digit number does not flood a message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


class UnknownReferenceError(ValidationError):
    """A field refers to something that does not exist (a manager id, a parent goal, a scale)."""


class HierarchyLoopError(ValidationError):
    """A hierarchy (reporting lines, org units, goal alignment) loops back on itself.

    ``loop`` lists the ids around the loop, first id repeated at the end.
    """

    def __init__(self, path: str, loop: Sequence[str], what: str) -> None:
        self.loop = tuple(loop)
        super().__init__(path, _MISSING, f"{what} loops: {' -> '.join(self.loop)}")


class NotFoundError(PerfkitError, LookupError):
    """A query named an id that is not there."""

    def __init__(self, what: str, key: str) -> None:
        self.what = what
        self.key = key
        super().__init__(f"no {what} with id {key!r}")


class TransitionError(PerfkitError):
    """A workflow was asked to move to a state it cannot reach from where it is."""

    def __init__(
        self, subject: str, current: str, target: str, allowed: Iterable[str], why: str = ""
    ) -> None:
        self.subject = subject
        self.current = current
        self.target = target
        self.allowed = tuple(sorted(allowed))
        options = ", ".join(self.allowed) if self.allowed else "none (final state)"
        extra = f": {why}" if why else ""
        super().__init__(
            f"{subject}: cannot go from {current!r} to {target!r}{extra}; allowed from "
            f"{current!r}: {options}"
        )


class PhaseError(PerfkitError):
    """An action is not allowed in the review cycle's current phase."""


class DocumentError(PerfkitError):
    """A serialised document could not be read; ``errors`` lists every problem found."""

    def __init__(self, errors: Sequence[ValidationError], source: str = "document") -> None:
        self.errors = tuple(errors)
        self.source = source
        lines = "\n".join(f"  {e}" for e in self.errors)
        noun = "problem" if len(self.errors) == 1 else "problems"
        super().__init__(f"{source}: {len(self.errors)} {noun}\n{lines}")


MISSING = _MISSING


class StoreError(PerfkitError):
    """A store cannot be used as asked: not a perfkit database, another schema version, a
    server that cannot be reached. The message says what to do."""


class ConcurrencyError(PerfkitError):
    """Someone else changed the record since it was read: the write was refused and nothing
    was overwritten. Read the record again, re-apply the change, and save with its new version.

    From a bulk write (``add_many``), ``path`` names the refused item by its position in the
    call (``goals[2300]``): an id stored already, or one that an earlier item of the same call
    has (``found`` is then 1, as a second save would find)."""

    # Records that are written once and never edited: no version to save them with.
    _WRITE_ONCE = frozenset({"check_in", "feedback"})

    def __init__(
        self,
        kind: str,
        record_id: str,
        expected: int | None,
        found: int | None,
        *,
        path: str = "",
    ) -> None:
        self.kind = kind
        self.record_id = record_id
        self.expected = expected
        self.found = found
        self.path = path
        if expected is None and kind in self._WRITE_ONCE:
            text = f"{kind} {record_id!r} already exists (never edited); give a new one a new id"
        elif expected is None:
            text = (
                f"{kind} {record_id!r} already exists (version {found}); save it with that version"
            )
        elif found is None:
            text = f"{kind} {record_id!r} does not exist; save it with expected_version=None"
        else:
            text = (
                f"{kind} {record_id!r} is at version {found}, not {expected}: someone else changed "
                "it; read it again and re-apply the change"
            )
        super().__init__(f"{path}: {text}" if path else text)

    def at(self, path: str) -> ConcurrencyError:
        """This error, naming the item at ``path`` of a bulk write."""
        return ConcurrencyError(self.kind, self.record_id, self.expected, self.found, path=path)


class PermissionDenied(PerfkitError):
    """A viewer asked to read something the access rules deny them.

    ``viewer`` is the id of who asked, ``what`` the kind of record and ``key`` its id; ``reason``
    says which rule denied it. The message never shows the record's content.
    """

    def __init__(self, viewer: str, what: str, key: str, reason: str) -> None:
        self.viewer = viewer
        self.what = what
        self.key = key
        self.reason = reason
        super().__init__(f"{viewer!r} may not read {what} {key!r}: {reason}")
