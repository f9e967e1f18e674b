"""Matching on every core: forked worker processes, with member bytes passed through shared memory.

pyahocorasick, the source-map parser and the per-member Python work all hold the GIL, so threads
cannot share the matching. The workers are forked once per scan, after the rules are compiled (the
automata are inherited, never pickled) and before any thread starts. Member bytes never go through
a pipe: the main process copies each blob into an anonymous shared mapping used as a FIFO ring,
and a task names only an offset, a length and the blob's metadata. Results (findings, map
summaries) come back pickled; they are small. A finished region is returned to the kernel
(``MADV_REMOVE``), so the ring holds only the blobs in flight.

Callers take results in submission order (``Ticket.get``), so the output does not depend on the
number of workers. A worker that dies (killed, out of memory) fails the scan; it never hangs it.
"""

from __future__ import annotations

import dataclasses
import mmap
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar, cast

from leakguard.errors import ScanError
from leakguard.model import Blob

R = TypeVar("R")
Work = Callable[[Blob, int, int], R]

MIB = 1024 * 1024
# Blobs smaller than this travel in batches, so a wheel of 5,000 small files is not 5,000 tasks.
BATCH_BYTES = 4 * MIB
BATCH_COUNT = 256
# At most this many tasks in flight; with the ring, it bounds memory and keeps workers busy.
MAX_TASKS = 8

# Set in the parent just before the fork; the children inherit them.
_WORK: Callable[[Blob, int, int], object] | None = None
_ARENA: mmap.mmap | None = None


def available() -> bool:
    """Forked workers need ``fork`` (Linux and other Unixes; not Windows, and not macOS, where
    forking a process that has loaded system frameworks is unsafe)."""
    return hasattr(os, "fork") and sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def _initialise() -> None:
    # Ctrl-C goes to the whole process group; the parent handles it and stops the workers. The
    # parent's own SIGTERM handler is inherited by the fork: a worker just dies when told to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(batch: list[tuple[int, int, Blob, int, int]]) -> list[object]:
    assert _WORK is not None and _ARENA is not None
    results = []
    for start, length, meta, part, parts in batch:
        blob = dataclasses.replace(meta, data=_ARENA[start : start + length])
        results.append(_WORK(blob, part, parts))
    return results


def _ready() -> None:
    """The first task: makes the executor fork every worker now, before the caller starts threads."""


