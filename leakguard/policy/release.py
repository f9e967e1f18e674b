"""Release policy: what may ship (``ship``), size budgets, and the diff against a previous release.

All checks are on top-level members of an artifact (``ArtifactEnd.members``): path, size, crc32.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence

import pathspec

from leakguard.facts import ArtifactResult
from leakguard.model import (
    ArtifactEnd,
    Category,
    Finding,
    MemberChange,
    Origin,
    ReleaseDiff,
    Severity,
    human_size,
)
from leakguard.policy.config import Config
from leakguard.policy.evidence import normalise

# New members of these kinds deserve a look in any release: maps, keys, env files, VCS folders,
# archives, databases, state files.
RISKY_PATTERNS = (
    "*.map", "*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "id_rsa*", "id_ed25519*", "id_ecdsa*",
    ".env", ".env.*", "*.env", ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".git/", ".hg/", ".svn/",
    "*.zip", "*.tgz", "*.tar", "*.tar.*", "*.gz", "*.7z", "*.rar", "*.jar", "*.war",
    "*.sqlite", "*.sqlite3", "*.db", "*.sql", "*.dump", "*.tfstate", "*.tfstate.*", "*.tfvars",
)


@functools.cache
def _risky() -> pathspec.GitIgnoreSpec:
    """Compiled on first use (``--against``, ``diff``): a plain scan never needs it."""
    return pathspec.GitIgnoreSpec.from_lines(RISKY_PATTERNS)


def _finding(end: ArtifactEnd, member: str | None, rule: str, message: str, key: str) -> Finding:
    origin = Origin((end.artifact.path,))
    return Finding(rule, Category.POLICY, Severity.HIGH, origin.child(member) if member else origin, message, key=key,
                   package=end.artifact.identity)


def check(end: ArtifactEnd, config: Config) -> list[Finding]:
    """``ship`` allowlist and size budgets for one artifact."""
    out: list[Finding] = []
    if config.ship:
        spec = pathspec.GitIgnoreSpec.from_lines(config.ship)
        for path in sorted(end.paths):
            if not spec.match_file(path):
                out.append(_finding(end, path, "policy.not-in-ship",
                                    f"{path} is not in the `ship` allowlist of what may be published", path))
    total = sum(size for _, size, _ in end.members)
    if config.max_unpacked_size is not None and total > config.max_unpacked_size:
        out.append(_finding(end, None, "policy.max-unpacked-size",
                            f"unpacked size {human_size(total)} exceeds max-unpacked-size "
                            f"{human_size(config.max_unpacked_size)}", "max-unpacked-size"))
    if config.max_file_size is not None:
        for path, size, _ in end.members:
            if size > config.max_file_size:
                out.append(_finding(end, path, "policy.max-file-size",
                                    f"{path} is {human_size(size)}, over max-file-size "
                                    f"{human_size(config.max_file_size)}", path))
    return out


def diff(old: ArtifactEnd, new: ArtifactEnd) -> ReleaseDiff:
    """Members added, removed and changed between two releases, with sizes."""
    before = {p: (s, c) for p, s, c in old.members}
    after = {p: (s, c) for p, s, c in new.members}
    added = tuple(MemberChange(p, None, after[p][0]) for p in sorted(after.keys() - before.keys()))
    removed = tuple(MemberChange(p, before[p][0], None) for p in sorted(before.keys() - after.keys()))
    changed = tuple(
        MemberChange(p, before[p][0], after[p][0])
        for p in sorted(before.keys() & after.keys())
        if before[p] != after[p]
    )
    return ReleaseDiff(
        old=old.artifact.path,
        new=new.artifact.path,
        added=added,
        removed=removed,
        changed=changed,
        old_size=sum(s for s, _ in before.values()),
        new_size=sum(s for s, _ in after.values()),
    )


def against(change: ReleaseDiff, new: ArtifactEnd, config: Config) -> list[Finding]:
    """Release-diff policy: risky new members, and growth beyond ``max-growth``."""
    out = []
    for member in change.added:
        if _risky().match_file(member.path):
            out.append(_finding(new, member.path, "policy.risky-new-member",
                                f"{member.path} ({human_size(member.new or 0)}) is new since {change.old} and is "
                                f"the kind of file that leaks (maps, keys, env files, VCS data, archives)",
                                member.path))
    if change.old_size and change.new_size > change.old_size * (1 + config.max_growth):
        growth = change.new_size / change.old_size - 1
        out.append(_finding(new, None, "policy.growth",
                            f"unpacked size grew {growth:+.0%} ({human_size(change.old_size)} -> "
                            f"{human_size(change.new_size)}), over max-growth {config.max_growth:+.0%}", "growth"))
    return out


def pair(old: Iterable[ArtifactEnd], new: Iterable[ArtifactEnd]) -> list[tuple[ArtifactEnd, ArtifactEnd]]:
    """Match each new artifact with the previous release of the same package (by name and kind,
    else by position when each side has exactly one artifact)."""
    olds, news = list(old), list(new)
    if len(olds) == 1 and len(news) == 1:
        return [(olds[0], news[0])]
    by_key: dict[tuple[str, str | None], ArtifactEnd] = {
        (e.artifact.kind, e.artifact.name): e for e in olds if e.artifact.name
    }
    return [(by_key[(n.artifact.kind, n.artifact.name)], n) for n in news
            if (n.artifact.kind, n.artifact.name) in by_key]


def _codename(finding: Finding) -> str | None:
    if finding.category is not Category.CODENAME or finding.secret is None:
        return None
    return normalise(finding.secret.reveal().decode("utf-8", "replace"))


def carry_over(previous: Sequence[ArtifactResult], results: Sequence[ArtifactResult], findings: list[Finding],
               config: Config) -> tuple[list[Finding], list[ReleaseDiff]]:
    """Findings the previous release already had are marked carried over (as are codenames it
    already shipped, wherever they now are); then the release-diff policy per pair of artifacts."""
    old = [f for r in previous for f in (*r.findings, *check(r.end, config))]
    before = {f.fingerprint for f in old}
    names = {n for f in old if (n := _codename(f)) is not None}
    marked = [
        dataclasses.replace(f, carried_over=True)
        if f.fingerprint in before or (_codename(f) or "\x00") in names else f
        for f in findings
    ]
    diffs = []
    fresh = tuple(sorted({f.fingerprint for f in marked if not f.carried_over}))
    for old_end, new_end in pair([r.end for r in previous], [r.end for r in results]):
        change = dataclasses.replace(diff(old_end, new_end), new_findings=fresh)
        diffs.append(change)
        marked.extend(against(change, new_end, config))
    return marked, diffs
