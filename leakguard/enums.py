"""The enums of leakguard's core types: severities, finding categories and exit codes. Stdlib
only, and apart from ``leakguard.model`` (which re-exports them) so that the CLI and the error tree
load without the dataclasses: ``leakguard --version`` never needs those."""

from __future__ import annotations

import enum


class Severity(enum.IntEnum):
    """How bad a finding is; ordered so that ``>=`` compares against a fail-on threshold."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse a lower-case severity name; raises ``ValueError`` naming the choices."""
        try:
            return cls[text.upper()]
        except KeyError:
            raise ValueError(f"expected one of {', '.join(s.label for s in cls)}, got {text!r}") from None

    @classmethod
    def threshold(cls, text: str) -> Severity:
        """Parse a ``fail-on`` value (config and command line alike): a severity that can block,
        any case; ``info`` never blocks. Raises ``ValueError`` naming the choices."""
        if text.lower() not in FAIL_ON:
            raise ValueError(f"expected one of {', '.join(FAIL_ON)}, got {text!r}")
        return cls[text.upper()]

    @property
    def label(self) -> str:
        """The lower-case name used in config files and reports."""
        return self.name.lower()


# The values ``fail-on`` accepts, in the config and on the command line.
FAIL_ON = ("low", "medium", "high", "critical")


class Category(enum.Enum):
    """What kind of leak a finding is. The set is fixed by the JSON report contract."""

    CREDENTIAL = "credential"
    SOURCE_MAP = "source-map"
    SOURCE_CODE = "source-code"
    CODENAME = "codename"
    INTERNAL_ENDPOINT = "internal-endpoint"
    SENSITIVE_FILE = "sensitive-file"
    POLICY = "policy"


class ExitCode(enum.IntEnum):
    """Process exit codes. Precedence when several apply: USAGE > SCAN_ERROR > BLOCKED > PASS."""

    PASS = 0
    BLOCKED = 1
    USAGE = 2
    SCAN_ERROR = 3
