"""The rule pack's own breadth: does each credential rule find its own tokens wherever code puts them?

    python bench/coverage.py [--rule ID ...] [--rules-file PATH ...] [--fresh N] [--seed S]
                             [--engine E] [--format text|json] [--write-results]

For every credential rule it takes tokens in the rule's documented format: the secret of each of
its positive examples, and ``--fresh`` new ones generated from the rule's regex where the secret's
pattern is literals and character classes of bounded length (``[A-Za-z0-9]{32}``, ``sgp_[0-9a-f]{40}``),
with the checksum or payload recomputed where the rule has a checksum validator (``forge.CHECKSUMS``).
A rule whose regex holds more than its token (a URL, a PEM block, a kubeconfig) is tried with its
examples' whole matches. Each value is placed in the usual assignment styles (``STYLES``: env file,
YAML, JSON, JS, TS, Python, URL query parameter, HTTP header), named the way code names it (the
rule's own keyword for a keyword-anchored rule), and scanned with the real matcher over the whole
pack; a style that would change the value (escape its quotes, percent-encode a URL) is not tried for
it, and a rule for a file format (``paths``) is tried with its examples only. Each example as written
is also scanned with the whole pack (style ``example``). A placement counts as found when a finding
at least as severe as the rule covers the token.
It also scans every negative example with the whole pack and counts false blocks (findings of high
or critical severity). ``--write-results`` puts the summary in bench/RESULTS.md under a dated section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import re._parser as sre  # noqa: E402  (the standard library's regex parser reads the rules' regexes)

from bench import forge  # noqa: E402
from leakguard.match import Matcher, example_paths  # noqa: E402
from leakguard.model import Category, Rule, Severity  # noqa: E402
from leakguard.ruleset import load_rules, parse_file  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Rule-pack coverage (bench/coverage.py)"
# Validators that random draws of the rule's own alphabet satisfy (or nearly: random-token rejects
# a few percent of random values, which is the measurement).
RANDOM_OK = frozenset({None, "random-token", "aws-access-key-id", "azure-storage-key", "base64-32-bytes"})


def _words(name: str) -> list[str]:
    return [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]


def _camel(name: str) -> str:
    words = _words(name.lower())
    return words[0] + "".join(w.title() for w in words[1:]) if words else "token"


def _yaml(name: str, value: str) -> str:
    if "\n" in value:
        return f"{name}: |\n" + "".join(f"  {line}\n" for line in value.splitlines())
    return f"{name}: {value}\n"


def _env(name: str, value: str) -> str:
    return f'{name.upper()}="{value}"\n' if "\n" in value else f"{name.upper()}={value}\n"


STYLES: dict[str, Callable[[str, str], str | None]] = {
    "env": _env,
    "yaml": _yaml,
    "json": lambda name, value: json.dumps({name: value}, indent=2) + "\n",
    "js": lambda name, value: f"const {_camel(name)} = {json.dumps(value)};\n",
    "ts": lambda name, value: (f"export const {_camel(name)}: string = '{value}';\n"
                               if "'" not in value and "\n" not in value else None),
    "python": lambda name, value: f"{name.lower()} = {json.dumps(value)}\n",
    "url": lambda name, value: (f"https://api.acme-corp.io/v1/items?{name.lower()}="
                                f"{urllib.parse.quote(value, safe='-_.~')}&page=2\n" if "\n" not in value else None),
    "header": lambda name, value: ("-".join(w.title() for w in _words(name)) + f": {value}\n"
                                   if "\n" not in value else None),
}


@dataclass
class RuleReport:
    """What one rule found of its own tokens, style by style."""

    rule: Rule
    tokens: int = 0
    fresh: int = 0
    tried: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    found: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def missed_styles(self) -> list[str]:
        """Styles in which some of the rule's tokens were not found."""
        return sorted(s for s, n in self.tried.items() if self.found[s] < n)

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {"rule": self.rule.id, "family": family(self.rule), "tokens": self.tokens, "fresh": self.fresh,
                "tried": dict(self.tried), "found": dict(self.found), "missed_styles": self.missed_styles()}


def family(rule: Rule) -> str:
    """A rule's provider family (``Rule.family``: the first part of its id)."""
    return rule.family


# -- the shape of a rule's regex --------------------------------------------------------------------

_LOOKAROUND = (sre.ASSERT, sre.ASSERT_NOT, sre.AT)  # lookarounds and \b: no text of their own


def _secret_node(rule: Rule) -> tuple[list[object], list[object]] | None:
    """The parsed secret group and the top-level items around it, or None if nested deeper."""
    tree = list(sre.parse(rule.pattern.pattern.decode("utf-8")))
    for item in tree:
        op, arg = item
        if op is sre.SUBPATTERN and arg[0] == rule.secret_group:
            return list(arg[3]), [t for t in tree if t is not item]
    return None


