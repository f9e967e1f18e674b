"""The library's entry points. ``scan(targets, config) -> Verdict`` scans every target (and the
previous release, with ``against``) and decides; ``scan_artifact`` (``leakguard.pipeline``) scans one
target into facts. Never prints.

    targets -> scan_artifact each (walk -> analyzers, on an executor) -> policy.decide -> Verdict
"""

from __future__ import annotations

import contextlib
import os
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO

from leakguard.errors import LeakguardError, UsageError
from leakguard.execute import EXECUTORS, Executor, Serial, default_jobs, forking_available
from leakguard.facts import ArtifactResult
from leakguard.match.detector import Detector
from leakguard.model import Artifact, ArtifactEnd, Origin, Problem, Source, Stats, Verdict
from leakguard.pipeline import scan_artifact
from leakguard.policy import baseline as baselines
from leakguard.policy.config import Config
from leakguard.policy.decision import decide

Progress = Callable[[int], None]

# Below this much input, forking workers costs more than it saves (a pre-commit run of a few files).
PARALLEL_BYTES = 4 * 1024 * 1024

__all__ = ["ArtifactResult", "Progress", "collect", "scan", "scan_artifact"]


def _check(sources: Sequence[Source]) -> None:
    """Missing targets are a usage error, before anything is read."""
    for source in sources:
        path = Path(source.path)
        if source.path != "-" and not path.exists() and not path.is_symlink():
            raise UsageError(f"{source.path}: no such file or directory")


def _worth_forking(sources: Sequence[Source], jobs: int | None) -> bool:
    """Workers for ``--jobs N`` (N > 1), or by default when the input is large enough. Never from a
    process that runs other threads (an application embedding the library): forking it could copy
    a lock some thread holds."""
    if not forking_available() or (jobs if jobs is not None else default_jobs()) < 2:
        return False
    if threading.active_count() > 1:
        return False
    if jobs is not None:
        return True
    total = 0
    for source in sources:
        if source.path == "-" or os.path.isdir(source.path):
            return True
        with contextlib.suppress(OSError):
            total += os.path.getsize(source.path)
    return total >= PARALLEL_BYTES


@contextlib.contextmanager
def executor_for(detector: Detector, sources: Sequence[Source], jobs: int | None) -> Iterator[Executor[Detector]]:
    """Forked workers when they pay (see ``_worth_forking``), else this process. A system that
    refuses the fork gets a scan in this process."""
    runner: Executor[Detector] = Serial(detector)
    if _worth_forking(sources, jobs):
        with contextlib.suppress(OSError):
            runner = EXECUTORS["processes"](detector, jobs)
    with runner:
        yield runner


def collect(sources: Sequence[Source], config: Config, detector: Detector, executor: Executor[Detector], *,
            stdin: IO[bytes] | None = None, on_progress: Progress | None = None) -> list[ArtifactResult]:
    """Each target scanned into facts, in order."""
    results: list[ArtifactResult] = []
    done = 0
    for source in sources:
        progress = None if on_progress is None else (lambda n, base=done: on_progress(base + n))
        try:
            result = scan_artifact(source, config, detector=detector, executor=executor, stdin=stdin,
                                   on_progress=progress)
        except UsageError:
            raise
        except Exception as error:  # this artifact's failure stays its own; the others are reported
            result = _failed(source, error)
        done += result.stats.bytes_scanned
        results.append(result)
    return results


def _failed(source: Source, error: Exception) -> ArtifactResult:
    """An artifact whose scan ended in an error: a problem (never a pass) in an empty result."""
    origin = Origin((source.label,))
    if isinstance(error, LeakguardError):
        problem = Problem(origin, "unreadable", str(error))
    else:
        problem = Problem(origin, "internal", f"internal error ({type(error).__name__}) while scanning it; "
                          "this is a bug in leakguard", trace=traceback.format_exc())
    end = ArtifactEnd(Artifact(source.label, "file", None, None, None, 0, 0), frozenset())
    return ArtifactResult(source, end, (), (problem,), (), Stats())


def scan(
    targets: Sequence[str | Source],
    config: Config | None = None,
    *,
    engine: str = "auto",
    stdin: IO[bytes] | None = None,
    on_progress: Progress | None = None,
    baseline: baselines.Baseline | None = None,
    strict_allows: bool = False,
    jobs: int | None = None,
    against: Sequence[str | Source] = (),
) -> Verdict:
    """Scan release artifacts, files or directories and decide. Raises ``UsageError`` (missing
    target), ``RuleError`` (bad rule file), ``ConfigError`` (bad baseline); damage inside artifacts
    becomes ``Verdict.problems``. ``baseline`` defaults to the config's ``baseline`` file.

    With ``against`` (the previous release), findings it already had are marked carried over
    (codenames it already had do not block), and the release-diff policy applies: risky new members
    and growth beyond ``max-growth`` block."""
    config = config or Config()
    if baseline is None and config.baseline is not None:
        baseline = baselines.load(config.baseline)
    sources = [Source.of(t) for t in targets]
    old = [Source.of(t) for t in against]
    _check([*sources, *old])
    detector = Detector.build(config, engine)
    with executor_for(detector, [*sources, *old], jobs) as executor:
        results = collect(sources, config, detector, executor, stdin=stdin, on_progress=on_progress)
        previous = collect(old, config, detector, executor) if old else []
    return decide(results, config, baseline=baseline, previous=previous, strict_allows=strict_allows)
