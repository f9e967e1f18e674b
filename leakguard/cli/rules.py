"""``leakguard rules list|show|check``: every rule leakguard can report (content, file, walker,
policy, source-map, codename and endpoint rules), read and linted. The words come from
``leakguard.catalogue``."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from leakguard.cli.group import cli
from leakguard.cli.handler import Exit
from leakguard.enums import ExitCode
from leakguard.errors import UsageError

if TYPE_CHECKING:
    from leakguard.catalogue import Entry

_FILES = click.option("--rules", "extra", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
                      metavar="FILE", help="Your own rule file, listed with the packaged rules (repeatable).")
_HEADINGS = (("finds", "What it finds"), ("why", "Why it matters"), ("fix", "How to fix it"),
             ("suppress", "How to suppress it"))


@cli.group()
def rules() -> None:
    """List, show and lint every rule leakguard can report.

    \b
    Examples:
      leakguard rules list
      leakguard rules show github.pat-classic
      leakguard rules check
    """


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_FILES
def rules_list(fmt: str, extra: tuple[Path, ...]) -> None:
    """List every rule: id, kind, severity, title.

    \b
    Example:
      leakguard rules list --format json | jq '.[] | select(.kind == "walker") | .id'
    """
    import json
    from collections import Counter

    from leakguard import catalogue

    every = catalogue.entries(extra)
    if fmt == "json":
        click.echo(json.dumps([_doc(e) for e in every], indent=2))
        return
    for entry in every:
        click.echo(f"{entry.id:<40} {entry.kind:<10} {entry.severity.label:<8} {entry.title}")
    kinds = Counter(e.kind for e in every)
    click.echo(f"{len(every)} rules: " + ", ".join(f"{n} {kind}" for kind, n in kinds.items()))


@rules.command("show")
@click.argument("rule_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_FILES
def rules_show(rule_id: str, fmt: str, extra: tuple[Path, ...]) -> None:
    """Show what a rule finds, why it matters, how to fix and suppress it, and its references.

    \b
    Examples:
      leakguard rules show github.pat-classic
      leakguard rules show walk.limit --format json
    """
    import json

    from leakguard import catalogue

    entry = catalogue.find(rule_id, extra)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(rule_id, [e.id for e in catalogue.entries(extra)], n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"no rule with id {rule_id!r}{hint} (see `leakguard rules list`)")
    if fmt == "json":
        click.echo(json.dumps(_doc(entry, rule_id), indent=2))
    else:
        click.echo(_prose(entry, rule_id))


@rules.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--engine", type=click.Choice(["auto", "pyahocorasick", "ahocorasick-rs"]), default="auto")
def rules_check(files: tuple[Path, ...], engine: str) -> None:
    """Lint the rule set, and your own rule FILES with it: compile, no catastrophic backtracking
    in your regexes, ids unique, references present, examples match, negatives do not; and the
    catalogue: every rule id leakguard's code emits is described, every text complete.

    \b
    Examples:
      leakguard rules check
      leakguard rules check rules/internal.toml
    """
    from leakguard import catalogue
    from leakguard.match import check_rule
    from leakguard.match.filerules import check_examples, load_file_rules
    from leakguard.ruleset import load_rules

    loaded = load_rules(files, compile_all=True)
    file_rules = load_file_rules(checked=True)
    problems = [p for rule in loaded for p in check_rule(rule, engine)]
    problems += [f"rules/files.toml: {p}" for rule in file_rules for p in check_examples(rule)]
    problems += catalogue.check(files)
    for problem in problems:
        click.echo(problem)
    examples = sum(len(r.examples) + len(r.negative_examples) for r in loaded)
    examples += sum(len(r.examples) + len(r.negative_examples) for r in file_rules)
    emitted = len(catalogue.emitted_ids())
    click.echo(f"{len(loaded)} content rules and {len(file_rules)} file rules, {examples} examples checked; "
               f"{len(catalogue.load().emitted)} catalogue entries cover the {emitted} rule ids the code emits; "
               f"{len(problems)} problems")
    raise Exit(ExitCode.USAGE if problems else ExitCode.PASS)


def _prose(entry: Entry, rule_id: str) -> str:
    """``rules show``: the rule in sentences, its placeholders filled with general words."""
    from leakguard import catalogue

    known = catalogue.load()
    words = {"rule": rule_id.replace("*", "<name>"), "title": entry.title}
    out = [f"{rule_id}: {entry.title}",
           f"{entry.kind} rule, {entry.category.value}, {entry.severity.label}; defined in {entry.source}", ""]
    for key, heading in _HEADINGS:
        out.append(heading)
        text = known.fill(getattr(entry.texts, key), words)
        out += textwrap.wrap(text, width=100, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
        out.append("")
    out.append("References")
    out += [f"  {ref}" for ref in entry.references] or ["  (none)"]
    return "\n".join(out)


def _doc(entry: Entry, rule_id: str | None = None) -> dict[str, Any]:
    """The machine form: the same keys for every kind of rule (a content rule's matching details,
    empty for the others), and its texts filled with general words."""
    from leakguard import catalogue

    known = catalogue.load()
    rule = entry.rule
    words = {"rule": (rule_id or entry.id).replace("*", "<name>"), "title": entry.title}
    return {
        "id": entry.id,
        "kind": entry.kind,
        "family": rule.family if rule is not None else entry.family,
        "title": entry.title,
        "category": entry.category.value,
        "severity": entry.severity.label,
        "keywords": [k.decode("ascii") for k in rule.keywords] if rule is not None else [],
        "regex": rule.pattern.pattern.decode("utf-8") if rule is not None else None,
        "secret_group": rule.secret_group if rule is not None else None,
        "min_entropy": rule.min_entropy if rule is not None else None,
        "validator": rule.validator if rule is not None else None,
        "paths": list(rule.paths) if rule is not None else [],
        "references": list(entry.references),
        "examples": len(rule.examples) if rule is not None else 0,
        "negative_examples": len(rule.negative_examples) if rule is not None else 0,
        "source": entry.source,
        **{key: known.fill(getattr(entry.texts, key), words) for key, _ in _HEADINGS},
    }