def kind(rule: Rule) -> str:
    """``bare`` (the regex is the token and lookarounds), ``context`` (the provider's name, a short
    gap, the token) or ``structured`` (the token sits inside more text: a URL, a PEM block)."""
    node = _secret_node(rule)
    if node is None or rule.secret_group == 0:
        return "structured"
    rest = [op for op, _ in node[1]]
    if all(op in _LOOKAROUND for op in rest):
        return "bare"
    if rest[:3] == [sre.SUBPATTERN, sre.MIN_REPEAT, sre.IN] and all(op in _LOOKAROUND for op in rest[3:]):
        return "context"
    return "structured"


def _charset(items: Iterable[tuple[object, object]]) -> str | None:
    chars: list[str] = []
    for op, arg in items:
        if op is sre.LITERAL:
            chars.append(chr(arg))  # type: ignore[arg-type]
        elif op is sre.RANGE:
            lo, hi = arg  # type: ignore[misc]
            chars.extend(chr(c) for c in range(lo, hi + 1))
        else:
            return None  # negated sets and categories: no simple alphabet
    return "".join(chars)


def generator(items: Sequence[tuple[object, object]]) -> Callable[[random.Random], str] | None:
    """A function drawing strings the parsed pattern ``items`` matches, if it is literals, sets,
    bounded repeats of them and alternations; None otherwise."""
    parts: list[Callable[[random.Random], str]] = []
    for op, arg in items:
        if op is sre.LITERAL:
            literal = chr(arg)  # type: ignore[arg-type]
            parts.append(lambda rng, c=literal: c)
        elif op is sre.IN:
            alphabet = _charset(arg)  # type: ignore[arg-type]
            if not alphabet:
                return None
            parts.append(lambda rng, a=alphabet: rng.choice(a))
        elif op is sre.MAX_REPEAT:
            lo, hi, sub = arg  # type: ignore[misc]
            inner = generator(list(sub))
            if inner is None:
                return None
            top = lo if hi == sre.MAXREPEAT else hi
            if lo == 0 and top == 1:
                continue  # an optional part (a newer format's tail): leave it out
            parts.append(lambda rng, f=inner, a=lo, b=top: "".join(f(rng) for _ in range(rng.randint(a, b))))
        elif op is sre.SUBPATTERN:
            inner = generator(list(arg[3]))  # type: ignore[index]
            if inner is None:
                return None
            parts.append(inner)
        elif op is sre.BRANCH:
            options = [generator(list(branch)) for branch in arg[1]]  # type: ignore[index]
            if any(o is None for o in options):
                return None
            parts.append(lambda rng, opts=options: rng.choice(opts)(rng))  # type: ignore[misc]
        elif op in _LOOKAROUND:
            continue
        else:
            return None
    return lambda rng: "".join(part(rng) for part in parts)


def own_values(rule: Rule, matcher: Matcher) -> list[str]:
    """The secret (bare and context rules) or whole match (structured) of each positive example."""
    out: list[str] = []
    structured = kind(rule) == "structured"
    for example in rule.examples:
        data = example.encode("utf-8")
        for path in example_paths(rule):
            for found, start, end, _ in matcher.matches(data, path):
                if found.id != rule.id:
                    continue
                if structured:
                    match = rule.pattern.search(data, max(0, start - rule.window), min(len(data), end + rule.window))
                    value = match.group(0) if match else data[start:end]
                else:
                    value = data[start:end]
                text = value.decode("utf-8")
                if "\\n" in text and "\n" not in text:  # an example's escaped form: place the value itself
                    text = text.replace("\\n", "\n")
                out.append(text)
                break
            else:
                continue
            break
    return list(dict.fromkeys(out))


def fresh_values(rule: Rule, count: int, rng: random.Random) -> list[str]:
    """``count`` new tokens drawn from the rule's secret pattern, checksummed where it has one."""
    if count <= 0 or kind(rule) == "structured":
        return []
    fix = forge.CHECKSUMS.get(rule.validator or "")
    if rule.validator not in RANDOM_OK and fix is None:
        return []
    node = _secret_node(rule)
    draw = generator(node[0]) if node else None
    if draw is None:
        return []
    values = [draw(rng) for _ in range(count)]
    if fix is not None:
        values = [fix(v.encode("ascii")).decode("ascii") for v in values]
    return values


def variable_name(rule: Rule) -> str:
    """The name code would give the value: the rule's keyword for a keyword-anchored rule (the
    first that is a plain identifier), else ``<family>_token``."""
    if kind(rule) == "context":
        for keyword in rule.keywords:
            text = keyword.decode("ascii")
            if re.fullmatch(r"[a-z][a-z0-9_]*", text):
                return text
        return re.sub(r"[^a-z0-9]+", "_", rule.keywords[0].decode("ascii")).strip("_") or "token"
    return f"{family(rule).replace('-', '_')}_token"


