"""Sensitive files and shipped source code, by path: ``rules/files.toml`` -> ``FileRule`` -> ``FileDetector``.

A file rule is a set of gitignore-style patterns (pathspec's ``GitIgnoreSpec``) matched against the
path inside the package (``package_path``: npm's ``package/`` and an sdist's ``name-version/`` are
removed, as installers remove them), plus optionally a named content check (``CONTENT_CHECKS``), a
named package condition (``CONDITIONS``) and the artifact kinds it applies to.

What the app calls, and when (everything here is pure: no I/O, no state between calls):

``FileDetector.member(origin, data, kind_hint)``
    For each member blob that is not ``derived``, once per member: the whole member, or the first
    piece (``offset == 0``) of one too large to hold at once. It judges the rules that have a
    content check, since only then are the bytes at hand, and returns their findings at the
    member's origin. Only what the artifact itself ships is judged: top-level members
    (``origin.chain`` of length 2) and single-file targets (length 1); members of nested archives
    return ``[]`` (their content is still scanned by the credential rules). ``kind_hint`` is the
    artifact's kind when the caller knows it (an ``Artifact.kind``), or ``""``: the kind is only
    certain at the artifact's end, so ``""`` means "infer it from the origin" (``infer_kind``).
    Content-rule patterns match at any depth, so the hint only affects the finding's key.

``FileDetector.finish(paths, artifact, manifest_json)``
    At each ``ArtifactEnd``, with ``end.paths``, ``end.artifact`` and the npm manifest as a dict
    (``npm_manifest()`` of the top-level ``package/package.json`` blob, or of ``package.json`` in a
    directory target; None for other kinds). It judges the rules without a content check, which
    need the whole member list: directories (``.git/`` once per directory root, with the count of
    files under it), aggregates (one finding per artifact), and the shipped-source rules whose
    conditions read package.json's entry points or look for compiled extensions. For a
    single-file target (kind ``file``, no members) the target's own path is judged.

Findings carry the rule's category and severity, a message saying what ships and why it matters,
and ``key = "<rule id>:<path inside the package>"`` (the rule id alone for an aggregate), so their
fingerprints survive re-packing. A file that is both sensitive and holds a credential gets both
findings: the credential one comes from the content matcher, this module only adds the file one.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from leakguard.match.filechecks import CONDITIONS, CONTENT_CHECKS
from leakguard.match.filerules import KINDS, FileRule, load_file_rules, rewritten
from leakguard.model import Artifact, Finding, Origin

# -- paths --------------------------------------------------------------------------------------

_SDIST_ROOT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*-\d[^/]*$")
_NOT_SDIST_ROOT = (".dist-info", ".data", ".egg-info")


def package_path(path: str, kind: str) -> str:
    """The path inside the package, which rules are matched against.

    npm tarballs and sdists keep everything under one top folder (``package/``, ``name-version/``)
    that installers strip (npm extracts with ``strip: 1``); wheels, plain archives and directories
    are rooted where they are. A single-file target's path is made relative (drive, leading ``/``,
    ``./`` and ``..`` removed), so ``/home/me/proj/.env`` is judged as ``home/me/proj/.env``.
    """
    path = path.replace("\\", "/") if kind == "file" else path
    while path.startswith("./"):
        path = path[2:]
    if kind in ("npm", "sdist"):
        _, sep, rest = path.partition("/")
        return rest if sep else path
    if kind == "file":
        path = re.sub(r"^[A-Za-z]:", "", path)
        return "/".join(part for part in path.split("/") if part not in ("", ".", ".."))
    return path


def infer_kind(origin: Origin) -> str:
    """The artifact kind as far as one member's origin tells: ``file`` for a single-file target,
    ``directory`` for a directory target, ``npm`` under ``package/``, ``wheel`` for a ``.whl``,
    ``sdist`` under ``name-version/`` of a tarball, else ``archive``."""
    if len(origin.chain) == 1:
        return "file"
    if origin.in_directory:
        return "directory"
    head, sep, _ = origin.chain[1].removeprefix("./").partition("/")
    name = origin.artifact.lower()
    if sep and head == "package":
        return "npm"
    if name.endswith(".whl"):
        return "wheel"
    if sep and _SDIST_ROOT.match(head) and not head.endswith(_NOT_SDIST_ROOT) and ".tar" in name:
        return "sdist"
    return "archive"


def npm_manifest(data: bytes) -> dict[str, Any] | None:
    """package.json as a dict, or None when it is not a JSON object (``finish`` then skips the
    rules that depend on it)."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: a hostile, deeply nested file
        return None
    return doc if isinstance(doc, dict) else None


# -- the detector -------------------------------------------------------------------------------


def _plural(count: int, word: str = "file") -> str:
    return f"{count:,} {word}{'s' if count != 1 else ''}"


@dataclass(frozen=True, slots=True)
class _Hits:
    """One rule's matches in one artifact, as (path inside the package, member path) pairs: the
    files under a folder the rule selects, by that folder, and the other files."""

    folders: dict[str, list[tuple[str, str]]]
    loose: list[tuple[str, str]]

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.folders.values()) + len(self.loose)