class _Ring:
    """FIFO allocation of byte regions in the shared mapping."""

    def __init__(self, arena: mmap.mmap) -> None:
        self.arena = arena
        self.size = len(arena)
        self.live: deque[tuple[int, int]] = deque()

    def fits(self, length: int) -> int | None:
        """Where a region of ``length`` bytes can start, or None while the ring is too full."""
        if not self.live:
            return 0 if length <= self.size else None
        head, tail = self.live[0][0], self.live[-1][1]
        if head < tail:
            if self.size - tail >= length:
                return tail
            return 0 if length <= head else None
        return tail if head - tail >= length else None

    def take(self, start: int, length: int) -> None:
        self.live.append((start, start + length))

    def free_oldest(self) -> None:
        start, end = self.live.popleft()
        self._drop(start, end)

    def _drop(self, start: int, end: int) -> None:
        page = mmap.PAGESIZE
        lo, hi = -(-start // page) * page, end // page * page
        if hi > lo and hasattr(mmap, "MADV_REMOVE"):
            self.arena.madvise(mmap.MADV_REMOVE, lo, hi - lo)


@dataclasses.dataclass(slots=True)
class _Batch:
    """One task: blobs (or one part of a large blob) and how many ring regions it releases."""

    items: list[tuple[int, int, Blob, int, int]] = dataclasses.field(default_factory=list)
    size: int = 0
    regions: int = 0
    future: Future[list[object]] | None = None


class Ticket(Generic[R]):
    """The results of one blob's parts, available in submission order."""

    def __init__(self, pool: Workers[R], batches: list[_Batch], index: int, inline: list[R] | None = None) -> None:
        self._pool = pool
        self._batches = batches
        self._index = index
        self._inline = inline

    def ready(self) -> bool:
        """True when ``get`` would not block."""
        return self._inline is not None or all(b.future is not None and b.future.done() for b in self._batches)

    def get(self) -> list[R]:
        """One result per part; blocks until they are ready."""
        if self._inline is not None:
            return self._inline
        results = []
        for batch in self._batches:
            if batch.future is None:
                self._pool._dispatch()
            assert batch.future is not None
            try:
                results.append(cast(R, batch.future.result()[self._index]))
            except BrokenProcessPool:
                raise ScanError("a matching worker process died (killed or out of memory); "
                                "rerun with --jobs 1 to scan in one process") from None
        return results


class Workers(Generic[R]):
    """``jobs`` forked processes running ``work(blob, part, parts)``. Create it before starting
    any thread; ``close`` it when done (it is a context manager)."""

    def __init__(self, work: Work[R], jobs: int, arena_bytes: int) -> None:
        global _WORK, _ARENA
        self._work = work
        _WORK = work
        _ARENA = self._arena = mmap.mmap(-1, arena_bytes)  # anonymous and shared with the children
        self._ring = _Ring(self._arena)
        self._executor = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                             initializer=_initialise)
        self._executor.submit(_ready).result()
        self._open = _Batch()
        self._sent: deque[_Batch] = deque()  # dispatched, oldest first, with the regions they hold

    def __enter__(self) -> Workers[R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(failed=exc[0] is not None)

    def submit(self, blob: Blob, parts: int = 1) -> Ticket[R]:
        """Queue ``blob`` (split into ``parts`` tasks); blocks while the ring or the task queue is full."""
        length = len(blob.data)
        if length > self._ring.size:
            return Ticket(self, [], 0, [self._work(blob, part, parts) for part in range(parts)])
        start = self._room(length) if length else 0
        if length:
            self._arena[start : start + length] = blob.data
            self._ring.take(start, length)
        regions = 1 if length else 0
        meta = dataclasses.replace(blob, data=b"")
        if parts == 1 and length < BATCH_BYTES:
            batch = self._open
            batch.items.append((start, length, meta, 0, 1))
            batch.size += length
            batch.regions += regions
            ticket = Ticket(self, [batch], len(batch.items) - 1)
            if batch.size >= BATCH_BYTES or len(batch.items) >= BATCH_COUNT:
                self._dispatch()
            return ticket
        self._dispatch()
        batches = [_Batch([(start, length, meta, part, parts)], length, regions if part == parts - 1 else 0)
                   for part in range(parts)]
        for batch in batches:
            self._send(batch)
        return Ticket(self, batches, 0)

    def _room(self, length: int) -> int:
        while True:
            start = self._ring.fits(length)
            if start is not None:
                return start
            if not self._sent:
                self._dispatch()
            self._retire(wait=True)

    def _dispatch(self) -> None:
        if self._open.items:
            batch, self._open = self._open, _Batch()
            self._send(batch)

    def _send(self, batch: _Batch) -> None:
        while len(self._sent) >= MAX_TASKS:
            self._retire(wait=True)
        batch.future = self._executor.submit(_run, batch.items)
        self._sent.append(batch)

    def _retire(self, *, wait: bool) -> None:
        """Free the ring regions of the oldest dispatched task (waiting for it if ``wait``)."""
        while self._sent and (wait or cast(Future[list[object]], self._sent[0].future).done()):
            batch = self._sent.popleft()
            cast(Future[list[object]], batch.future).exception()  # waits; errors surface in Ticket.get
            for _ in range(batch.regions):
                self._ring.free_oldest()
            wait = False

    def close(self, *, failed: bool = False) -> None:
        """Stop the workers; on failure (or Ctrl-C) without waiting for their tasks."""
        global _WORK, _ARENA
        if failed:
            for process in list(getattr(self._executor, "_processes", {}).values()):
                process.terminate()
        self._executor.shutdown(wait=True, cancel_futures=True)
        _WORK = _ARENA = None
        self._arena.close()
