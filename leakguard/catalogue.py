"""What every rule leakguard can report means: its title, what it finds, why it matters, how to fix
it and how to suppress it.

Content rules (``rules/credentials/*.toml``, ``rules/endpoints.toml``) and file rules
(``rules/files.toml``) carry their own id, title, category and references; the rules that code emits
(walker, release policy, source maps, and the families of ids made from the config) are described in
``rules/catalogue.toml``, which also holds the defaults by category and by family that fill whatever
a rule does not say. Reports take their next step from here (``report.advice``), ``leakguard rules
list|show`` their prose, and ``leakguard rules check`` lints it all.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leakguard import rulecache
from leakguard.errors import RuleError
from leakguard.model import Category, Rule, Severity

WHERE = "rules/catalogue.toml"
FILES = "rules/files.toml"
# Words a text may leave to the finding it is shown for (the header of rules/catalogue.toml).
PLACEHOLDERS = frozenset({"rule", "title", "exclude", "limit", "limits", "fixture"})
# Package kinds {exclude} has words for.
PACKAGE_KINDS = ("npm", "sdist", "wheel")
# The kind of an emitted rule, by the first part of its id.
KINDS: Mapping[str, str] = {"walk": "walker", "policy": "policy", "source-map": "source-map", "codename": "codename",
                            "endpoint": "endpoint"}
TEXTS = ("finds", "why", "fix", "suppress")
_RULE_KEYS = frozenset({"id", "title", "category", "severity", "references", *TEXTS})
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9][a-z0-9-]*)*(?:\.\*)?$")


@dataclass(frozen=True, slots=True)
class Texts:
    """The four sentences about a rule; an empty one is filled from a more general level."""

    finds: str = ""
    why: str = ""
    fix: str = ""
    suppress: str = ""

    def over(self, base: Texts) -> Texts:
        """These texts, with ``base``'s where these are empty."""
        return Texts(*(getattr(self, k) or getattr(base, k) for k in TEXTS))


@dataclass(frozen=True, slots=True)
class Entry:
    """One rule as ``rules list|show`` presents it. ``id`` ends in ``.*`` for a family of ids made
    from the config (``codename.*``); ``texts`` are complete (defaults filled in) but not yet
    filled with a finding's words; ``rule`` is the content rule itself, for its machine form."""

    id: str
    kind: str
    title: str
    category: Category
    severity: Severity
    texts: Texts
    references: tuple[str, ...]
    source: str
    rule: Rule | None = None

    @property
    def family(self) -> str:
        """The id's first part (``github.pat`` -> ``github``)."""
        return self.id.split(".", 1)[0]

    def covers(self, rule_id: str) -> bool:
        """Is ``rule_id`` this rule, or one of the ids of this family (``codename.capybara``)?"""
        if self.id.endswith(".*"):
            return rule_id.startswith(self.id[:-1]) and len(rule_id) > len(self.id) - 1
        return rule_id == self.id


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The parsed ``rules/catalogue.toml`` and the own texts of the file rules."""

    emitted: tuple[Entry, ...]
    files: tuple[Entry, ...]
    defaults: Mapping[Category, Texts]
    families: Mapping[str, Texts]
    situations: Mapping[str, Texts]
    words: Mapping[str, str]
    exclude: Mapping[str, str]

    def own(self, rule_id: str) -> Entry | None:
        """The emitted or file rule ``rule_id`` is (or belongs to), if any."""
        return next((e for e in (*self.emitted, *self.files) if e.covers(rule_id)), None)

    def texts(self, rule_id: str, category: Category) -> Texts:
        """The rule's own texts, over its family's, over its category's defaults."""
        own = self.own(rule_id)
        base = self.families.get(rule_id.split(".", 1)[0], Texts()).over(self.defaults[category])
        return own.texts.over(base) if own is not None else base

    def fill(self, text: str, words: Mapping[str, str]) -> str:
        """``text`` with its placeholders replaced by ``words`` (general words for those missing)."""
        return text.format_map({**self.words, **words})


