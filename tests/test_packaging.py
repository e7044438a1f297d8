"""The package's public surface: version, __all__, dependencies, typing marker."""

from __future__ import annotations

import importlib
import importlib.metadata
import pkgutil
from pathlib import Path

import perfkit


def test_version_matches_metadata() -> None:
    assert perfkit.__version__ == importlib.metadata.version("perfkit")


def test_all_is_sorted_and_complete() -> None:
    assert list(perfkit.__all__) == sorted(perfkit.__all__)
    for name in perfkit.__all__:
        assert hasattr(perfkit, name), name


def test_public_modules_declare_all() -> None:
    for info in pkgutil.iter_modules(perfkit.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"perfkit.{info.name}")
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"perfkit.{info.name} has no __all__"
        assert list(exported) == sorted(exported), f"perfkit.{info.name}.__all__ is not sorted"
        for name in exported:
            assert hasattr(module, name), f"perfkit.{info.name}.{name}"


def test_core_needs_only_attrs_cattrs_dateutil() -> None:
    requires = importlib.metadata.requires("perfkit") or []
    core = sorted(r.split(">")[0].split("=")[0].strip() for r in requires if "extra ==" not in r)
    assert core == ["attrs", "cattrs", "python-dateutil"]


def test_typed_marker_is_shipped() -> None:
    assert (Path(perfkit.__file__).parent / "py.typed").exists()
