"""The audit log's entries and its hash chain, shared by every adapter.

Each entry records who changed which record, when, how (before and after, as perfkit JSON) and
why, and carries ``hash = sha256(prev_hash + canonical JSON of the entry's fields)``. Editing an
entry changes its hash; deleting one breaks the next entry's ``prev_hash`` and leaves a gap in
the sequence numbers; the store keeps the hash of the last entry apart (its "head"), so that
removing entries at the end is found too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

import attrs

from .. import _validation as v

__all__ = [
    "AuditEntry",
    "AuditProblem",
    "AuditReport",
    "GENESIS",
    "chain_hash",
    "entry",
    "extend",
    "links",
    "verify_chain",
]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""


@attrs.frozen(kw_only=True)
class AuditEntry:
    """One change: entry ``seq`` (from 1, no gaps) by ``actor`` at ``at`` to record ``record_id``
    of ``kind`` (goal, review, calibration, result); ``before`` and ``after`` are the records'
    perfkit JSON (``None`` before an insert); ``reason`` says why."""

    seq: int = attrs.field(validator=[v.instance_of(int), v.positive])
    actor: str = attrs.field(validator=v.identifier)
    at: datetime = attrs.field(validator=v.aware_datetime)
    kind: str = attrs.field(validator=v.identifier)
    record_id: str = attrs.field(validator=v.identifier)
    before: str | None = attrs.field(validator=v.optional(v.text))
    after: str = attrs.field(validator=v.text)
    reason: str = attrs.field(default="", validator=v.text)
    prev_hash: str = attrs.field(validator=v.text)
    hash: str = attrs.field(validator=v.text)


def chain_hash(
    *,
    seq: int,
    actor: str,
    at: datetime,
    kind: str,
    record_id: str,
    before: str | None,
    after: str,
    reason: str,
    prev_hash: str,
) -> str:
    """The hash an entry with these fields must carry."""
    return _digest([seq, actor, at.isoformat(), kind, record_id, before, after, reason, prev_hash])


def _digest(fields: list[object]) -> str:
    body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def entry(
    *,
    seq: int,
    actor: str,
    at: datetime,
    kind: str,
    record_id: str,
    before: str | None,
    after: str,
    reason: str,
    prev_hash: str,
) -> AuditEntry:
    """A new entry with its hash computed."""
    fields = {
        "seq": seq,
        "actor": actor,
        "at": at,
        "kind": kind,
        "record_id": record_id,
        "before": before,
        "after": after,
        "reason": reason,
        "prev_hash": prev_hash,
    }
    return AuditEntry(hash=chain_hash(**fields), **fields)  # type: ignore[arg-type]


def extend(
    seq: int,
    prev_hash: str,
    changes: Sequence[tuple[str, str, str | None, str]],
    *,
    actor: str,
    at: datetime,
    reason: str,
) -> list[AuditEntry]:
    """The entries that follow entry ``seq`` (hash ``prev_hash``) for ``changes``, each a
    ``(kind, record_id, before, after)``, chained in order: what every adapter appends."""
    return [
        AuditEntry(
            seq=n,
            actor=actor,
            at=at,
            kind=kind,
            record_id=record_id,
            before=before,
            after=after,
            reason=reason,
            prev_hash=prev,
            hash=digest,
        )
        for n, kind, record_id, before, after, prev, digest in links(
            seq, prev_hash, changes, actor=actor, at=at, reason=reason
        )
    ]


_q = json.encoder.encode_basestring  # how json.dumps(..., ensure_ascii=False) writes a str
_sha256 = hashlib.sha256


def links(
    seq: int,
    prev_hash: str,
    changes: Iterable[tuple[str, str, str | None, str]],
    *,
    actor: str,
    at: datetime,
    reason: str,
) -> Iterator[tuple[int, str, str, str | None, str, str, str]]:
    """The chain :func:`extend` makes, as rows ``(seq, kind, record_id, before, after,
    prev_hash, hash)`` made one at a time (the adapters' bulk imports chain a million entries,
    unchecked: they pass the ids of checked records). The hashes are :func:`chain_hash`'s,
    from the JSON text that ``json.dumps`` writes, written directly."""
    at_text = at.isoformat()
    plain = seq.__class__ is int and actor.__class__ is str and reason.__class__ is str
    stamp = f",{_q(actor)},{_q(at_text)}," if plain else ""
    why = f",{_q(reason)}," if plain else ""
    for kind, record_id, before, after in changes:
        seq += 1
        if (
            plain
            and kind.__class__ is str
            and record_id.__class__ is str
            and after.__class__ is str
            and prev_hash.__class__ is str
            and (before is None or before.__class__ is str)
        ):
            body = (
                f"[{seq}{stamp}{_q(kind)},{_q(record_id)},"
                f"{'null' if before is None else _q(before)},{_q(after)}{why}{_q(prev_hash)}]"
            )
            digest = _sha256(body.encode("utf-8")).hexdigest()
        else:  # pragma: no cover - what json.dumps makes of other values
            fields = [seq, actor, at_text, kind, record_id, before, after, reason, prev_hash]
            digest = _digest(fields)
        yield seq, kind, record_id, before, after, prev_hash, digest
        prev_hash = digest


@attrs.frozen(kw_only=True)
class AuditProblem:
    seq: int = attrs.field(validator=v.instance_of(int))
    reason: str = attrs.field(validator=v.non_empty_text)


@attrs.frozen(kw_only=True)
class AuditReport:
    """The result of :func:`verify_chain`: ``ok`` when every link holds."""

    checked: int = attrs.field(validator=[v.instance_of(int), v.non_negative])
    problems: tuple[AuditProblem, ...] = attrs.field(
        default=(), converter=v.tuple_of, validator=v.each(v.instance_of(AuditProblem))
    )

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(entries: Sequence[AuditEntry], head: str | None) -> AuditReport:
    """Check the chain: hashes, links, sequence numbers without gaps, and the stored ``head``
    (the hash of the last entry, kept apart by the store; ``None``: an empty log)."""
    problems: list[AuditProblem] = []
    prev = GENESIS
    expected_seq = 1
    for e in entries:
        if e.seq != expected_seq:
            problems.append(
                AuditProblem(
                    seq=e.seq, reason=f"expected entry {expected_seq}: entries are missing"
                )
            )
        if e.prev_hash != prev:
            problems.append(AuditProblem(seq=e.seq, reason="does not follow the entry before it"))
        fields = attrs.asdict(e, recurse=False)
        stored = fields.pop("hash")
        if chain_hash(**fields) != stored:
            problems.append(AuditProblem(seq=e.seq, reason="was changed after it was written"))
        prev = stored
        expected_seq = e.seq + 1
    last = entries[-1].hash if entries else None
    if last != head:
        problems.append(
            AuditProblem(
                seq=expected_seq,
                reason="the log ends before its recorded head: entries are missing",
            )
        )
    return AuditReport(checked=len(entries), problems=problems)
