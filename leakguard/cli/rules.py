"""``leakguard rules list|show|check``: the rule pack, read and linted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from leakguard.cli.group import cli
from leakguard.cli.handler import Exit
from leakguard.enums import ExitCode
from leakguard.errors import UsageError


@cli.group()
def rules() -> None:
    """List, show and lint the content rules.

    \b
    Examples:
      leakguard rules list
      leakguard rules show github.pat-classic
      leakguard rules check
    """


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def rules_list(fmt: str) -> None:
    """List every rule: id, severity, title.

    \b
    Example:
      leakguard rules list --format json | jq '.[].id'
    """
    import json

    from leakguard.ruleset import load_rules

    loaded = load_rules()
    if fmt == "json":
        click.echo(json.dumps([_rule_doc(r) for r in loaded], indent=2))
    else:
        for rule in loaded:
            click.echo(f"{rule.id:<40} {rule.severity.label:<8} {rule.title}")
        click.echo(f"{len(loaded)} rules")


@rules.command("show")
@click.argument("rule_id")
def rules_show(rule_id: str) -> None:
    """Show one rule in full.

    \b
    Example:
      leakguard rules show github.pat-classic
    """
    import json

    from leakguard.ruleset import load_rules

    for rule in load_rules():
        if rule.id == rule_id:
            click.echo(json.dumps(_rule_doc(rule), indent=2))
            return
    raise UsageError(f"no rule with id {rule_id!r}; see `leakguard rules list`")


@rules.command("check")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--engine", type=click.Choice(["auto", "pyahocorasick", "ahocorasick-rs"]), default="auto")
def rules_check(files: tuple[Path, ...], engine: str) -> None:
    """Lint the rule set, and your own rule FILES with it: compile, no catastrophic backtracking
    in your regexes, ids unique, references present, examples match, negatives do not.

    \b
    Examples:
      leakguard rules check
      leakguard rules check rules/internal.toml
    """
    from leakguard.match import check_rule
    from leakguard.match.filerules import check_examples, load_file_rules
    from leakguard.ruleset import load_rules

    loaded = load_rules(files, compile_all=True)
    file_rules = load_file_rules(checked=True)
    problems = [p for rule in loaded for p in check_rule(rule, engine)]
    problems += [f"rules/files.toml: {p}" for rule in file_rules for p in check_examples(rule)]
    for problem in problems:
        click.echo(problem)
    examples = sum(len(r.examples) + len(r.negative_examples) for r in loaded)
    examples += sum(len(r.examples) + len(r.negative_examples) for r in file_rules)
    click.echo(f"{len(loaded)} content rules and {len(file_rules)} file rules, {examples} examples checked, "
               f"{len(problems)} problems")
    raise Exit(ExitCode.USAGE if problems else ExitCode.PASS)


def _rule_doc(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "family": rule.family,
        "title": rule.title,
        "category": rule.category.value,
        "severity": rule.severity.label,
        "keywords": [k.decode("ascii") for k in rule.keywords],
        "regex": rule.pattern.pattern.decode("utf-8"),
        "secret_group": rule.secret_group,
        "min_entropy": rule.min_entropy,
        "validator": rule.validator,
        "paths": list(rule.paths),
        "references": list(rule.references),
        "examples": len(rule.examples),
        "negative_examples": len(rule.negative_examples),
        "source": rule.source,
    }
