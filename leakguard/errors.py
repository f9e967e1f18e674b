"""The one error tree. Every error knows its exit code and builds its own one-line message.

    LeakguardError                 exit 3 unless a subclass says otherwise
    ├── UsageError                 exit 2: bad arguments
    │   ├── ConfigError            exit 2: a config file that is unreadable or invalid
    │   └── RuleError              exit 2: a rule file that does not load
    └── ScanError                  exit 3: a target that cannot be scanned at all
        └── ArchiveError           exit 3: a container that is corrupt or truncated

Messages never contain secret values: they name files, keys and rule ids only.
"""

from __future__ import annotations

from leakguard.enums import ExitCode


class LeakguardError(Exception):
    """Base of every error leakguard raises on purpose."""

    exit_code: ExitCode = ExitCode.SCAN_ERROR


class UsageError(LeakguardError):
    """The user asked for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """A configuration file or value is invalid."""

    @classmethod
    def bad_key(cls, path: str, key: str, expected: str) -> ConfigError:
        """``file: key: expected ...`` in one line."""
        return cls(f"{path}: {key}: {expected}")


class RuleError(UsageError):
    """A rule file does not load; the message names the file and the rule id."""

    @classmethod
    def in_rule(cls, path: str, rule_id: str, problem: str) -> RuleError:
        """``rules/github.toml: github.pat: problem`` in one line."""
        return cls(f"{path}: {rule_id}: {problem}")


class ScanError(LeakguardError):
    """A target could not be scanned."""

    exit_code = ExitCode.SCAN_ERROR


class ArchiveError(ScanError):
    """A container is corrupt, truncated or otherwise unreadable."""
