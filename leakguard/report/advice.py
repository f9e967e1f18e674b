"""What to do about a finding: one sentence a reader can act on, for every report that shows one.

For now one sentence per category; the rule's own metadata will refine it later (the signature of
:func:`next_step` stays)."""

from __future__ import annotations

from typing import assert_never

from leakguard.model import Category, Finding


def next_step(finding: Finding) -> str:
    """One sentence: how to fix the finding, and how to suppress it when it is intended."""
    rule = finding.rule_id
    allow = f"an `allow` entry with its reason (or `leakguard:allow {rule} REASON` on the line)"
    match finding.category:
        case Category.CREDENTIAL:
            return (f"Revoke and rotate this credential at its provider, then remove it from the release; "
                    f"if it is a test value, suppress it with {allow}.")
        case Category.SOURCE_MAP:
            return ("Remove the map from the package or build it without sourcesContent, or set "
                    "`public-sources = true` if the sources are published on purpose.")
        case Category.SOURCE_CODE:
            return ("Exclude the sources from the package (`files` in package.json, .npmignore, MANIFEST.in), "
                    "or allow the rule with a reason if they ship on purpose.")
        case Category.CODENAME:
            return ("Remove or rename the unreleased name in what ships (strings, paths, source maps), "
                    "or add it to `public-codenames` once it is announced.")
        case Category.INTERNAL_ENDPOINT:
            return (f"Remove the internal address from what ships or read it from configuration at run time; "
                    f"if it is a public default, suppress it with {allow}.")
        case Category.SENSITIVE_FILE:
            return ("Exclude the file from the package (.npmignore or `files` in package.json, MANIFEST.in or "
                    "the build backend's excludes) and rotate anything it held.")
        case Category.POLICY:
            return ("Fix the release so that it meets the policy the message names, or change that setting in "
                    "the config (or add an `allow` entry with its reason) if the change is intended.")
        case _:
            assert_never(finding.category)