def _verbatim(value: str, text: str) -> bool:
    """Does the placement hold the value as it is (a multi-line value may have its line breaks
    escaped, as JSON and JS strings do)? A style that would change the value is not tried for it."""
    return value in text or ("\n" in value and value.replace("\n", "\\n") in text)


def _detected(matcher: Matcher, rule: Rule, text: str, value: str, path: str) -> bool:
    data = text.encode("utf-8")
    anchor = value.splitlines()[0].encode("utf-8")[:40] if value else b""
    where = data.find(anchor) if anchor else -1  # -1: anywhere in the text
    for found, start, end, _ in matcher.matches(data, path):
        if found.severity >= rule.severity and (where < 0 or (start < where + len(value) + 8 and end > where)):
            return True
    return False


def measure(rules: Sequence[Rule], pack: Sequence[Rule], fresh: int, seed: int,
            engine: str = "auto") -> tuple[list[RuleReport], list[tuple[str, str, str]]]:
    """Per-rule reports for ``rules`` scanned with a matcher over ``pack``, and the false blocks
    on their negative examples: ``(rule whose negative it is, rule that blocked, example)``."""
    matcher = Matcher.from_rules(pack, engine)
    rng = random.Random(seed)
    reports = []
    for rule in rules:
        alone = Matcher.from_rules([rule], engine)
        own = own_values(rule, alone)
        new = fresh_values(rule, fresh, rng)
        report = RuleReport(rule, tokens=len(own) + len(new), fresh=len(new))
        name, path = variable_name(rule), example_paths(rule)[0]
        for example in rule.examples:  # each example as written, scanned with the whole pack
            report.tried["example"] += 1
            report.found["example"] += _detected(matcher, rule, example, "", path)
        for value in ([] if rule.paths else own + new):  # a file format's rule: its examples only
            for style, place in STYLES.items():
                text = place(name, value)
                if text is None or not _verbatim(value, text):
                    continue
                report.tried[style] += 1
                if _detected(matcher, rule, text, value, path):
                    report.found[style] += 1
        reports.append(report)
    false_blocks = []
    for rule in rules:
        for negative in rule.negative_examples:
            data = negative.encode("utf-8")
            for path in example_paths(rule):
                blockers = {f.id for f, *_ in matcher.matches(data, path) if f.severity >= Severity.HIGH}
                false_blocks += [(rule.id, blocker, negative) for blocker in sorted(blockers)]
    return reports, false_blocks


