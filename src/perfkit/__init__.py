"""perfkit: an open, embeddable core for performance management."""

from ._errors import (
    DocumentError,
    HierarchyLoopError,
    NotFoundError,
    PerfkitError,
    PhaseError,
    TransitionError,
    UnknownReferenceError,
    ValidationError,
)
from ._frozen import FrozenMap
from ._serialization import SCHEMA_VERSION, dumps, loads, structure, unstructure
from ._version import __version__
from .events import StateMachine, WorkflowEvent
from .money import CURRENCIES, Money, SalaryBand, compa_ratio, minor_unit

__all__ = [
    "CURRENCIES",
    "DocumentError",
    "FrozenMap",
    "HierarchyLoopError",
    "Money",
    "NotFoundError",
    "PerfkitError",
    "PhaseError",
    "SCHEMA_VERSION",
    "SalaryBand",
    "StateMachine",
    "TransitionError",
    "UnknownReferenceError",
    "ValidationError",
    "WorkflowEvent",
    "__version__",
    "compa_ratio",
    "dumps",
    "loads",
    "minor_unit",
    "structure",
    "unstructure",
]
