"""One audit run, assembled: the store, the gate, the engine, the coordinator. The CLI's
``audit`` and ``watch`` call ``run`` with the stream of tasks they want audited."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from leakguard.audit.coordinator import Coordinator, Counts, Mark
from leakguard.audit.gate import LocalGate, Politeness
from leakguard.audit.store import Store
from leakguard.audit.work import Task
from leakguard.audit.worker import Context, make_spool
from leakguard.errors import UsageError
from leakguard.policy.config import Config


@dataclass(frozen=True, slots=True)
class Setup:
    """How to run: the database, the engine (``local`` or ``dask``), where and how wide."""

    db: str
    engine: str = "local"
    scheduler: str | None = None  # dask: an existing cluster's scheduler address
    workers: int | None = None  # local: processes (default: usable cores); dask LocalCluster: workers
    politeness: Politeness = dataclasses.field(default_factory=Politeness)
    batch: int = 64  # outcomes per transaction
    keyword_engine: str = "auto"


def rules_version(config: Config) -> str:
    """leakguard's version and a digest of everything that decides findings: the packaged rule
    files, the config's extra rule files and the config itself. A new rule or a changed setting
    makes a new version, and stored digests are audited again under it."""
    from leakguard.about import version
    from leakguard.rulecache import packaged

    digest = hashlib.sha256()
    folder = packaged()
    for sub in (folder, folder / "credentials"):
        for entry in sorted(sub.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".toml"):
                digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    for extra in config.rules:
        with contextlib.suppress(OSError):
            digest.update(str(extra).encode() + b"\0" + extra.read_bytes())
    digest.update(repr(dataclasses.replace(config, source=None)).encode())
    return f"{version()}+{digest.hexdigest()[:12]}"


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@dataclass
class Engine:
    """A started engine: the gate its workers share and how to start its executor on a context."""

    gate: Any
    start: Callable[[Context], contextlib.AbstractContextManager[Any]]


@contextlib.contextmanager
def open_engine(setup: Setup) -> Iterator[Engine]:
    """Local processes (the default), or Dask: a ``LocalCluster``, or the cluster at ``--scheduler``."""
    if setup.engine == "dask":
        from leakguard.audit.dask_engine import open_dask

        with open_dask(setup) as engine:
            yield engine
        return
    from leakguard.execute import EXECUTORS

    jobs = setup.workers or usable_cores()
    yield Engine(LocalGate(setup.politeness), lambda context: EXECUTORS["processes"](context, jobs))


Items = Callable[[Store, Any], Iterable[Task | Mark]]


def run(setup: Setup, config: Config, command: str, items: Items,
        on_progress: Callable[[Counts], None] | None = None) -> tuple[int, Counts]:
    """Open the store, start a run, audit ``items(store, gate)`` on the engine; returns the run id
    and the totals. ``items`` gets the gate so that the coordinator's own requests (feeds,
    packuments, index pages) count against the same rate as the workers' downloads."""
    if setup.engine not in ("local", "dask"):
        raise UsageError(f"--engine {setup.engine}: expected local or dask")
    store = Store.open(setup.db)
    spool = make_spool()
    try:
        version = rules_version(config)
        with open_engine(setup) as engine:
            context = Context(config=config, gate=engine.gate, politeness=setup.politeness, rules_version=version,
                              spool=spool, engine=setup.keyword_engine)
            if setup.engine == "local":
                context.detector()  # built once, before the workers fork, and shared by them
            run_id = store.begin_run(command, setup.engine, version)
            coordinator = Coordinator(store, context, run_id, batch=setup.batch, on_progress=on_progress)
            try:
                with engine.start(context) as executor:
                    counts = coordinator.run(executor, items(store, engine.gate))
            finally:
                store.finish_run(run_id, skipped=coordinator.counts.skipped)
        return run_id, counts
    finally:
        shutil.rmtree(spool, ignore_errors=True)
        store.close()
