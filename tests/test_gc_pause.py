"""The shared pause of the cycle collector during bulk work (imports, a store's bulk I/O)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from perfkit._gc import collector_paused


@pytest.fixture(autouse=True)
def _restore_collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_nested_pauses_resume_once_at_the_outermost_end() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer block is still bulk work
    assert gc.isenabled()


def test_a_host_that_keeps_the_collector_off_keeps_it_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_exception_still_resumes() -> None:
    gc.enable()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_overlapping_threads_resume_when_the_last_one_ends() -> None:
    gc.enable()
    inside = threading.Barrier(3)
    leave = threading.Event()
    seen: list[bool] = []

    def work() -> None:
        with collector_paused():
            inside.wait()
            leave.wait()
            seen.append(gc.isenabled())

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    inside.wait()
    assert not gc.isenabled()
    leave.set()
    for t in threads:
        t.join()
    assert gc.isenabled()
    assert seen == [False, False]  # each thread ran all of its block with the collector off
