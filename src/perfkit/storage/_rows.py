"""Records in rows: what the SQL adapters share to write and read their records in bulk.

Both adapters keep every record as its perfkit JSON document (``dumps``). Reading a table back
is the costly part of a store: a JSON document parsed and an object built (and validated) per
row. :func:`read_rows` does it a batch of rows at a time: the batch's documents are parsed by one
``json.loads`` call, and each object is built by the generated reader of its class; a row the
fast path does not take (a damaged record, a value only the converter reads) goes through
:func:`perfkit.loads`, so results and error reports are exactly what ``loads`` gives.

Building millions of objects wakes Python's cyclic garbage collector again and again, and each
full collection walks every object the process holds (for a large cycle, most of the time of a
load). Records hold no reference cycles, so the bulk operations pause the collector while they
run (:func:`collector_paused`) and give it back as they found it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

from .._errors import StoreError
from .._gc import collector_paused
from .._serialization import _document_reader

__all__ = [
    "InputGuard",
    "collector_paused",
    "iter_all",
    "parse_many",
    "read_all",
    "read_rows",
]


T = TypeVar("T")

_decode = json.JSONDecoder().decode
_PARSE = 500  # documents parsed per json.loads call (larger lists parse slower)


def parse_many(texts: Sequence[object]) -> list[Any] | None:
    """The parsed documents of ``texts``, one per text, or ``None`` when they cannot be parsed
    together (a text that is not JSON, or not a string): the caller then reads each alone."""
    try:
        docs = _decode("[" + ",".join(texts) + "]")  # type: ignore[arg-type]
    except (TypeError, ValueError, RecursionError):
        return None
    if len(docs) != len(texts):  # a text held more (or less) than one value
        return None
    return docs  # type: ignore[no-any-return]


Kind = type[Any] | Callable[[Sequence[Any]], type[Any]]
"""The class of a table's records, or a function naming the class of a row's record."""


def read_rows(
    rows: Sequence[Sequence[Any]],
    *,
    text: int,
    cls: Kind,
    load: Callable[[Sequence[Any], type[Any]], Any],
    out: list[Any],
    readers: dict[type[Any], Callable[[Any], Any]],
) -> None:
    """Append to ``out`` the record of each row of ``rows`` (its JSON document at index
    ``text``), in order. ``cls`` is the records' class, or ``cls(row)`` names a row's class (it
    may raise for a row that names none); ``load(row, cls)`` reads one row the slow, exact way
    (``loads``, its errors said the adapter's way). ``readers`` caches the fast readers by class
    across batches."""
    if len(rows) > _PARSE:
        for start in range(0, len(rows), _PARSE):
            some = rows[start : start + _PARSE]
            read_rows(some, text=text, cls=cls, load=load, out=out, readers=readers)
        return
    docs = parse_many([row[text] for row in rows])
    one = cls if isinstance(cls, type) else None
    if one is not None and docs is not None:
        read = readers.get(one)
        if read is None:
            read = readers[one] = _document_reader(one)
        try:
            out.extend([read(doc) for doc in docs])  # the usual batch: every record readable
            return
        except Exception:  # noqa: BLE001 - row by row below, to read or name each
            pass
    for i, row in enumerate(rows):
        kind = one if one is not None else cls(row)
        if docs is not None:
            read = readers.get(kind)
            if read is None:
                read = readers[kind] = _document_reader(kind)
            try:
                out.append(read(docs[i]))
                continue
            except Exception:  # noqa: BLE001 - loads reads it, or says why it cannot
                pass
        out.append(load(row, kind))


def read_all(
    batches: Iterable[Sequence[Sequence[Any]]],
    *,
    text: int,
    cls: Kind,
    load: Callable[[Sequence[Any], type[Any]], Any],
) -> list[Any]:
    """The records of every row of ``batches`` (see :func:`read_rows`), in order."""
    out: list[Any] = []
    readers: dict[type[Any], Callable[[Any], Any]] = {}
    with collector_paused():
        for rows in batches:
            read_rows(rows, text=text, cls=cls, load=load, out=out, readers=readers)
    return out


def iter_all(
    batches: Iterable[Sequence[Sequence[Any]]],
    *,
    text: int,
    cls: Kind,
    load: Callable[[Sequence[Any], type[Any]], Any],
) -> Iterator[Any]:
    """The records of every row of ``batches`` (see :func:`read_rows`), in order, built a batch
    at a time: only one batch of rows and records is held. The collector is paused while a batch
    is built, never while the caller holds a record."""
    readers: dict[type[Any], Callable[[Any], Any]] = {}
    for rows in batches:
        out: list[Any] = []
        with collector_paused():
            read_rows(rows, text=text, cls=cls, load=load, out=out, readers=readers)
        yield from out


class InputGuard:
    """Whether a unit of work's bulk write is reading its caller's iterable right now.

    The iterable runs the caller's code (a generator reading a file, say); a write, commit or
    rollback of the same unit of work from inside it would land in the middle of the bulk
    write's own savepoint, so every store refuses it the same way (:meth:`check`)."""

    __slots__ = ("reading",)

    def __init__(self) -> None:
        self.reading: str | None = None

    def check(self) -> None:
        """Refuse a write, commit or rollback while a bulk write reads its input."""
        if self.reading is not None:
            raise StoreError(
                f"{self.reading} is still reading its input in this unit of work: write, "
                "commit or roll back after it returns, not from inside the iterable it reads"
            )

    def chunks(self, items: Iterable[T], size: int, call: str) -> Iterator[list[T]]:
        """``items`` in lists of ``size`` (the last one shorter), taken lazily — a stream of
        records is written a batch at a time, never held whole — and marked as being read by
        the bulk write ``call`` (``"goals.add_many"``) while each list is taken."""
        it = iter(items)
        while True:
            self.reading = call
            try:
                chunk = list(islice(it, size))
            finally:
                self.reading = None
            if not chunk:
                return
            yield chunk

    def items(self, items: Iterable[T], call: str) -> Iterator[T]:
        """``items`` one at a time, marked as being read by ``call`` while each is taken."""
        for chunk in self.chunks(items, 1, call):
            yield chunk[0]
