"""Matching on every core: forked worker processes, with member bytes passed through shared memory.

pyahocorasick, the source-map parser and the per-member Python work all hold the GIL, so threads
cannot share the matching. The workers are forked once per scan, after the rules are compiled (the
automata are inherited, never pickled) and before any thread starts. Member bytes never go through
a pipe: the main process copies each blob into an anonymous shared mapping used as a FIFO ring,
and a task names only an offset, a length and the blob's metadata. Results (findings, map
summaries) come back pickled; they are small. The processes and their pipes are ``pool.Pool``. The
ring wraps to its start as soon as that is free, so it reuses pages already faulted in (a fresh
page costs far more than the copy into it); pages past its first ``RESIDENT_BYTES`` go back to the
kernel (``MADV_REMOVE``) as soon as their region is free, so what stays resident is bounded.

Callers take results in submission order (``Ticket.get``), so the output does not depend on the
number of workers. A worker that dies (killed, out of memory) fails the scan; it never hangs it.
"""

from __future__ import annotations

import bisect
import dataclasses
import mmap
import os
import signal
import sys
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from leakguard.errors import ScanError
from leakguard.model import Blob
from leakguard.pool import Pool, Task, WorkerDied

R = TypeVar("R")


@dataclasses.dataclass(frozen=True, slots=True)
class Job:
    """What a worker is handed. A whole blob comes with its bytes in ``blob.data``. One of
    ``parts`` of a blob comes as ``text`` (its bytes decoded as latin-1, straight from the shared
    mapping) with empty ``blob.data``. A span job comes as ``pieces``: byte spans of a region,
    copied out one by one, and the caller's ``payload``."""

    blob: Blob
    part: int = 0
    parts: int = 1
    text: str | None = None
    pieces: tuple[bytes, ...] = ()
    payload: object = None


Work = Callable[[Job], R]
# One item of a task: region start and length, the blob without its bytes, part, parts, and for a
# span job the spans (relative to the region) and the payload.
_Item = tuple[int, int, Blob, int, int, tuple[tuple[int, int], ...] | None, object]

MIB = 1024 * 1024
# Blobs smaller than this travel in batches, so a wheel of 5,000 small files is not 5,000 tasks.
BATCH_BYTES = 4 * MIB
BATCH_COUNT = 256
# At most this many tasks in flight (the ring bounds their memory): enough that the parent rarely
# waits for a slot while the walker has bytes ready.
MAX_TASKS = 32
# A region this large may go past every live one instead of waiting for the oldest to be freed
# (see _Ring.fits): a package's bundle after its binaries.
LARGE_BYTES = 1 * MIB
# The ring's first pages keep their memory when their region is freed, for the next lap; pages past
# this go back to the kernel at once (see _Ring._drop). It holds what is usually in flight (32
# tasks of a streamed map's entries, about a MiB each), so the ring seldom touches fresh pages.
RESIDENT_BYTES = 48 * MIB

# Set in the parent just before the fork; the children inherit them.
_WORK: Callable[[Job], object] | None = None
_ARENA: mmap.mmap | None = None


# The default number of workers never exceeds this: a CI container on a 64-core host would
# otherwise fork 64 processes for a two-core job.
MAX_DEFAULT_JOBS = 8


def default_jobs() -> int:
    """The cores this process may run on (its CPU affinity, which containers narrow), at most
    ``MAX_DEFAULT_JOBS``."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_DEFAULT_JOBS))


def available() -> bool:
    """Forked workers need ``fork`` (Linux and other Unixes; not Windows, and not macOS, where
    forking a process that has loaded system frameworks is unsafe)."""
    return hasattr(os, "fork") and sys.platform not in ("darwin", "win32", "cygwin")


def _initialise() -> None:
    # Ctrl-C goes to the whole process group; the parent handles it and stops the workers. The
    # parent's own SIGTERM handler is inherited by the fork: a worker just dies when told to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_task(task: object) -> object:
    return _run(cast(list[_Item], task))


def _run(batch: list[_Item]) -> list[object]:
    assert _WORK is not None and _ARENA is not None
    results = []
    for start, length, meta, part, parts, spans, payload in batch:
        if spans is not None:
            pieces = tuple(_ARENA[start + lo : start + hi] for lo, hi in spans)
            results.append(_WORK(Job(meta, pieces=pieces, payload=payload)))
        elif parts == 1:
            results.append(_WORK(Job(dataclasses.replace(meta, data=_ARENA[start : start + length]))))
        else:
            with memoryview(_ARENA) as view:
                text = str(view[start : start + length], "latin-1")
            _forget(start, start + length)
            results.append(_WORK(Job(meta, part, parts, text)))
    return results


def _forget(start: int, end: int) -> None:
    """Unmap this worker's view of a region it has copied (the parent still holds the pages), so
    they are not counted twice in the workers' resident memory."""
    assert _ARENA is not None
    _advise(_ARENA, mmap.MADV_DONTNEED, start, end)


