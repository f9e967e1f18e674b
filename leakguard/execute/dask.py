"""Dask behind the executor seam: ``DaskExecutor(context, client).map_ordered(fn, tasks)``.

Imported lazily (``EXECUTORS["dask"]`` imports this module on first use), so ``dask.distributed``
stays an optional extra. Given no client, the executor starts one: on the cluster at ``scheduler``,
or on a ``LocalCluster`` of ``workers`` single-threaded worker processes, and closes it again.

The context travels once per worker: it is the result of a task of its own, which every call
depends on (not scattered data: a scattered value is lost with the last worker that held it, and the
calls that need it are cancelled; a task's result is recomputed). Each task is one ``client.submit``
of ``fn(context, task)``; at most ``window`` tasks are in flight, so a huge feed never sits in the
scheduler's memory; results come back as they finish (``distributed.as_completed``) and are
yielded in task order.

A worker that dies (killed by memory, by a signal) has its task rescheduled by the scheduler on
another worker; after ``distributed.scheduler.allowed-failures`` deaths (3 by default) the task
fails with ``KilledWorker``. With ``errors="return"`` that yields ``TaskFailed(kind="worker-died")``
in the task's place, any exception the task raised ``TaskFailed(kind="raised")``, and the run goes
on; with ``errors="raise"`` they raise. The LocalCluster runs with ``worker-saturation`` 1.0, one task
per worker thread, so that a death makes only the task that was running suspect.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any, Generic

from leakguard.errors import ScanError, UsageError
from leakguard.execute.base import C, Errors, R, T, TaskFailed, default_jobs, one_line


def _call(fn: Callable[[Any, Any], Any], context: Any, task: Any) -> Any:
    return fn(context, task)


def _identity(value: Any) -> Any:
    return value


def connect(scheduler: str | None = None, workers: int | None = None) -> tuple[Any, contextlib.ExitStack]:
    """A ``distributed.Client`` on ``scheduler``, or on a new LocalCluster of ``workers`` processes,
    and the stack that closes them. ``UsageError`` when the extra is missing or the scheduler cannot
    be reached."""
    try:
        distributed: Any = importlib.import_module("distributed")  # untyped: one Any at the edge
        from dask import config
    except ImportError:
        raise UsageError("the dask engine needs the dask extra: pip install 'leakguard[dask]'") from None
    stack = contextlib.ExitStack()
    try:
        if scheduler:
            try:
                client = stack.enter_context(distributed.Client(scheduler, timeout="30s"))
            except (OSError, TimeoutError) as error:
                raise UsageError(f"--scheduler {scheduler}: cannot connect: {one_line(error)}") from None
        else:
            stack.enter_context(config.set({"distributed.scheduler.worker-saturation": 1.0}))
            cluster = stack.enter_context(distributed.LocalCluster(
                n_workers=workers or default_jobs(), threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=40))
            client = stack.enter_context(distributed.Client(cluster))
    except BaseException:
        stack.close()
        raise
    return client, stack


class DaskExecutor(Generic[C]):
    """The seam over a ``distributed.Client`` (see the module docstring)."""

    name = "dask"

    def __init__(self, context: C, client: Any = None, *, scheduler: str | None = None, workers: int | None = None,
                 window: int | None = None) -> None:
        self.context = context
        self._owned = contextlib.ExitStack()
        if client is None:
            client, self._owned = connect(scheduler, workers)
        self.client = client
        threads = sum(client.nthreads().values()) or 1
        self.window = window or 2 * threads  # every thread busy while results travel back
        self._context: Any = None

    def _context_future(self) -> Any:
        if self._context is None:
            self._context = self.client.submit(_identity, self.context, key=f"leakguard-context-{uuid.uuid4().hex}",
                                               pure=False)
        return self._context

    def map_ordered(self, fn: Callable[[C, T], R], tasks: Iterable[T], *,
                    errors: Errors = "raise") -> Iterator[R | TaskFailed]:
        """``fn(context, task)`` for every task, in task order (see the module docstring)."""
        from distributed import as_completed

        context = self._context_future()
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
                running.add(self.client.submit(_call, fn, context, task, key=key, pure=False))
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
    def _result(future: Any, index: int, errors: Errors) -> Any:
        try:
            return future.result()
        except Exception as error:
            killed = type(error).__name__ == "KilledWorker"
            if errors == "raise":
                if killed:
                    raise ScanError("a Dask worker died at every try of a task (killed, or out of memory)") from None
                raise
            if not killed:
                return TaskFailed(index, "raised", one_line(error))
            from dask import config

            tries = int(config.get("distributed.scheduler.allowed-failures", 3)) + 1
            return TaskFailed(index, "worker-died", f"{one_line(error)}: its worker died on every attempt", tries)
        finally:
            future.release()

    def close(self) -> None:
        """Forget the context; close the client and cluster this executor started. Idempotent."""
        if self._context is not None:
            self._context.release()
            self._context = None
        self._owned.close()

    def __enter__(self) -> DaskExecutor[C]:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()
