"""Forked worker processes behind the seam: ``concurrent.futures.ProcessPoolExecutor`` with the fork
context. The context (for a scan: the compiled detector) is installed in each worker by the pool's
initializer; with fork it is inherited, never pickled. Every worker is forked when the executor is
made, before any thread of this process starts (forking a process that runs threads can copy a lock
some thread holds).

Tasks may say what they weigh (a ``weight`` attribute, in bytes): the tasks in flight never weigh
more than ``max_bytes`` together (one task is always let through), so a walk that reads faster than
the workers match holds a bounded amount of memory.
"""

from __future__ import annotations

import collections
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Generic

from leakguard.errors import ScanError
from leakguard.execute.base import C, Errors, R, T, TaskFailed, one_line

# The context of this worker process, set by ``_install`` in the worker (never in the parent).
_CONTEXT: Any = None

# In flight at once, per worker: enough that a worker rarely waits for the next task.
TASKS_PER_WORKER = 3
MIB = 1024 * 1024
MAX_BYTES = 64 * MIB
# A task whose worker died is run again, alone, this many times before it is given up.
RETRIES = 2


def _install(context: object) -> None:
    global _CONTEXT
    _CONTEXT = context
    # Ctrl-C goes to the whole process group: the parent handles it and stops the workers. The
    # parent's SIGTERM handler is inherited through the fork: a worker just dies when told to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _call(fn: Callable[[Any, Any], Any], task: object) -> Any:
    return fn(_CONTEXT, task)


def _ready() -> None:
    """A task that only proves the workers are up."""


def _weight(task: object) -> int:
    weight = getattr(task, "weight", 0)
    return weight if isinstance(weight, int) else 0


class Processes(Generic[C]):
    """``jobs`` forked workers, each holding ``context``."""

    name = "processes"

    def __init__(self, context: C, jobs: int, *, max_bytes: int = MAX_BYTES) -> None:
        self.context = context
        self.jobs = jobs
        self.max_bytes = max_bytes
        self._pool: ProcessPoolExecutor | None = None
        self._start()

    def _start(self) -> None:
        self._pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_install, initargs=(self.context,))
        # With fork, the first submit forks every worker before the pool starts its own thread.
        self._pool.submit(_ready).result()

    def _submit(self, fn: Callable[[C, T], R], task: T) -> Future[R]:
        assert self._pool is not None
        return self._pool.submit(_call, fn, task)

    def _submit_or_broken(self, fn: Callable[[C, T], R], task: T) -> Future[R]:
        """Submit; when a worker has died since the last look, the pool refuses every submit: the
        task then waits in a failed future, and is run again with the others when its turn comes."""
        try:
            return self._submit(fn, task)
        except BrokenProcessPool as broken:
            future: Future[R] = Future()
            future.set_exception(broken)
            return future

    def map_ordered(self, fn: Callable[[C, T], R], tasks: Iterable[T], *,
                    errors: Errors = "raise") -> Iterator[R | TaskFailed]:
        """Results in task order; see ``leakguard.execute.base.Executor``."""
        pending: collections.deque[tuple[int, T, Future[R]]] = collections.deque()
        source = enumerate(tasks)
        weight = 0
        more = True
        while more or pending:
            while more and len(pending) < self.jobs * TASKS_PER_WORKER and (
                    not pending or weight < self.max_bytes):
                item = next(source, None)
                if item is None:
                    more = False
                    break
                index, task = item
                pending.append((index, task, self._submit_or_broken(fn, task)))
                weight += _weight(task)
            if not pending:
                break
            index, task, future = pending.popleft()
            weight -= _weight(task)
            try:
                yield future.result()
            except BrokenProcessPool:
                if errors == "raise":
                    raise ScanError("a worker process died (killed, or out of memory); "
                                    "run with --jobs 1 to scan in one process") from None
                yield from self._recover(fn, [(index, task), *((i, t) for i, t, _ in pending)])
                pending.clear()
                weight = 0
            except Exception as error:
                if errors == "raise":
                    raise
                yield TaskFailed(index, "raised", one_line(error))

    def _recover(self, fn: Callable[[C, T], R], tasks: list[tuple[int, T]]) -> Iterator[R | TaskFailed]:
        """After a worker died: the tasks that were in flight, each run again alone, so the one that
        kills its worker is found and given up after ``RETRIES`` attempts; the others finish."""
        for index, task in tasks:
            for attempt in range(RETRIES + 1):
                self._restart()
                try:
                    result = self._submit(fn, task).result()
                except BrokenProcessPool:
                    if attempt == RETRIES:
                        self._restart()
                        yield TaskFailed(index, "worker-died",
                                         f"its worker died {RETRIES + 1} times (killed, or out of memory)",
                                         RETRIES + 1)
                    continue
                except Exception as error:
                    yield TaskFailed(index, "raised", one_line(error))
                else:
                    yield result
                break

    def _restart(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._start()

    def close(self) -> None:
        """Stop the workers (the tasks not started are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Processes[C]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if isinstance(error, (KeyboardInterrupt, SystemExit)) or (kind is not None and not issubclass(kind, Exception)):
            self._abandon()
        else:
            self.close()

    def _abandon(self) -> None:
        """Ctrl-C or SIGTERM: stop the workers now, without waiting for their tasks."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
