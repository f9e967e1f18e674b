"""Execution behind one seam: ``executor.map_ordered(fn, tasks)`` runs ``fn(context, task)`` for every
task and yields the results in task order. The caller never knows where they ran.

- ``Serial``: in this process, one task after another.
- ``Processes``: forked worker processes (``concurrent.futures.ProcessPoolExecutor``), the context
  installed in each by the pool's initializer.
- ``dask`` (the ``[dask]`` extra, ``leakguard.execute.dask``): a Dask cluster, local or remote.

``fn`` is a module-level function (picklable by reference); tasks and results are frozen, picklable
values; the context is given once, when the executor is made. ``EXECUTORS`` is the explicit registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from leakguard.execute.base import Executor, TaskFailed, default_jobs, forking_available
from leakguard.execute.serial import Serial

if TYPE_CHECKING:
    from leakguard.execute.processes import Processes


def _processes(context: Any, jobs: int | None = None) -> Executor[Any]:
    # Imported here: concurrent.futures.process brings multiprocessing, tempfile and random, which
    # a scan that forks nothing (a pre-commit run of a few files) does not need at start-up.
    from leakguard.execute.processes import Processes

    return Processes(context, jobs or default_jobs())


def _dask(context: Any, jobs: int | None = None, **options: Any) -> Executor[Any]:
    # Imported here: dask.distributed is an optional extra ([dask]), and heavy.
    from leakguard.execute.dask import DaskExecutor

    return DaskExecutor(context, workers=jobs, **options)


# name -> factory(context, jobs, **options): the engines a command may name (``--engine``). The
# dask factory takes ``client=`` (a ``distributed.Client``) or ``scheduler=`` (an address); with
# neither it starts a LocalCluster of ``jobs`` workers. A Ray executor would be one more module here.
EXECUTORS: dict[str, Callable[..., Executor[Any]]] = {
    "serial": lambda context, jobs=1: Serial(context),
    "processes": _processes,
    "dask": _dask,
}


def __getattr__(name: str) -> Any:
    """``Processes`` on first use (see ``_processes``)."""
    if name == "Processes":
        from leakguard.execute.processes import Processes

        return Processes
    raise AttributeError(f"module 'leakguard.execute' has no attribute {name!r}")

__all__ = ["EXECUTORS", "Executor", "Processes", "Serial", "TaskFailed", "default_jobs",
           "forking_available"]