def recall_by_family(reports: Iterable[RuleReport]) -> dict[str, tuple[int, int]]:
    """``{family: (found, tried)}`` over every style."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for report in reports:
        entry = totals[family(report.rule)]
        entry[0] += sum(report.found.values())
        entry[1] += sum(report.tried.values())
    return {name: (found, tried) for name, (found, tried) in sorted(totals.items())}


def _pct(found: int, tried: int) -> str:
    return f"{100 * found / tried:.1f} %" if tried else "n/a"


def summary(reports: Sequence[RuleReport], false_blocks: Sequence[tuple[str, str, str]]) -> dict[str, object]:
    """The figures the report and RESULTS.md give."""
    found = sum(sum(r.found.values()) for r in reports)
    tried = sum(sum(r.tried.values()) for r in reports)
    by_style = {s: (sum(r.found[s] for r in reports), sum(r.tried[s] for r in reports)) for s in ("example", *STYLES)}
    families = recall_by_family(reports)
    return {
        "rules": len(reports), "families": len(families), "tokens": sum(r.tokens for r in reports),
        "fresh": sum(r.fresh for r in reports), "placements": tried, "found": found,
        "by_style": by_style, "families_complete": sum(1 for f, t in families.values() if f == t),
        "family_recall": families, "missed": [r.as_dict() for r in reports if r.missed_styles()],
        "negatives": sum(len(r.rule.negative_examples) for r in reports), "false_blocks": len(false_blocks),
        "false_block_list": [list(item) for item in false_blocks],
    }


def render_text(facts: dict[str, object]) -> str:
    """A table for the terminal."""
    lines = [f"{facts['rules']} credential rules, {facts['families']} families, {facts['tokens']} tokens "
             f"({facts['fresh']} generated), {facts['placements']} placements: "
             f"{_pct(facts['found'], facts['placements'])} found"]  # type: ignore[arg-type]
    lines.append("")
    lines.append("by style: " + ", ".join(f"{s} {_pct(*v)}" for s, v in facts["by_style"].items()))  # type: ignore[attr-defined]
    lines.append("")
    lines.append(f"{'rule':<44} {'tokens':>6}  missed in (found/tried)")
    for item in facts["missed"]:  # type: ignore[attr-defined]
        styles = ", ".join(f"{s} {item['found'].get(s, 0)}/{item['tried'][s]}" for s in item["missed_styles"])
        lines.append(f"{item['rule']:<44} {item['tokens']:>6}  {styles}")
    lines.append("")
    lines.append(f"{'family':<28} recall")
    for name, (found, tried) in facts["family_recall"].items():  # type: ignore[attr-defined]
        if found < tried:
            lines.append(f"{name:<28} {_pct(found, tried)} ({found}/{tried})")
    lines.append(f"({facts['families_complete']} families at 100 %, not listed)")
    lines.append("")
    lines.append(f"negative examples: {facts['negatives']}, false blocks (high or critical): {facts['false_blocks']}")
    for owner, blocker, text in facts["false_block_list"]:  # type: ignore[attr-defined]
        lines.append(f"  {owner}: blocked by {blocker}: {text[:70]!r}")
    return "\n".join(lines) + "\n"


def render_markdown(facts: dict[str, object], commit: str) -> str:
    """The dated section for bench/RESULTS.md."""
    today = dt.date.today().isoformat()
    found, tried = facts["found"], facts["placements"]
    out = [f"### {today}: {facts['rules']} credential rules (code at `{commit}`)", "",
           f"`python bench/coverage.py --fresh 3 --seed 1`: {facts['tokens']} tokens ({facts['fresh']} generated "
           f"from the rules' regexes, the rest the examples' own), each in {len(STYLES)} styles: "
           f"{tried} placements, {found} found ({_pct(found, tried)}).", "",  # type: ignore[arg-type]
           "| style | found |", "|---|---|"]
    out += [f"| {s} | {_pct(*v)} ({v[0]}/{v[1]}) |" for s, v in facts["by_style"].items()]  # type: ignore[attr-defined]
    families = facts["family_recall"]
    partial = {n: v for n, v in families.items() if v[0] < v[1]}  # type: ignore[attr-defined]
    out += ["", f"Per-family recall: {facts['families_complete']} of {facts['families']} families find every "
            f"placement of their own tokens; the others:", "", "| family | recall |", "|---|---|"]
    out += [f"| {n} | {_pct(*v)} ({v[0]}/{v[1]}) |" for n, v in partial.items()]
    out += ["", "Rules missing their own tokens in some style:", "", "| rule | missed in (found/tried) |", "|---|---|"]
    for item in facts["missed"]:  # type: ignore[attr-defined]
        styles = ", ".join(f"{s} {item['found'].get(s, 0)}/{item['tried'][s]}" for s in item["missed_styles"])
        out.append(f"| `{item['rule']}` | {styles} |")
    out += ["", f"False blocks on the {facts['negatives']} negative examples (a high or critical finding of any "
            f"rule): {facts['false_blocks']}."]
    return "\n".join(out) + "\n"


def write_results(section: str, results: Path = RESULTS) -> None:
    """Put ``section`` first under SECTION at the end of RESULTS.md, replacing one of the same date.
    run.py rewrites the file above its "written by hand below" marker and keeps the rest, this included."""
    text = results.read_text() if results.exists() else "# leakguard benchmark results\n"
    head, _, body = text.partition(SECTION)
    heading = section.split("\n", 1)[0]
    date = heading.split(":", 1)[0]
    kept = [s for s in re.split(r"(?m)^(?=### )", body) if s.strip() and not s.startswith(date)]
    intro = kept.pop(0) if kept and not kept[0].startswith("### ") else "\n\n"
    results.write_text(head.rstrip("\n") + "\n\n" + SECTION + intro.rstrip("\n") + "\n\n" + section + "\n"
                       + "".join(kept))


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and report; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rule", action="append", default=[], help="only these rule ids (repeatable)")
    parser.add_argument("--rules-file", action="append", default=[], type=Path, help="extra rule TOML (repeatable)")
    parser.add_argument("--fresh", type=int, default=3, help="generated tokens per rule")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args(argv)
    extra = [rule for path in args.rules_file for rule in parse_file(path.read_text(), str(path))]
    pack = [r for r in load_rules(compile_all=True) if r.category is Category.CREDENTIAL] + extra
    chosen = [r for r in pack if not args.rule or r.id in args.rule]
    unknown = set(args.rule) - {r.id for r in chosen}
    if unknown:
        parser.error(f"no credential rule {sorted(unknown)[0]!r}")
    reports, false_blocks = measure(chosen, pack, args.fresh, args.seed, args.engine)
    facts = summary(reports, false_blocks)
    if args.format == "json":
        print(json.dumps(facts, indent=2))
    else:
        print(render_text(facts), end="")
    if args.write_results:
        import subprocess

        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip() or "unknown"
        write_results(render_markdown(facts, commit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
