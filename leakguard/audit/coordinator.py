"""The coordinator: feeds tasks to the executor, skips what is stored, writes outcomes in batches.

It is the only writer. Tasks come from an iterable that may also hold ``Mark``s (a feed's cursor
after the tasks of one page); outcomes come back in task order (``map_ordered``), so once the
outcome of the last task before a mark is in, everything the mark covers is done and the mark is
stored in the same transaction as the batch that completes it. A crash replays at most the batch
in flight, and the replay adds nothing: digests already stored are skipped before they are sent,
and again inside the transaction.

A task whose worker died on every retry, or that raised, comes back from the executor as
``TaskFailed``: it is stored as a quarantined error, never retried by a later run, and the run goes on.
"""

from __future__ import annotations

import collections
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from leakguard.audit.store import Store
from leakguard.audit.work import Outcome, Task
from leakguard.audit.worker import Context, audit_one, failed
from leakguard.execute import Executor

LOOKAHEAD = 256  # tasks read ahead of the executor, so stored digests are looked up in one query


@dataclass(frozen=True, slots=True)
class Mark:
    """A feed's cursor, covering every task before it in the stream."""

    feed: str
    cursor: str


@dataclass(frozen=True, slots=True)
class Counts:
    """Progress and the summary: artifacts stored, skipped as already stored, failed, in flight."""

    done: int = 0
    skipped: int = 0
    failed: int = 0
    queued: int = 0
    findings: int = 0
    seconds: float = 0.0

    @property
    def per_minute(self) -> float:
        """Artifacts done per minute so far."""
        return 60.0 * self.done / self.seconds if self.seconds > 0 else 0.0


class Coordinator:
    """One run's coordinator (see the module docstring)."""

    def __init__(self, store: Store, context: Context, run_id: int, *, batch: int = 64, batch_seconds: float = 2.0,
                 on_progress: Callable[[Counts], None] | None = None) -> None:
        self.store = store
        self.context = context
        self.run_id = run_id
        self.batch = batch
        self.batch_seconds = batch_seconds
        self.on_progress = on_progress
        self._pending: list[Outcome] = []
        self._marks: collections.deque[tuple[int, Mark]] = collections.deque()
        self._flushed_at = time.monotonic()
        self._started = time.monotonic()
        self._sent: dict[int, Task] = {}  # in flight, by index
        self._seen: set[str] = set()  # digests sent in this run
        self._emitted = 0
        self._consumed = 0
        self._counts = Counts()

    @property
    def counts(self) -> Counts:
        """The totals so far."""
        return Counts(self._counts.done, self._counts.skipped, self._counts.failed, self._emitted - self._consumed,
                      self._counts.findings, time.monotonic() - self._started)

    def run(self, executor: Executor[Context], items: Iterable[Task | Mark]) -> Counts:
        """Audit every task of ``items`` and store the outcomes; returns the totals."""
        for index, result in enumerate(executor.map_ordered(audit_one, self._tasks(items), errors="return")):
            task = self._sent.pop(index)
            outcome = result if isinstance(result, Outcome) else failed(
                task, self.context.rules_version, f"{result.kind}: {result.message}", quarantined=True,
                attempts=result.attempts)
            self._consumed += 1
            self._add(outcome)
            self._settle()
        self._settle()
        self._flush(None)
        return self.counts

    def _tasks(self, items: Iterable[Task | Mark]) -> Iterator[Task]:
        """The tasks to send: each digest once per run, none already stored; marks set aside."""
        iterator = iter(items)
        while chunk := list(itertools.islice(iterator, LOOKAHEAD)):
            digests = [i.digest for i in chunk if isinstance(i, Task)]
            stored = self.store.known(digests, self.context.rules_version) if digests else set()
            for item in chunk:
                if isinstance(item, Mark):
                    self._marks.append((self._emitted, item))
                    self._settle()
                    continue
                if item.digest in stored or item.digest in self._seen:
                    self._counts = _bump(self._counts, skipped=1)
                    continue
                self._seen.add(item.digest)
                self._sent[self._emitted] = item
                self._emitted += 1
                yield item

    def _add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        self._counts = _bump(self._counts, done=1, failed=int(outcome.verdict == "error"),
                             findings=len(outcome.findings))
        if self.on_progress is not None:
            self.on_progress(self.counts)

    def _settle(self) -> None:
        """Store the marks every outcome before them is in for (with the pending batch); store the
        batch alone when it is full or old."""
        mark = None
        while self._marks and self._marks[0][0] <= self._consumed:
            mark = self._marks.popleft()[1]
        if mark is not None:
            self._flush(mark)
        elif self._pending and (len(self._pending) >= self.batch
                                or time.monotonic() - self._flushed_at >= self.batch_seconds):
            self._flush(None)

    def _flush(self, mark: Mark | None) -> None:
        if not self._pending and mark is None:
            return
        self.store.record(self.run_id, self._pending, (mark.feed, mark.cursor) if mark is not None else None)
        self._pending = []
        self._flushed_at = time.monotonic()


def _bump(counts: Counts, **add: int) -> Counts:
    return Counts(**{k: getattr(counts, k) + add.get(k, 0) for k in ("done", "skipped", "failed", "queued",
                                                                       "findings")}, seconds=counts.seconds)
