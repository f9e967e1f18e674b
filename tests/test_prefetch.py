"""The walker thread: events arrive in order, in batches of small ones, with a bounded backlog."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from leakguard import app
from leakguard.model import Blob, Origin


def _blob(name: str, size: int) -> Blob:
    return Blob(Origin(("a.zip", name)), b"x" * size, 1)


def test_order_and_identity_kept_across_small_and_large_events() -> None:
    events = [
        *(_blob(f"s{i}", 100) for i in range(600)),
        _blob("big", 3 * app.BATCH_BYTES),
        *(_blob(f"m{i}", app.ALONE_BYTES - 1) for i in range(6)),
        _blob("chunk", app.ALONE_BYTES),
        *(_blob(f"t{i}", 70_000) for i in range(40)),
        _blob("last", 1),
    ]
    received = list(app.prefetch(iter(events)))
    assert len(received) == len(events)
    assert all(a is b for a, b in zip(received, events, strict=True))


def test_a_failure_arrives_after_every_event_walked_before_it() -> None:
    def walk() -> Iterator[Blob]:
        for i in range(5):
            yield _blob(f"m{i}", 10)
        raise ValueError("corrupt")

    received = []
    with pytest.raises(ValueError, match="corrupt"):
        for event in app.prefetch(walk()):
            received.append(event.origin.inner)
    assert received == [f"m{i}" for i in range(5)]
    assert not _walkers()  # joined before the error reached the reader


def test_a_reader_that_stops_early_stops_the_walk() -> None:
    closed = threading.Event()

    def walk() -> Iterator[Blob]:
        try:
            for i in range(100_000):
                yield _blob(f"m{i}", 10)
        finally:
            closed.set()

    events = app.prefetch(walk())
    next(events)
    events.close()  # what a scan that raises does to its walk
    assert not _walkers()
    assert closed.is_set()  # the walk's generator was closed, not left to the garbage collector


@pytest.mark.parametrize(("size", "most"), [
    # One batch being read, two queued, one the walker waits to queue: small members fill batches
    # by count, and a large member (or a streamed chunk) travels alone, as before batching.
    (10, 4 * app.BATCH_EVENTS),
    (app.ALONE_BYTES, 4),
    (app.BATCH_BYTES // 8, 4 * 8),
])
def test_the_walker_stops_when_the_backlog_is_full(size: int, most: int) -> None:
    pulled = 0
    lock = threading.Lock()

    def walk() -> Iterator[Blob]:
        nonlocal pulled
        for i in range(10_000):
            with lock:
                pulled += 1
            yield _blob(f"m{i}", size)

    events = app.prefetch(walk())
    next(events)
    time.sleep(0.3)  # the walker would pull all 10,000 by now if nothing held it back
    with lock:
        assert pulled <= most
    events.close()
    assert not _walkers()


def _walkers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "leakguard-walk"]
