"""Rules built from configuration rather than data files: codenames and internal domains.

They join the same automaton as the packaged rules. Codenames match case-insensitively at
identifier boundaries, the way code spells names: ``Capybara``, ``CAPYBARA``, ``capybara_v2``,
``use-capybara``, ``CapybaraClient`` and ``useCapybara`` match; ``capybaraclient`` (inside a longer
word) and ``opus-45`` for ``opus-4`` (a digit that changes the name) do not.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from re import _parser as sre_parse  # type: ignore[attr-defined]  # literal extraction for the prefilter

from leakguard import redos
from leakguard.errors import ConfigError
from leakguard.model import Category, Rule, Severity

# A camelCase transition is a boundary: the letter before is lower-case, the one after upper-case.
_CAMEL = r"(?-i:(?<=[a-z0-9])(?=[A-Z]))"


def normalise(name: str) -> str:
    """The form codenames are compared and hashed in: stripped and lower-case."""
    return name.strip().lower()


def codename_hash(name: str) -> str:
    """sha256 hex of the normalised name, for ``codenames-sha256``."""
    return hashlib.sha256(normalise(name).encode("utf-8")).hexdigest()


def _bounded(body: str, first: str, last: str) -> bytes:
    before = r"(?<![A-Za-z0-9])" if first.isdigit() else r"(?<![A-Za-z])"
    after = r"(?![A-Za-z0-9])" if last.isdigit() else r"(?![A-Za-z])"
    return f"(?:{before}|{_CAMEL})(?i:{body})(?:{after}|{_CAMEL})".encode()


def _rule(rule_id: str, title: str, category: Category, severity: Severity, keyword: bytes,
          pattern: bytes) -> Rule:
    return Rule(
        id=rule_id, title=title, category=category, severity=severity, keywords=(keyword,),
        pattern=re.compile(pattern), secret_group=0, min_entropy=None, validator=None, paths=(), window=128,
        references=(), examples=(), negative_examples=(), source="config",
    )


def codename_rules(names: Iterable[str], patterns: Iterable[str], *, source: str = "config") -> tuple[Rule, ...]:
    """One rule per configured codename and codename pattern (severity high)."""
    rules: dict[str, Rule] = {}
    for raw in names:
        name = normalise(raw)
        if len(name) < 3 or not name.isascii():
            raise ConfigError.bad_key(source, "codenames", f"{raw!r}: expected 3 or more ASCII characters")
        body = re.escape(name)
        rules.setdefault(name, _rule(f"codename.{_slug(name)}", "Unreleased codename", Category.CODENAME,
                                     Severity.HIGH, name.encode(), _bounded(body, name[0], name[-1])))
    for pattern in patterns:
        literal = longest_literal(pattern, source)
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError.bad_key(source, "codename-patterns", f"{pattern!r}: {exc}") from None
        why = redos.risk(pattern)
        if why is not None:
            raise ConfigError.bad_key(source, "codename-patterns", f"{pattern!r}: {redos.advice(why)}")
        first = pattern[0] if pattern[0].isalnum() else "a"
        last = pattern[-1] if pattern[-1].isalnum() else ("0" if pattern.endswith(("]", "}", "+", "*")) else "a")
        compiled = _bounded(pattern, first, last)
        rules.setdefault(pattern, _rule(f"codename.{_slug(pattern)}", "Unreleased codename (pattern)",
                                        Category.CODENAME, Severity.HIGH, literal.encode(), compiled))
    return tuple(rules.values())


def longest_literal(pattern: str, source: str = "config") -> str:
    """The longest literal run in a regex (lower-cased), which becomes its prefilter keyword."""
    try:
        parsed = sre_parse.parse(pattern)
    except re.error as exc:
        raise ConfigError.bad_key(source, "codename-patterns", f"{pattern!r}: {exc}") from None
    best, run = "", ""
    for op, arg in parsed:
        if op is sre_parse.LITERAL:
            run += chr(arg)
            best = max(best, run, key=len)
        else:
            run = ""
    if len(best) < 3:
        raise ConfigError.bad_key(source, "codename-patterns",
                                  f"{pattern!r}: needs a literal of 3 or more characters for the prefilter")
    return best.lower()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "name"


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"


def domain_rules(domains: Iterable[str], *, source: str = "config") -> tuple[Rule, ...]:
    """One rule per internal domain: the domain itself and its subdomains, never look-alikes such
    as ``corp.example.com.evil.net`` or ``notcorp.example.com``. Severity high, as a configured
    codename: the user said the domain is internal, so shipping it is a leak."""
    rules = []
    for raw in domains:
        domain = raw.strip().lower().strip(".")
        if not re.fullmatch(rf"{_LABEL}(?:\.{_LABEL})+", domain):
            raise ConfigError.bad_key(source, "internal-domains", f"{raw!r}: expected a domain like corp.example.com")
        body = re.escape(domain)
        pattern = (
            rf"(?<![A-Za-z0-9.-])((?:{_LABEL}\.)*(?i:{body}))(?![A-Za-z0-9-]|\.[A-Za-z0-9])"
        ).encode()
        rules.append(_rule(f"endpoint.domain.{_slug(domain)}", f"Host under internal domain {domain}",
                           Category.INTERNAL_ENDPOINT, Severity.HIGH, domain.encode(), pattern))
    return tuple(rules)
