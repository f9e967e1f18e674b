"""What to do about a finding: one next step a reader can act on, for every report that shows one.

The words come from the rules' own metadata (``leakguard.catalogue``: the rule's texts, its
family's, its category's defaults), filled in for the finding: the rule id, how to leave a file out
of this kind of package, the limit a walk reached and the config file that sets it, the test path a
finding was lowered for. Nothing here is written for one rule.
"""

from __future__ import annotations

from leakguard import catalogue
from leakguard.model import Finding


def next_step(finding: Finding) -> str:
    """One sentence: how to fix the finding; then how to suppress it if it is intended."""
    known = catalogue.load()
    texts = known.texts(finding.rule_id, finding.category)
    for situation in situations(finding):
        texts = known.situations.get(situation, catalogue.Texts()).over(texts)
    own = known.own(finding.rule_id)
    words = {
        "rule": finding.rule_id,
        "title": own.title if own is not None else finding.message,
        "exclude": known.exclude.get(package_kind(finding), known.words["exclude"]),
    }
    for name in ("limit", "limits", "fixture"):
        value = finding.fact(name)
        if value is not None:
            words[name] = f"`{value}`" if name == "limit" else value  # a config key, as code
    return known.fill(f"{texts.fix.removesuffix('.')}; {_lower(texts.suppress)}", words)


def _lower(sentence: str) -> str:
    """A sentence as the second half of one: ``If it ...`` -> ``if it ...`` (not ``API ...``)."""
    if len(sentence) > 1 and sentence[0].isupper() and sentence[1].islower():
        return sentence[0].lower() + sentence[1:]
    return sentence


def situations(finding: Finding) -> list[str]:
    """The situations whose texts replace the rule's for this finding, the later winning: lowered
    in a test path, and any the finding's evidence names."""
    out = ["fixture"] if finding.fact("fixture") is not None else []
    named = finding.fact("situation")
    return [*out, named] if named else out


def package_kind(finding: Finding) -> str:
    """``npm``, ``wheel``, ``sdist`` or ``""``: the kind of package the finding ships in, from its
    identity and the artifact's file name (a registry download is ``pypi:x==1 (x-1.tar.gz)``)."""
    name = finding.origin.artifact.rstrip(")").lower()
    if finding.package.startswith("npm:") or name.endswith(".tgz"):
        return "npm"
    if name.endswith(".whl"):
        return "wheel"
    if finding.package.startswith("pypi:"):
        return "sdist"
    return ""