def _advise(arena: mmap.mmap, advice: int, start: int, end: int) -> None:
    """``madvise`` on the whole pages inside ``[start, end)`` (pages at either edge may be shared
    with a neighbouring region)."""
    page = mmap.PAGESIZE
    lo, hi = -(-start // page) * page, end // page * page
    if hi > lo:
        arena.madvise(advice, lo, hi - lo)


class _Ring:
    """Byte regions in the shared mapping, freed in the order they were taken."""

    def __init__(self, arena: mmap.mmap) -> None:
        self.arena = arena
        self.size = len(arena)
        self.live: deque[tuple[int, int]] = deque()  # in the order taken
        self._starts: list[int] = []  # the same regions by address (they never overlap)
        self._ends: list[int] = []

    def fits(self, length: int) -> int | None:
        """Where a region of ``length`` bytes can start, or None while no free stretch holds it.

        The start of the mapping first, as soon as it is free: the ring keeps cycling through the
        same pages, already faulted in, instead of touching fresh ones all the way to the end.
        Then right after the newest region. Only when neither is free, every gap between regions
        in address order, and for a region of ``LARGE_BYTES`` or more the space past the highest
        one: once the ring has wrapped, a 13 MB bundle read after a package's binaries goes past
        them at once instead of waiting for their tasks to end.
        """
        if length > self.size:
            return None
        if not self.live:
            return 0
        for start in (0, self.live[-1][1]):
            if self._free(start, length):
                return start
        gap = 0  # one pass over the regions by address: the first gap that holds it
        for start, end in zip(self._starts, self._ends, strict=True):
            if start - gap >= length:
                return gap
            gap = end
        # Past the highest region the pages may be fresh: worth it for a large region, not for a
        # small one, which waits for the oldest task instead.
        return gap if length >= LARGE_BYTES and self.size - gap >= length else None

    def _free(self, start: int, length: int) -> bool:
        if start + length > self.size:
            return False
        above = bisect.bisect_right(self._starts, start)  # the first region starting after start
        if above and self._ends[above - 1] > start:
            return False
        return above == len(self._starts) or self._starts[above] >= start + length

    def take(self, start: int, length: int) -> None:
        self.live.append((start, start + length))
        at = bisect.bisect_left(self._starts, start)
        self._starts.insert(at, start)
        self._ends.insert(at, start + length)

    def free_oldest(self) -> None:
        start, end = self.live.popleft()
        at = bisect.bisect_left(self._starts, start)
        del self._starts[at], self._ends[at]
        self._drop(start, end)

    def _drop(self, start: int, end: int) -> None:
        # Pages past RESIDENT_BYTES go back to the kernel; the others stay for the next lap: a fresh
        # page costs a fault, several times the copy into it (about 4 us a page on the benchmark's
        # machine, where the hypervisor takes freed memory back).
        lo = max(start, RESIDENT_BYTES)
        if end > lo and hasattr(mmap, "MADV_REMOVE"):
            _advise(self.arena, mmap.MADV_REMOVE, lo, end)


@dataclasses.dataclass(slots=True)
class _Batch:
    """One task: blobs (or one part of a large blob) and how many ring regions it releases."""

    items: list[_Item] = dataclasses.field(default_factory=list)
    size: int = 0
    regions: int = 0
    future: Task | None = None


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
        if not self.ready():
            self._pool.flush()  # about to wait
        results = []
        for batch in self._batches:
            if batch.future is None:
                self._pool._dispatch()
            assert batch.future is not None
            try:
                results.append(cast(R, cast(list[object], batch.future.result())[self._index]))
            except WorkerDied:
                raise ScanError("a matching worker process died (killed or out of memory); "
                                "rerun with --jobs 1 to scan in one process") from None
        self._pool._retire(wait=False)
        return results


class Workers(Generic[R]):
    """``jobs`` forked processes running ``work(job)`` for each ``Job``. Create it before starting
    any thread; ``close`` it when done (it is a context manager)."""

    def __init__(self, work: Work[R], jobs: int, arena_bytes: int) -> None:
        global _WORK, _ARENA
        self._work = work
        _WORK = work
        _ARENA = self._arena = mmap.mmap(-1, arena_bytes)  # anonymous and shared with the children
        self._ring = _Ring(self._arena)
        try:
            self._pool = Pool(jobs, _run_task, _initialise)
        except BaseException:
            _WORK = _ARENA = None
            self._arena.close()
            raise
        self._open = _Batch()
        self._sent: deque[_Batch] = deque()  # dispatched, oldest first, with the regions they hold

    def __enter__(self) -> Workers[R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close(failed=exc[0] is not None)

    def submit(self, blob: Blob, parts: int = 1) -> Ticket[R]:
        """Queue ``blob`` (split into ``parts`` tasks); blocks while the ring or the task queue is full."""
        self._retire(wait=False)  # give finished tasks' memory back before taking more
        length = len(blob.data)
        if length > self._ring.size:
            return Ticket(self, [], 0, [self._work(Job(blob, part, parts)) for part in range(parts)])
        start = self._place(blob.data) if length else 0
        regions = 1 if length else 0
        meta = dataclasses.replace(blob, data=b"")
        if parts == 1 and length < BATCH_BYTES:
            batch = self._open
            batch.items.append((start, length, meta, 0, 1, None, None))
            batch.size += length
            batch.regions += regions
            ticket = Ticket(self, [batch], len(batch.items) - 1)
            if batch.size >= BATCH_BYTES or len(batch.items) >= BATCH_COUNT:
                self._dispatch()
            return ticket
        self._dispatch()
        batches = [_Batch([(start, length, meta, part, parts, None, None)], length,
                          regions if part == parts - 1 else 0) for part in range(parts)]
        for batch in batches:
            self._send(batch)
        return Ticket(self, batches, 0)

    def flush(self) -> None:
        """Hand the workers the blobs still being batched: no more are coming soon (the walk is
        over, or this process is about to spend a while on work of its own)."""
        self._dispatch()

    def submit_spans(self, meta: Blob, block: bytes | memoryview, spans: tuple[tuple[int, int], ...],
                     payload: object) -> Ticket[R] | None:
        """A span job: ``block`` (a streamed map's entries) copied into the ring, and ``spans`` of
        it (relative to its start) handed to a worker with ``payload``. Its region is freed once
        the task is done. None if ``block`` could never fit the ring."""
        length = len(block)
        if not 0 < length <= self._ring.size:
            return None
        self._retire(wait=False)
        self._dispatch()  # the blobs being batched took their regions first: they are freed first
        start = self._place(block)
        size = sum(hi - lo for lo, hi in spans)
        batch = _Batch([(start, length, dataclasses.replace(meta, data=b""), 0, 1, spans, payload)], size, 1)
        self._send(batch)
        return Ticket(self, [batch], 0)

    def _place(self, data: bytes | memoryview) -> int:
        """Copy ``data`` into a region of the ring (waiting for one to be free); where it starts."""
        start = self._room(len(data))
        self._arena[start : start + len(data)] = data
        self._ring.take(start, len(data))
        return start

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
        if batch.items:
            batch.future = self._pool.submit(batch.items, batch.size)
        else:  # only frees a region: it ends when the tasks before it have (see _retire)
            batch.future = Task.ended([])
        self._sent.append(batch)

    def _retire(self, *, wait: bool) -> None:
        """Free the ring regions of the oldest dispatched task (waiting for it if ``wait``)."""
        while self._sent and (wait or cast(Task, self._sent[0].future).done()):
            batch = self._sent.popleft()
            cast(Task, batch.future).wait()  # errors surface in Ticket.get
            for _ in range(batch.regions):
                self._ring.free_oldest()
            wait = False

    def close(self, *, failed: bool = False) -> None:
        """Stop the workers; on failure (or Ctrl-C) without waiting for their tasks."""
        global _WORK, _ARENA
        self._pool.shutdown(kill=failed)
        _WORK = _ARENA = None
        self._arena.close()