class _PathIndex:
    """An artifact's member paths, searched for each rule's literals at once: a path holding none
    of a rule's literals cannot match it. One ``str.find`` per literal over all paths joined,
    instead of a check per rule and path (which grows as rules times paths)."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths
        self._joined = "\n".join(paths)
        self._starts = [0]
        for path in paths[:-1]:
            self._starts.append(self._starts[-1] + len(path) + 1)
        # Paths that pathspec rewrites before matching are candidates for every rule.
        self._always = {i for i, path in enumerate(paths) if rewritten(path)}

    def candidates(self, rule: FileRule) -> list[str]:
        """The paths that ``rule`` may select, in order."""
        if rule.literals is None:
            return self.paths
        found = set(self._always)
        joined, starts = self._joined, self._starts
        for literal in rule.literals:
            pos = joined.find(literal)
            while pos != -1:
                found.add(bisect.bisect_right(starts, pos) - 1)
                pos = joined.find(literal, pos + 1)
        return [self.paths[i] for i in sorted(found)]


@dataclass(frozen=True, slots=True)
class FileDetector:
    """Path findings for members and artifacts; see the module docstring for when to call what."""

    rules: tuple[FileRule, ...]

    @classmethod
    def default(cls) -> FileDetector:
        """The detector over the packaged ``rules/files.toml``."""
        return cls(load_file_rules())

    def member(self, origin: Origin, data: bytes, kind_hint: str = "") -> list[Finding]:
        """Findings of the content-checked rules for one member (or single-file target)."""
        if len(origin.chain) > 2:
            return []  # inside a nested archive: not what this artifact ships at its top level
        if kind_hint and kind_hint not in KINDS:
            raise ValueError(f"kind_hint: expected one of {', '.join(KINDS)} or '', got {kind_hint!r}")
        kind = "file" if len(origin.chain) == 1 else (kind_hint or infer_kind(origin))
        inside = package_path(origin.inner, kind)
        findings: list[Finding] = []
        for rule in self.rules:
            if rule.content is None or kind not in rule.kinds or not rule.matches(inside):
                continue
            detail = CONTENT_CHECKS[rule.content](data)
            if detail is not None:
                findings.append(Finding(rule.id, rule.category, rule.severity, origin,
                                        f"{origin.inner} ships {rule.what} ({detail}); {rule.reason}",
                                        key=f"{rule.id}:{inside}"))
        return findings

    def finish(self, paths: Iterable[str], artifact: Artifact, manifest_json: Mapping[str, Any] | None
               ) -> list[Finding]:
        """Findings of the path-only rules for one artifact, given every top-level member path."""
        kind = artifact.kind
        root = Origin((artifact.path,), in_directory=kind == "directory")
        if kind == "file":
            return self._single_file(root, artifact.path)
        members = {package_path(p, kind): p for p in sorted(paths) if not p.endswith("/")}
        inside = frozenset(members)
        index = _PathIndex(list(members))
        findings: list[Finding] = []
        for rule in self.rules:
            if rule.content is not None or kind not in rule.kinds:
                continue
            if rule.when is not None and not CONDITIONS[rule.when](inside, manifest_json):
                continue
            hits = self._hits(rule, {path: members[path] for path in index.candidates(rule)})
            if hits.total:
                findings.extend(self._report(rule, root, hits))
        return findings

    def _single_file(self, root: Origin, path: str) -> list[Finding]:
        inside = package_path(path, "file")
        return [
            Finding(rule.id, rule.category, rule.severity, root, f"{path} ships {rule.what}; {rule.reason}",
                    key=f"{rule.id}:{inside}")
            for rule in self.rules
            if rule.content is None and rule.when is None and "file" in rule.kinds and rule.matches(inside)
        ]

    @staticmethod
    def _hits(rule: FileRule, members: Mapping[str, str]) -> _Hits:
        """The members ``rule`` selects (``members``: candidates, in order; see ``_PathIndex``)."""
        folders: dict[str, list[tuple[str, str]]] = {}
        loose: list[tuple[str, str]] = []
        is_folder: dict[str, bool] = {}
        for inside, member in members.items():
            if not rule.matches(inside):
                continue
            # The shallowest folder that the rule selects as a folder ("dir/") is reported once.
            parts = inside.split("/")
            top = None
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth]) + "/"
                if folder not in is_folder:
                    is_folder[folder] = rule.matches(folder)
                if is_folder[folder]:
                    top = folder
                    break
            if top is None:
                loose.append((inside, member))
            else:
                folders.setdefault(top, []).append((inside, member))
        return _Hits(folders, loose)

    @staticmethod
    def _report(rule: FileRule, root: Origin, hits: _Hits) -> list[Finding]:
        if rule.aggregate:
            items = [f"{folder} ({_plural(len(files))})" for folder, files in sorted(hits.folders.items())]
            items += sorted(inside for inside, _ in hits.loose)
            sample = ", ".join(items[:4]) + (f", and {len(items) - 4} more" if len(items) > 4 else "")
            total = hits.total
            return [Finding(rule.id, rule.category, rule.severity, root,
                            f"{rule.title}: {_plural(total)} ship{'s' if total == 1 else ''} ({sample}); {rule.reason}",
                            key=rule.id)]
        findings = []
        for folder, files in sorted(hits.folders.items()):
            inside, first = files[0]
            member = first[: len(first) - len(inside)] + folder  # with the package/ or name-version/ prefix
            findings.append(Finding(rule.id, rule.category, rule.severity, root.child(member),
                                    f"{member} ships {rule.what} ({_plural(len(files))}); {rule.reason}",
                                    key=f"{rule.id}:{folder}"))
        for inside, member in sorted(hits.loose):
            findings.append(Finding(rule.id, rule.category, rule.severity, root.child(member),
                                    f"{member} ships {rule.what}; {rule.reason}", key=f"{rule.id}:{inside}"))
        return findings
