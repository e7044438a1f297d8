"""An immutable, hashable, key-ordered mapping for free-form attributes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ._errors import ValidationError

__all__ = ["FrozenMap"]


class FrozenMap(Mapping[str, str]):
    """A read-only ``str → str`` mapping, kept in key order, hashable and comparable.

    Used for attributes that analytics group by (location, gender, ...), so that the objects
    holding them stay immutable and hashable.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[str, str] | None = None, /, **kwargs: str) -> None:
        items = dict(data or {}, **kwargs)
        for key, value in items.items():
            if not isinstance(key, str) or not key:
                raise ValidationError("", key, "is not a non-empty string key")
            if not isinstance(value, str):
                raise ValidationError(f"[{key!r}]", value, "is not a string")
        self._data: dict[str, str] = dict(sorted(items.items()))
        self._hash: int | None = None

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._data.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, Mapping):
            return self._data == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def to_dict(self) -> dict[str, str]:
        return dict(self._data)


def frozen_map(value: Any) -> Any:
    """attrs converter: a mapping becomes a :class:`FrozenMap` (other values are left for the
    validator to reject)."""
    if isinstance(value, FrozenMap):
        return value
    if isinstance(value, Mapping):
        return FrozenMap(value)
    return value
