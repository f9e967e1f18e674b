"""``leakguard init``: a commented starter config, written without clobbering anything."""

from __future__ import annotations

import tomllib
from pathlib import Path

from leakguard.errors import UsageError

BODY = """\
# leakguard: release gate for secrets and source leaks. Every key is optional.
fail-on = "high"                  # critical | high | medium | low
public-sources = false            # true if this package ships its sources on purpose
# exclude = ["package/test/fixtures/**"]   # never scanned; listed as skipped by policy
# disable = ["jwt"]                        # rule ids, families (prefix) or categories
# severity = { "generic" = "low" }         # overrides by rule id, family or category
# codenames = ["capybara"]                 # unreleased names that must not ship
# codename-patterns = ["opus-4-[7-9]"]
# public-codenames = []                    # names already public: reported, never blocking
# codenames-sha256 = []                    # `leakguard codename-hash NAME`, keeps names out of the repo
# internal-domains = ["corp.example.com"]
# baseline = ".leakguard-baseline.json"    # `leakguard baseline create --output ... dist/*`
# ship = ["package/dist/**", "package/package.json", "package/README.md", "package/LICENSE"]
# max-unpacked-size = "50 MB"
# max-file-size = "10 MB"
# max-growth = "+50%"                      # with --against: unpacked growth that blocks
# allow = [
#   { rule = "jwt", path = "package/test/**", reason = "test fixtures", expires = "2027-01-31" },
# ]
"""


def init(folder: Path, *, prefer: str | None = None) -> Path:
    """Write the starter config into ``pyproject.toml`` (if present, or ``prefer="pyproject"``) or a
    new ``.leakguard.toml``. Refuses when leakguard is already configured there."""
    pyproject = folder / "pyproject.toml"
    dedicated = folder / ".leakguard.toml"
    if dedicated.exists():
        raise UsageError(f"{dedicated} already exists; leakguard is configured there")
    use_pyproject = prefer == "pyproject" or (prefer is None and pyproject.exists())
    if not use_pyproject:
        dedicated.write_text(BODY, encoding="utf-8")
        return dedicated
    text = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{pyproject}: not valid TOML ({exc}); fix it before adding leakguard") from None
    tool = doc.get("tool")
    if isinstance(tool, dict) and "leakguard" in tool:
        raise UsageError(f"{pyproject} already has a [tool.leakguard] section")
    section = "[tool.leakguard]\n" + BODY
    separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    with pyproject.open("a", encoding="utf-8") as handle:
        handle.write(separator + section)
    return pyproject
