"""Loading a cycle's data from an HRIS export (a directory of CSV files, or one JSON document)
and writing it back.

The import is all or nothing: every bad row is reported (file, line, column, value, reason), all
of them in one pass, and then the import is refused whole with :class:`DataImportError`. With
``on_error="skip"`` the bad rows, and the rows that refer to them, are left out and listed in the
result instead; the import is still refused when what remains does not hold together, or when a
whole file cannot be read.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Sequence
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .._errors import ValidationError
from .._gc import collector_paused
from .._serialization import dumps
from ..cycles import ReviewCycle
from ..dataset import CycleData
from ..reviews import ReviewForm
from ..scales import BUILTIN_SCALES, ScaleCatalog
from ._hris_check import Records, finish
from ._hris_config import CONFIG_FILES, Config, check_forms, parse_config, read_config
from ._hris_csv import FILES, Options, read_directory
from ._hris_json import parse_document, read_document
from ._hris_model import ImportProblem, ImportResult
from ._hris_write import files

__all__ = ["load_dataset", "write_dataset"]

_ON_ERROR = ("raise", "skip")


def _zone(value: object) -> tzinfo | None:
    if value is None or isinstance(value, tzinfo):
        return value
    if isinstance(value, str):
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise ValidationError(
        "assume_timezone", value, "is not a tzinfo nor an IANA time zone name ('Europe/Paris')"
    )


def _path(value: object, name: str = "path") -> Path:
    if not isinstance(value, str | os.PathLike):
        raise ValidationError(name, value, "is not a path (a str or os.PathLike)")
    try:
        return Path(value)
    except (TypeError, ValueError):  # pragma: no cover - os.PathLike returning bytes
        raise ValidationError(name, value, "is not a path") from None


def _check_args(
    on_error: object, dayfirst: object, cycle: object, forms: object, scales: object
) -> tuple[ReviewForm, ...] | None:
    if on_error not in _ON_ERROR:
        raise ValidationError("on_error", on_error, "is not 'raise' or 'skip'")
    if dayfirst is not None and not isinstance(dayfirst, bool):
        raise ValidationError("dayfirst", dayfirst, "is not True, False or None")
    if cycle is not None and not isinstance(cycle, ReviewCycle):
        raise ValidationError("cycle", cycle, "is not a ReviewCycle")
    if scales is not None and not isinstance(scales, ScaleCatalog):
        raise ValidationError("scales", scales, "is not a ScaleCatalog")
    if forms is None:
        return None
    if isinstance(forms, str | bytes) or not isinstance(forms, Sequence):
        raise ValidationError("forms", forms, "is not a sequence of ReviewForm")
    for i, form in enumerate(forms):
        if not isinstance(form, ReviewForm):
            raise ValidationError(f"forms[{i}]", form, "is not a ReviewForm")
    return tuple(forms)


def load_dataset(
    path: str | os.PathLike[str],
    *,
    cycle: ReviewCycle | None = None,
    forms: Sequence[ReviewForm] | None = None,
    scales: ScaleCatalog | None = None,
    on_error: str = "raise",
    assume_timezone: str | tzinfo | None = None,
    dayfirst: bool | None = None,
) -> ImportResult:
    """Load a cycle's data from an HRIS export: a directory of CSV files, or one JSON document.

    A directory holds ``employees.csv`` (required), ``units.csv``, ``goals.csv``,
    ``milestones.csv``, ``checkins.csv``, ``feedback.csv`` and ``reviews.csv`` (optional), and
    ``cycle.toml`` or ``cycle.json`` with the review cycle, the review forms and any rating
    scales besides the built-in ones. A file is perfkit's own ``CycleData`` JSON document
    (``perfkit.dumps(data)``). ``cycle``, ``forms`` and ``scales`` replace those of the cycle
    file (or of the document); without a cycle file, ``cycle`` is required.

    Dates are ISO 8601; day/month/year spellings (``31/03/2026``) are read only with
    ``dayfirst=True`` (``dayfirst=False``: month/day/year). Datetimes without an offset are read
    in ``assume_timezone`` (an IANA name or a tzinfo), and refused without it.

    Raises :class:`DataImportError` listing every problem (nothing is loaded); with
    ``on_error="skip"`` bad records, and the records that refer to them, are left out and listed
    in :attr:`ImportResult.skipped`. Bad arguments raise :class:`~perfkit.ValidationError`.
    """
    root = _path(path)
    form_list = _check_args(on_error, dayfirst, cycle, forms, scales)
    zone = _zone(assume_timezone)
    if root.is_file() and root.suffix.lower() in (".csv", ".toml"):
        raise ValidationError(
            "path", str(path), "is one file of an export; pass the directory that holds it"
        )
    if not root.is_dir() and not root.is_file():
        raise ValidationError("path", str(path), "does not exist")
    with collector_paused():
        return _load(root, zone, dayfirst, cycle, form_list, scales, skip=on_error == "skip")


def _load(
    root: Path,
    zone: tzinfo | None,
    dayfirst: bool | None,
    cycle: ReviewCycle | None,
    forms: tuple[ReviewForm, ...] | None,
    scales: ScaleCatalog | None,
    *,
    skip: bool,
) -> ImportResult:
    """The import proper; its records (a few objects per row) are freed when it returns."""
    if root.is_dir():
        recs, config = _read_directory(root, zone, dayfirst, cycle, forms, scales)
    else:
        recs, config = _read_json(root, zone, cycle, forms, scales)
    return finish(recs, config, skip=skip)


def _override(
    config: Config,
    cycle: ReviewCycle | None,
    forms: tuple[ReviewForm, ...] | None,
    scales: ScaleCatalog | None,
) -> None:
    """The caller's cycle, forms and scales replace the file's (and its problems with them)."""
    for name, value in (("cycle", cycle), ("forms", forms), ("scales", scales)):
        if value is not None:
            setattr(config, name, value)
            config.problems = [
                p
                for p in config.problems
                if not (p.column or "").removeprefix("data.").startswith(name)
            ]


def _read_directory(
    root: Path,
    zone: tzinfo | None,
    dayfirst: bool | None,
    cycle: ReviewCycle | None,
    forms: tuple[ReviewForm, ...] | None,
    scales: ScaleCatalog | None,
) -> tuple[Records, Config]:
    present = [name for name in CONFIG_FILES if (root / name).is_file()]
    config_file = present[0] if present else CONFIG_FILES[0]
    config = Config()
    if len(present) > 1:
        config.problems.append(
            ImportProblem(file=config_file, reason="and cycle.json are both there; keep one")
        )
    elif present:
        try:
            text = (root / config_file).read_bytes().decode("utf-8-sig")
        except OSError as exc:
            config.problems.append(
                ImportProblem(file=config_file, reason=f"cannot be read ({exc.strerror})")
            )
        except UnicodeDecodeError:
            config.problems.append(ImportProblem(file=config_file, reason="is not UTF-8 text"))
        else:
            doc, problems = parse_config(config_file, text)
            config = read_config(config_file, doc) if doc is not None else Config()
            config.problems += problems
    _override(config, cycle, forms, scales)
    if config.cycle is None and not config.problems:
        config.problems.append(
            ImportProblem(
                file=config_file,
                reason=f"is missing from {root}: give the review cycle there (or pass cycle=...)",
            )
        )
    if config.scales is None and not present:
        config.scales = BUILTIN_SCALES
    if config.forms is None and not present:
        config.forms = ()
    if config.forms is not None and config.scales is not None:
        config.problems += check_forms(config_file, config.forms, config.scales)
    recs = Records(source=str(root), files=[config_file, *FILES], config_file=config_file)
    opts = Options(dayfirst=dayfirst, assume=zone, config=config, config_file=config_file)
    read_directory(root, opts, recs)
    return recs, config


def _read_json(
    root: Path,
    zone: tzinfo | None,
    cycle: ReviewCycle | None,
    forms: tuple[ReviewForm, ...] | None,
    scales: ScaleCatalog | None,
) -> tuple[Records, Config]:
    file = root.name
    recs = Records(source=str(root), files=[file], config_file=file)
    try:
        data = root.read_bytes()
    except OSError as exc:
        recs.problems.append(ImportProblem(file=file, reason=f"cannot be read ({exc.strerror})"))
        return recs, Config()
    doc, problems = parse_document(file, data)
    if problems:
        recs.problems += problems
        return recs, Config()
    config = read_document(file, doc, zone, recs)
    _override(config, cycle, forms, scales)
    if config.cycle is None and not config.problems:
        config.problems.append(ImportProblem(file=file, column="data.cycle", reason="is required"))
    if config.scales is None:
        config.scales = ScaleCatalog()
    if config.forms is None:
        config.forms = ()
    return recs, config


def write_dataset(data: CycleData, path: str | os.PathLike[str]) -> None:
    """Write ``data`` where :func:`load_dataset` reads it back as equal data: a path ending in
    ``.json`` gets perfkit's JSON document, any other path a new directory with the CSV files
    and ``cycle.toml``.

    All or nothing: the files are written aside and moved into place at the end. An existing
    file, or a directory that is not empty, is never overwritten. Data the CSV format cannot
    hold (an id holding ``;`` in a list cell, an attribute named like a column or empty) raises
    :class:`~perfkit.ValidationError` before anything is written.
    """
    if not isinstance(data, CycleData):
        raise ValidationError("data", data, "is not a CycleData")
    target = _path(path)
    if target.suffix.lower() == ".json":
        if target.exists():
            raise ValidationError("path", str(path), "exists; perfkit does not overwrite it")
        text = dumps(data)
        _atomic_file(target, text)
        return
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise ValidationError(
            "path", str(path), "exists and is not an empty directory; write to a new one"
        )
    contents = files(data)
    parent = _parent(target)
    staging = _staging(parent, target.name)
    try:
        staging.mkdir()
        for name, text in contents.items():
            (staging / name).write_text(text, encoding="utf-8", newline="")
        os.replace(staging, target)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ValidationError("path", str(path), f"cannot be written ({exc.strerror})") from None


def _atomic_file(target: Path, text: str) -> None:
    parent = _parent(target)
    staging = _staging(parent, target.name)
    try:
        with staging.open("x", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(staging, target)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise ValidationError("path", str(target), f"cannot be written ({exc.strerror})") from None


def _staging(parent: Path, name: str) -> Path:
    """A fresh name beside the target to write to first (made with the usual permissions,
    unlike a tempfile's private ones)."""
    return parent / f".{name}.{secrets.token_hex(8)}.partial"


def _parent(target: Path) -> Path:
    """The folder ``target`` goes in, made if it is not there yet."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(
            "path", str(target), f"cannot be made in {str(parent)!r} ({exc.strerror})"
        ) from None
    return parent
