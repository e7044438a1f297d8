"""Pausing Python's cycle collector during bulk work (an import, a store's bulk read or write).

Bulk work builds millions of objects that all stay alive until it ends; every automatic
collection would walk all of them again, which more than doubled the time of a large import or
load, and the work makes no reference cycles worth collecting early. Bulk operations running at
the same time in several threads share one pause: the first in turns the collector off and the
last out turns it back on — only if it was on when the first began, so a host that keeps the
collector off keeps it off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_LOCK = threading.Lock()
_pauses = 0  # bulk operations running now, in any thread
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cycle collector paused for the block (see the module's docstring)."""
    global _pauses, _resume
    with _LOCK:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _LOCK:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
