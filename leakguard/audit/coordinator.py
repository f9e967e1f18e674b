"""The coordinator: feeds tasks to the executor, skips what is stored, writes outcomes in batches.

It is the only writer. Tasks come from an iterable that may also hold ``Mark``s (a feed's cursor
after the tasks of one page); the tasks before a mark go through one ``map_ordered`` call, so when
it ends everything the mark covers is done, and the mark is stored in the same transaction as the
batch that completes it. A crash replays at most the batch
in flight, and the replay adds nothing: digests already stored are skipped before they are sent,
and again inside the transaction.

A task whose worker died on every retry, or that raised, comes back from the executor as
``TaskFailed``: it is stored as a quarantined error, never retried by a later run, and the run goes on.
"""

from __future__ import annotations

import dataclasses
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
        self._flushed_at = time.monotonic()
        self._started = time.monotonic()
        self._sent: list[Task] = []  # this segment's tasks, by index
        self._seen: set[str] = set()  # digests sent in this run
        self._mark: Mark | None = None  # the mark that ended the current segment
        self._counts = Counts()

    @property
    def counts(self) -> Counts:
        """The totals so far."""
        return dataclasses.replace(self._counts, seconds=time.monotonic() - self._started)

    def run(self, executor: Executor[Context], items: Iterable[Task | Mark]) -> Counts:
        """Audit every task of ``items`` and store the outcomes; returns the totals.

        The stream is cut at each mark: the tasks before it go through one ``map_ordered`` call,
        and when that call ends they are all done, so the mark is stored with the last batch. A
        feed then waits for its next poll outside the executor, never holding back a result."""
        stream = iter(items)
        while True:
            self._mark, self._sent = None, []
            results = executor.map_ordered(audit_one, self._tasks(self._segment(stream)), errors="return")
            for index, result in enumerate(results):
                task = self._sent[index]
                outcome = result if isinstance(result, Outcome) else failed(
                    task, self.context.rules_version, f"{result.kind}: {result.message}", quarantined=True,
                    attempts=result.attempts)
                self._add(outcome)
                if len(self._pending) >= self.batch or time.monotonic() - self._flushed_at >= self.batch_seconds:
                    self._flush(None)
            if self._mark is None:  # the stream ended
                self._flush(None)
                return self.counts
            self._flush(self._mark)

    def _segment(self, stream: Iterator[Task | Mark]) -> Iterator[Task]:
        """The tasks of ``stream`` up to its next mark (kept in ``_mark``), or to its end."""
        for item in stream:
            if isinstance(item, Mark):
                self._mark = item
                return
            yield item

    def _tasks(self, tasks: Iterable[Task]) -> Iterator[Task]:
        """The tasks to send: each digest once per run, none already stored (looked up a chunk at a time)."""
        iterator = iter(tasks)
        while chunk := list(itertools.islice(iterator, LOOKAHEAD)):
            stored = self.store.known([t.digest for t in chunk], self.context.rules_version)
            for task in chunk:
                if task.digest in stored or task.digest in self._seen:
                    self._counts = dataclasses.replace(self._counts, skipped=self._counts.skipped + 1)
                    continue
                self._seen.add(task.digest)
                self._sent.append(task)
                self._counts = dataclasses.replace(self._counts, queued=self._counts.queued + 1)
                yield task

    def _add(self, outcome: Outcome) -> None:
        self._pending.append(outcome)
        c = self._counts
        self._counts = dataclasses.replace(c, done=c.done + 1, queued=c.queued - 1, findings=c.findings +
                                           len(outcome.findings), failed=c.failed + (outcome.verdict == "error"))
        if self.on_progress is not None:
            self.on_progress(self.counts)

    def _flush(self, mark: Mark | None) -> None:
        if not self._pending and mark is None:
            return
        self.store.record(self.run_id, self._pending, (mark.feed, mark.cursor) if mark is not None else None)
        self._pending = []
        self._flushed_at = time.monotonic()
