"""Bounded reads of the text files a user names: configs, baselines, codename lists, rule files.

A config can come from a pull request, and any of these paths can name ``/dev/zero``, a FIFO or
a file of gigabytes. Each is read to at most ``MAX_BYTES`` and decoded as UTF-8; anything else is
one line naming the file (the caller's error class, a usage error: exit 2), never a MemoryError
or a UnicodeDecodeError. ``parsed`` also turns a parser's RecursionError (deeply nested TOML or
JSON) and ValueError (an integer of thousands of digits) into that one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from leakguard.errors import UsageError

# Real files are far smaller (a baseline of 100,000 findings is about 25 MB); a bound on memory.
MAX_BYTES = 64 * 1024 * 1024
T = TypeVar("T")


def read_text(path: Path, what: str, error: type[UsageError] = UsageError) -> str:
    """The file's text; ``error("<path>: cannot read <what>: ...")`` when it cannot be had."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise error(f"{path}: cannot read {what}: larger than {MAX_BYTES:,} bytes (or endless)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: cannot read {what}: not UTF-8 text (invalid byte at offset {exc.start:,})") from None


def parsed(parse: Callable[[str], T], text: str, path: Path | str, what: str,
           error: type[UsageError] = UsageError) -> T:
    """``parse(text)``, with nesting too deep for the parser and numbers too long for Python
    reported as ``error``; the parser's own errors pass through to the caller."""
    try:
        return parse(text)
    except RecursionError:
        raise error(f"{path}: {what} is nested too deeply") from None
    except ValueError as exc:
        if type(exc) is not ValueError:  # TOMLDecodeError, JSONDecodeError: the caller's to word
            raise
        raise error(f"{path}: invalid {what}: {exc}") from None
