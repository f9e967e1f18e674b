"""The data behind the HTML report's treemap: every member of every artifact as a tree of sizes.

``Verdict.layout`` lists each member read as (origin chain, unpacked bytes). Each chain element is
split on ``/`` into directories, so ``package/vendor/rg`` is a file in ``vendor`` in ``package``;
the elements after the first member (a nested archive's members, a source map's ``sourcesContent``
entries) become children of that member. A node is as large as its own bytes or as its children
together, whichever is more: a nested archive shows its unpacked content, a map its entries plus
the rest of its JSON. Findings are placed by their origin chain (a node is created, sized 0, for a
member the layout does not list) and colour their node and every node above it.

Nodes are emitted parents first, children largest first, as ``[parent, name, bytes, kind, worst]``
(``worst``: the highest severity of a finding at or below the node that is not suppressed, -1 for
none). A release of more than :data:`MAX_NODES` members keeps the largest: the smallest files
without findings or changes are counted together, per directory, in one ``others`` node.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leakguard.model import Finding, ReleaseDiff, Verdict

# Bounds the page: about 45 bytes of JSON a node, so at most ~0.5 MB of data.
MAX_NODES = 12_000


class Kind(enum.IntEnum):
    """What a node is; the page's script knows the numbers."""

    ROOT = 0
    ARTIFACT = 1  # an archive or file target: its members follow "!/"
    FOLDER = 2  # a directory target: its members follow "/"
    DIR = 3  # a directory inside a member path
    FILE = 4  # a member (or an entry of a member: a nested archive's member, a map's source)
    OTHERS = 5  # the smallest files of a directory, counted together


@dataclass(slots=True)
class _Node:
    name: str
    parent: int
    kind: Kind
    own: int = 0
    exact: str | None = None  # the chain element, when splitting on "/" does not give it back
    children: dict[str, int] = field(default_factory=dict)
    worst: int = -1
    keep: bool = False  # has findings or changes: never counted into "others"
    total: int = 0


@dataclass(frozen=True, slots=True)
class Picture:
    """The treemap's data (JSON-ready) and the node of each finding, in the order given to :func:`build`."""

    data: dict[str, Any]
    finding_nodes: tuple[int, ...]


def _segments(element: str) -> list[str]:
    parts = [s for s in element.split("/") if s not in ("", ".")]
    return parts or [element]


class _Tree:
    def __init__(self, folders: set[str]) -> None:
        self.nodes = [_Node("", -1, Kind.ROOT)]
        self.folders = folders

    def _child(self, parent: int, name: str, kind: Kind) -> int:
        index = self.nodes[parent].children.get(name)
        if index is None:
            index = len(self.nodes)
            self.nodes.append(_Node(name, parent, kind))
            self.nodes[parent].children[name] = index
        elif kind is Kind.FILE:  # "a" as a file and as the directory of "a/b": one node
            self.nodes[index].kind = Kind.FILE
        return index

    def locate(self, chain: Sequence[str]) -> int:
        """The node of an origin chain, created (sized 0) when the layout did not list it."""
        kind = Kind.FOLDER if chain[0] in self.folders else Kind.ARTIFACT
        node = self._child(0, chain[0], kind)
        for element in chain[1:]:
            parts = _segments(element)
            for part in parts[:-1]:
                node = self._child(node, part, Kind.DIR)
            node = self._child(node, parts[-1], Kind.FILE)
            if "/".join(parts) != element:
                self.nodes[node].exact = element
        return node

    def finish(self) -> None:
        """Totals, bottom up: a node is its own bytes or its children's, whichever is more."""
        for node in reversed(self.nodes):  # children are always created after their parent
            node.total = max(node.own, sum(self.nodes[c].total for c in node.children.values()))

    def mark(self, node: int, severity: int) -> None:
        """A finding at ``node``: it and every node above it are at least this bad."""
        while node >= 0:
            target = self.nodes[node]
            target.worst = max(target.worst, severity)
            target.keep = True
            node = target.parent


def _changes(tree: _Tree, diffs: Sequence[ReleaseDiff], artifacts: Sequence[str]) -> dict[int, list[int | None]]:
    out: dict[int, list[int | None]] = {}
    for diff in diffs:
        # The diff names the new artifact as the scan did; a lone artifact is that one in any case.
        artifact = diff.new if diff.new in artifacts or len(artifacts) != 1 else artifacts[0]
        for change in (*diff.added, *diff.changed):
            node = tree.locate((artifact, change.path))
            tree.nodes[node].keep = True
            out[node] = [change.old, change.new]
    return out


def _others(tree: _Tree, limit: int) -> set[int]:
    """The smallest leaves to count together so that at most ``limit`` nodes remain."""
    nodes = tree.nodes
    leaves = sorted((n.total, i) for i, n in enumerate(nodes) if not n.children and not n.keep and n.parent > 0)
    merged: set[int] = set()
    parents: set[int] = set()
    for _, index in leaves:
        if len(nodes) - len(merged) + len(parents) <= limit:
            break
        merged.add(index)
        parents.add(nodes[index].parent)
    return merged


def _emit(tree: _Tree, merged: set[int]) -> tuple[list[list[Any]], dict[int, int], dict[str, str]]:
    """Nodes parents first, children largest first; old index -> new index; exact names."""
    nodes = tree.nodes
    rows: list[list[Any]] = []
    index_of: dict[int, int] = {}
    exact: dict[str, str] = {}
    stack = [(0, -1)]
    while stack:
        old, parent = stack.pop()
        node = nodes[old]
        index_of[old] = len(rows)
        if node.exact is not None:
            exact[str(len(rows))] = node.exact
        rows.append([parent, node.name, node.total, int(node.kind), node.worst])
        kids = sorted(node.children.values(), key=lambda c: (-nodes[c].total, nodes[c].name))
        small = [c for c in kids if c in merged]
        if small:
            rows.append([index_of[old], f"{len(small):,} smaller files", sum(nodes[c].total for c in small),
                         int(Kind.OTHERS), -1])
        stack.extend((c, index_of[old]) for c in reversed(kids) if c not in merged)
    return rows, index_of, exact


def build(verdict: Verdict, findings: Sequence[Finding], *, limit: int = MAX_NODES) -> Picture:
    """The tree of ``verdict.layout``, coloured by ``findings`` (suppressed ones are placed but do
    not colour), with the members ``verdict.diffs`` added or changed marked."""
    folders = {a.path for a in verdict.artifacts if a.kind == "directory"}
    tree = _Tree(folders)
    for artifact in verdict.artifacts:
        tree.locate((artifact.path,))
    for chain, size in verdict.layout:
        tree.nodes[tree.locate(chain)].own = size
    placed = [tree.locate(f.origin.chain) for f in findings]
    for finding, node in zip(findings, placed, strict=True):
        tree.mark(node, -1 if finding.suppression is not None else int(finding.severity))
    artifacts = [tree.nodes[i].name for i in tree.nodes[0].children.values()]
    changes = _changes(tree, verdict.diffs, artifacts)
    tree.finish()
    rows, index_of, exact = _emit(tree, _others(tree, limit))
    data = {
        "nodes": rows,
        "exact": exact,
        "changes": {str(index_of[node]): sizes for node, sizes in changes.items()},
    }
    return Picture(data, tuple(index_of[node] for node in placed))

