"""Tests and documentation: where packages keep fake keys on purpose.

A credential, a sensitive file or a walker finding in a path that is conventionally a test or
documentation fixture (``fixture-paths``; ``tests/``, ``docs/``, ``examples/``...) is reported one
severity lower, and its message says why. Proof that the value is real (a provider checksum that
validates, a live-mode prefix: ``Finding.fact("proof")``) keeps it where it was. Codenames, maps and
limits are never lowered: a codename in a test is still shipped, and a limit hides what it stopped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pathspec

from leakguard.model import Category, Finding, Severity

# What users expect to hold fixtures: test suites (by the directory and file names of Python, Go,
# C/C++, Java and JavaScript conventions), their data, dummy servers and mocks, documentation and
# examples, and the README a package's metadata repeats (PKG-INFO, METADATA).
FIXTURE_PATHS: tuple[str, ...] = (
    "test/", "tests/", "testing/", "__tests__/", "__test__/", "spec/", "specs/", "fixtures/", "__fixtures__/",
    "testdata/", "test-data/", "test_data/", "test_*/", "*_test/", "*_tests/", "test-*/", "*-tests/",
    "testcases/", "test cases/", "test-cases/", "mock/", "mocks/", "__mocks__/", "fakes/", "dummy*/",
    "docs/", "doc/", "examples/", "example/", "samples/", "sample/", "demo/", "demos/",
    "*.test.*", "*.spec.*", "test_*.*", "*_test.*", "*_tests.*", "*Test.java", "*Tests.java", "*Test.kt",
    "conftest.py", "README", "README.*", "PKG-INFO", "*.dist-info/METADATA",
)
LOWERED = (Category.CREDENTIAL, Category.SENSITIVE_FILE)


class Fixtures:
    """Lowers findings in fixture paths (patterns: gitignore-style, matched at any depth of the
    path inside the artifact, members of nested archives and source maps included)."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self.spec = pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None

    def where(self, finding: Finding) -> str | None:
        """The fixture path the finding lies under (its shortest: ``pkg-1.0/tests/``), or None."""
        if self.spec is None:
            return None
        for depth in range(1, len(finding.origin.chain)):
            path = "/".join(part.strip("/") for part in finding.origin.chain[1 : depth + 1])
            if self.spec.match_file(path):
                parts = path.split("/")
                return next(prefix for i in range(1, len(parts) + 1)
                            if self.spec.match_file(prefix := "/".join(parts[:i]) + ("/" if i < len(parts) else "")))
        return None

    def lower(self, finding: Finding) -> Finding:
        """The finding, one severity lower when it lies in a fixture path and nothing proves it real."""
        walker = finding.rule_id.startswith("walk.") and finding.rule_id != "walk.limit"
        if not (finding.category in LOWERED or walker) or finding.severity <= Severity.LOW:
            return finding
        if finding.fact("proof") is not None:
            return finding
        place = self.where(finding)
        if place is None:
            return finding
        lowered = Severity(finding.severity - 1)
        return dataclasses.replace(
            finding, severity=lowered, evidence=(*finding.evidence, ("fixture", place)),
            message=f"{finding.message} (lowered to {lowered.label}: in a test or documentation path; "
                    "see fixture-paths)")
