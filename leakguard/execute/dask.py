"""Dask behind the executor seam: ``DaskExecutor(context, client).map_ordered(fn, tasks)``.

Imported lazily (``EXECUTORS["dask"]`` names this module), so ``dask.distributed`` stays an
optional extra. The context travels once per worker: it is the result of a task of its own, which
every call depends on (not scattered data: a scattered value is lost with the last worker that held
it, and the calls that need it are cancelled; a task's result is recomputed). Each task is one
``client.submit`` of ``fn(context, task)``; at most ``window`` tasks are in flight, so a huge
feed never sits in the scheduler's memory; results come back as they finish
(``distributed.as_completed``) and are yielded in task order.

A worker that dies (killed by memory, by a signal) has its task rescheduled by the scheduler on
another worker; after ``distributed.scheduler.allowed-failures`` deaths (3 by default) the task
fails with ``KilledWorker``. With ``errors="return"`` that, or any exception the task raised,
yields a ``TaskFailed`` in the task's place and the run goes on; with ``errors="raise"`` it raises.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from leakguard.execute import TaskFailed


def _call(fn: Callable[[Any, Any], Any], context: Any, task: Any) -> Any:
    return fn(context, task)


def _identity(value: Any) -> Any:
    return value


class DaskExecutor:
    """The seam over a ``distributed.Client`` (see the module docstring)."""

    def __init__(self, context: Any, client: Any, *, window: int | None = None) -> None:
        self.context = context
        self.client = client
        threads = sum(client.nthreads().values()) or 1
        self.window = window or 2 * threads  # enough to keep every thread busy while results travel back
        self._scattered: Any = None

    def __enter__(self) -> DaskExecutor:
        self._scattered = self.client.submit(_identity, self.context, key=f"leakguard-context-{uuid.uuid4().hex}",
                                             pure=False)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._scattered is not None:
            self._scattered.release()
            self._scattered = None

    def map_ordered(self, fn: Callable[[Any, Any], Any], tasks: Iterable[Any], errors: str = "raise"
                    ) -> Iterator[Any]:
        """``fn(context, task)`` for every task, in task order (see the module docstring)."""
        from distributed import as_completed

        if self._scattered is None:
            self.__enter__()
        prefix = f"leakguard-{uuid.uuid4().hex[:8]}"
        source = iter(tasks)
        running: Any = as_completed()  # type: ignore[no-untyped-call]  # distributed has no annotations here
        index_of: dict[str, int] = {}
        finished: dict[int, Any] = {}
        submitted = taken = 0

        def top_up() -> None:
            nonlocal submitted
            for task in itertools.islice(source, max(0, self.window - (submitted - taken))):
                key = f"{prefix}-{submitted}"
                running.add(self.client.submit(_call, fn, self._scattered, task, key=key, pure=False))
                index_of[key] = submitted
                submitted += 1

        top_up()
        while taken < submitted:
            while taken not in finished:
                future = next(running)
                index = index_of.pop(future.key)
                finished[index] = self._result(future, index, errors)
            yield finished.pop(taken)
            taken += 1
            top_up()

    @staticmethod
    def _result(future: Any, index: int, errors: str) -> Any:
        try:
            return future.result()
        except Exception as exc:
            if errors == "raise":
                raise
            kind = "killed" if type(exc).__name__ == "KilledWorker" else "error"
            return TaskFailed(index, kind, f"{type(exc).__name__}: {exc}")
        finally:
            future.release()
