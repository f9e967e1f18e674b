"""Catastrophic backtracking in a user's regex, found before the regex ever runs.

Python's ``re`` has no time limit, and a rule's regex runs over windows that merge into
megabytes on a minified line, so a pattern that backtracks exponentially would hang the scan.
Patterns from a config (``codename-patterns``) or a user's rule file (``rules = [...]``) are
therefore checked statically and refused, with the reason, when they have one of the two shapes
that backtrack exponentially (the "star height" and "ambiguous alternation" of the ReDoS
literature):

* a repetition inside an unbounded repetition: ``(a+)+``, ``(\\w+\\s?)*``, ``(a*b?)+``;
* alternatives that can begin with the same character inside an unbounded repetition:
  ``(a|ab)+``, ``(\\d|1x)*``.

Refusing (rather than running with a time budget) keeps the scan one process with no timer: a
budget would need a subprocess or an interruptible engine per regex call, and would turn a bad
pattern into a silently shorter scan. The check is conservative: a safe pattern of these shapes
is refused too, and the message says how to write it (a character class, an atomic group
``(?>...)`` or a possessive quantifier ``a++``, which never backtrack).
"""

from __future__ import annotations

from re import _constants as sre  # type: ignore[attr-defined]  # the parse tree's opcodes
from re import _parser as sre_parse  # type: ignore[attr-defined]  # the same parser re.compile uses
from typing import Any

# A repetition bounded at least this high counts as unbounded: (a+){50} backtracks like (a+)+.
_UNBOUNDED = 16
_ALL = frozenset(range(257))  # 0-255 and 256 for "any character above 255"
_CATEGORIES = {
    sre.CATEGORY_DIGIT: frozenset(range(48, 58)),
    sre.CATEGORY_SPACE: frozenset(b" \t\n\r\f\v"),
    sre.CATEGORY_WORD: frozenset([*range(48, 58), *range(65, 91), *range(97, 123), 95, 256]),
}
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT)


def risk(pattern: str | bytes) -> str | None:
    """Why ``pattern`` can backtrack catastrophically, or None. Assumes it compiles."""
    return _scan(sre_parse.parse(pattern), repeated=False)


def advice(why: str) -> str:
    """The one-line refusal for a pattern with ``risk`` ``why``."""
    return (f"can backtrack catastrophically ({why}); rewrite it with a character class, an atomic "
            "group (?>...) or a possessive quantifier (a++), which never backtrack")


def _scan(items: Any, *, repeated: bool) -> str | None:
    for op, arg in items:
        found = None
        if op in _REPEATS:
            low, high, sub = arg
            unbounded = high >= _UNBOUNDED
            if high > low and repeated:
                return "a repetition inside another repetition, like (a+)+"
            if unbounded and _ambiguous(sub):
                return "alternatives that can match the same text inside a repetition, like (a|ab)+"
            found = _scan(sub, repeated=repeated or unbounded)
        elif op is sre.SUBPATTERN:
            found = _scan(arg[3], repeated=repeated)
        elif op is sre.BRANCH:
            found = next((r for branch in arg[1] if (r := _scan(branch, repeated=repeated))), None)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            found = _scan(arg[1], repeated=repeated)
        elif op is sre.GROUPREF_EXISTS:
            found = _scan(arg[1], repeated=repeated) or (_scan(arg[2], repeated=repeated) if arg[2] else None)
        # ATOMIC_GROUP and POSSESSIVE_REPEAT never backtrack into themselves: safe by construction.
        if found:
            return found
    return None


def _ambiguous(items: Any) -> bool:
    """Does a repeated body hold alternatives whose first characters overlap?"""
    for op, arg in items:
        if op is sre.BRANCH:
            firsts = [_first(branch) for branch in arg[1]]
            for i, one in enumerate(firsts):
                if any(one & other for other in firsts[i + 1 :]):
                    return True
        elif op is sre.SUBPATTERN and _ambiguous(arg[3]):
            return True
    return False


def _first(items: Any) -> frozenset[int]:
    """The characters a sequence can begin with (over-approximated; empty-able parts pass on)."""
    out: set[int] = set()
    for op, arg in items:
        if op is sre.LITERAL:
            return frozenset(out | {min(arg, 256)})
        if op is sre.IN:
            return frozenset(out | _class(arg))
        if op is sre.SUBPATTERN:
            return frozenset(out | _first(arg[3]))
        if op in _REPEATS:
            out |= _first(arg[2])
            if arg[0] > 0:
                return frozenset(out)
            continue
        if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):
            continue  # zero width
        return _ALL
    return frozenset(out) if out else _ALL  # a branch that can match nothing overlaps everything


def _class(items: Any) -> frozenset[int]:
    out: set[int] = set()
    for op, arg in items:
        if op is sre.NEGATE:
            return _ALL
        if op is sre.LITERAL:
            out.add(min(arg, 256))
        elif op is sre.RANGE:
            low, high = arg
            out.update(range(min(low, 256), min(high, 256) + 1))
        elif op is sre.CATEGORY and arg in _CATEGORIES:
            out |= _CATEGORIES[arg]
        else:
            return _ALL
    return frozenset(out)