def placeholders(text: str) -> set[str]:
    """The placeholder names ``text`` uses (``{`` alone, unbalanced, counts as one named ``{``)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return {"{"}


def _sentence(text: str) -> str:
    text = text.strip()
    return (text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text


def _literal(text: str) -> str:
    """``text`` as a template that fills in to itself (its braces doubled)."""
    return text.replace("{", "{{").replace("}", "}}")


def _strings(raw: Mapping[str, Any], key: str, where: str, name: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RuleError.in_rule(where, name, f"{key}: expected a list of non-empty strings")
    return tuple(value)


def _texts(raw: Mapping[str, Any], where: str, name: str) -> Texts:
    for key in TEXTS:
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            raise RuleError.in_rule(where, name, f"{key}: expected a non-empty string")
    return Texts(*(raw.get(k, "").strip() for k in TEXTS))


def _labels(raw: Mapping[str, Any], where: str, name: str) -> tuple[Category, Severity]:
    try:
        category = Category(raw.get("category"))
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise RuleError.in_rule(where, name, f"category: expected one of {known}") from None
    try:
        return category, Severity.parse(str(raw.get("severity")))
    except ValueError as exc:
        raise RuleError.in_rule(where, name, f"severity: {exc}") from None


def _emitted(raw: Mapping[str, Any]) -> Entry:
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id) or rule_id.split(".", 1)[0] not in KINDS:
        raise RuleError.in_rule(WHERE, repr(rule_id), f"id: expected a dotted id starting with one of "
                                                       f"{', '.join(KINDS)}")
    unknown = sorted(set(raw) - _RULE_KEYS)
    if unknown:
        raise RuleError.in_rule(WHERE, rule_id, f"unknown key {unknown[0]!r}")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise RuleError.in_rule(WHERE, rule_id, "title: expected a non-empty string")
    category, severity = _labels(raw, WHERE, rule_id)
    references = _strings(raw, "references", WHERE, rule_id)
    if not references:
        raise RuleError.in_rule(WHERE, rule_id, "references: cite where the behaviour is specified")
    kind = KINDS[rule_id.split(".", 1)[0]]
    return Entry(rule_id, kind, title, category, severity, _texts(raw, WHERE, rule_id), references, WHERE)


def _file_entry(raw: Mapping[str, Any]) -> Entry:
    """A file rule as the catalogue sees it (``match.filerules`` validates the rest)."""
    rule_id = str(raw.get("id"))
    category, severity = _labels(raw, FILES, rule_id)
    patterns = [p for p in _strings(raw, "patterns", FILES, rule_id) if not p.startswith("!")]
    shown = ", ".join(f"`{p}`" for p in patterns[:6]) + (", ..." if len(patterns) > 6 else "")
    judged = ", when their content confirms it" if raw.get("content") else ""
    finds = "{title}: members named " + _literal(shown + judged) + "."
    own = _texts({k: v for k, v in raw.items() if k in ("fix", "suppress")}, FILES, rule_id)
    texts = dataclasses.replace(own, finds=finds, why=_literal(_sentence(str(raw.get("reason", "")))))
    return Entry(rule_id, "file", str(raw.get("title")), category, severity, texts,
                 _strings(raw, "references", FILES, rule_id), FILES)


def parse(doc: Mapping[str, Any], files_doc: Mapping[str, Any]) -> Catalogue:
    """Check the catalogue's TOML (and read the file rules' texts) into a ``Catalogue``."""
    unknown = sorted(set(doc) - {"defaults", "families", "situations", "rules", "words", "exclude"})
    if unknown:
        raise RuleError(f"{WHERE}: unknown top-level key {unknown[0]!r}")
    words = _words(doc, "words", PLACEHOLDERS - {"rule", "title"})
    exclude = _words(doc, "exclude", frozenset(PACKAGE_KINDS))
    defaults: dict[Category, Texts] = {}
    for name, raw in _tables(doc, "defaults").items():
        try:
            category = Category(name)
        except ValueError:
            raise RuleError(f"{WHERE}: defaults.{name}: not a category") from None
        defaults[category] = _texts(raw, WHERE, f"defaults.{name}")
    missing = [c.value for c in Category if c not in defaults or not all(getattr(defaults[c], k) for k in TEXTS)]
    if missing:
        raise RuleError(f"{WHERE}: defaults.{missing[0]}: every category needs finds, why, fix and suppress")
    families: dict[str, Texts] = {}
    groups = doc.get("families", [])
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise RuleError(f"{WHERE}: families: expected [[families]] tables")
    for index, group in enumerate(groups):
        names = _strings(group, "families", WHERE, f"families[{index}]")
        for name in names:
            families[name] = _texts({k: v for k, v in group.items() if k != "families"}, WHERE, f"families.{name}")
    situations = {name: _texts(raw, WHERE, f"situations.{name}") for name, raw in _tables(doc, "situations").items()}
    rules = doc.get("rules", [])
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise RuleError(f"{WHERE}: rules: expected [[rules]] tables")
    emitted = tuple(_emitted(raw) for raw in rules)
    files = tuple(_file_entry(raw) for raw in files_doc.get("files", []) if isinstance(raw, dict))
    return Catalogue(emitted, files, defaults, families, situations, words, exclude)


def _words(doc: Mapping[str, Any], key: str, names: frozenset[str]) -> dict[str, str]:
    table = doc.get(key, {})
    if not isinstance(table, dict) or set(table) != names or not all(isinstance(v, str) and v for v in table.values()):
        raise RuleError(f"{WHERE}: {key}: expected a non-empty string for each of {', '.join(sorted(names))}")
    return table


def _tables(doc: Mapping[str, Any], key: str) -> dict[str, Mapping[str, Any]]:
    value = doc.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise RuleError(f"{WHERE}: {key}: expected tables")
    return value


@functools.cache
def load() -> Catalogue:
    """The packaged catalogue, read once per process."""
    try:
        doc, files_doc = rulecache.load(rulecache.packaged(), ["catalogue.toml", "files.toml"])
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{WHERE} or {FILES}: not valid TOML: {exc}") from None
    return parse(doc, files_doc)


def content_entry(rule: Rule, catalogue: Catalogue) -> Entry:
    """A content rule as ``rules list|show`` presents it (an internal-endpoint rule is an
    ``endpoint`` rule, like those made from ``internal-domains``)."""
    kind = "endpoint" if rule.category is Category.INTERNAL_ENDPOINT else "content"
    return Entry(rule.id, kind, rule.title, rule.category, rule.severity,
                 catalogue.texts(rule.id, rule.category), rule.references, rule.source, rule)


def entries(extra: Iterable[Path] = ()) -> tuple[Entry, ...]:
    """Every rule leakguard can report: content rules (with the user's ``extra`` rule files), file
    rules, and the rules code emits; each with its texts complete."""
    return _entries(load(), extra)


def _entries(catalogue: Catalogue, extra: Iterable[Path] = ()) -> tuple[Entry, ...]:
    from leakguard.ruleset import load_rules

    out = [content_entry(rule, catalogue) for rule in load_rules(extra)]
    out += [dataclasses.replace(e, texts=catalogue.texts(e.id, e.category)) for e in catalogue.files]
    out += [dataclasses.replace(e, texts=catalogue.texts(e.id, e.category)) for e in catalogue.emitted]
    return tuple(out)


def find(rule_id: str, extra: Iterable[Path] = ()) -> Entry | None:
    """The entry ``rule_id`` names: a rule, a family of config-made ids (``codename.*`` or any
    ``codename.<name>``)."""
    return next((e for e in entries(extra) if e.covers(rule_id) or e.id == rule_id), None)


# A rule id in leakguard's code: a string literal of an emitted kind, or the constant start of an
# f-string that makes ids from the config (f"codename.{...}").
_EMITTED = re.compile(r"""(?<![\w.])["']((?:walk|policy|source-map)\.[a-z0-9-]+(?:\.[a-z0-9-]+)*)["']"""
                      r"""|\bf["']((?:codename|endpoint\.domain)\.)""")


def emitted_ids(root: Path | None = None) -> dict[str, str]:
    """Every rule id leakguard's code emits (families of config-made ids as ``codename.*``), with
    the first module that names it: read from the package's own sources, so that a new id in the
    code without an entry here fails ``rules check``."""
    root = root if root is not None else Path(__file__).resolve().parent
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*.py")):
        if path.name == "catalogue.py" and path.parent == root:
            continue  # this module names ids in its comments
        for match in _EMITTED.finditer(path.read_text(encoding="utf-8")):
            rule_id = match.group(1) or match.group(2) + "*"
            found.setdefault(rule_id, str(path.relative_to(root.parent)))
    return found


def check(extra: Iterable[Path] = (), catalogue: Catalogue | None = None,
          emitted: Mapping[str, str] | None = None) -> list[str]:
    """Problems with the catalogue: an id the code emits that nothing describes, an id described
    twice or that a content or file rule already has, a family no rule belongs to, a placeholder
    no finding fills, a text left empty. (``catalogue`` and ``emitted``: the packaged ones unless
    given, for tests.)"""
    catalogue = catalogue if catalogue is not None else load()
    every = _entries(catalogue, extra)
    problems: list[str] = []
    emitted = emitted if emitted is not None else emitted_ids()
    if not emitted:
        problems.append("leakguard's sources cannot be read: the rule ids its code emits are not checked")
    for rule_id, where in sorted(emitted.items()):
        if not any(e.id == rule_id or e.covers(rule_id) for e in every):
            problems.append(f"{WHERE}: {rule_id}: emitted by {where} but not described")
    seen: dict[str, str] = {}
    for entry in every:
        if entry.id in seen:
            problems.append(f"{entry.source}: {entry.id}: described twice (also in {seen[entry.id]})")
        seen[entry.id] = entry.source
        problems += _text_problems(f"{entry.source}: {entry.id}", entry.texts, complete=True)
    families = {e.family for e in every}
    problems += [f"{WHERE}: families: {name!r}: no rule belongs to this family"
                 for name in sorted(catalogue.families) if name not in families]
    for name, texts in [*(("situations." + n, t) for n, t in catalogue.situations.items()),
                        *(("families." + n, t) for n, t in catalogue.families.items())]:
        problems += _text_problems(f"{WHERE}: {name}", texts, complete=False)
    return problems


def _text_problems(where: str, texts: Texts, *, complete: bool) -> list[str]:
    """A text missing (where every text must be there), an unknown placeholder, a fix or suppress
    text of more than one sentence (a next step is the two joined into one sentence)."""
    problems = []
    for key in TEXTS:
        text = getattr(texts, key)
        unknown = placeholders(text) - PLACEHOLDERS
        if not text and complete:
            problems.append(f"{where}: no {key} text, not even a default")
        elif unknown:
            problems.append(f"{where}: {key}: unknown placeholder {sorted(unknown)[0]!r}")
        elif key in ("fix", "suppress") and ". " in text.rstrip("."):
            problems.append(f"{where}: {key}: one sentence, please (a next step joins fix and suppress into one)")
    return problems


def selectors(every: Iterable[Entry]) -> tuple[frozenset[str], tuple[str, ...]]:
    """What a config may name to select findings (``disable``, ``severity``, ``allow``): every rule
    id, every family (each dotted prefix of an id: ``github``, ``endpoint.domain``) and every
    category; and the prefixes of the families of config-made ids (``codename.``), under which any
    name is known."""
    names = {c.value for c in Category}
    open_families = []
    for entry in every:
        rule_id = entry.id.removesuffix(".*")
        if entry.id.endswith(".*"):
            open_families.append(rule_id + ".")
        parts = rule_id.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(names), tuple(open_families)


def unknown(name: str, known: tuple[frozenset[str], tuple[str, ...]]) -> str | None:
    """None when ``name`` selects something; else why not, with the closest known name."""
    import difflib

    names, open_families = known
    if name in names or name.startswith(open_families):
        return None
    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown rule id, family or category {name!r}{hint} (`leakguard rules list` lists them)"
