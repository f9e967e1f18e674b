"""Pure predicates: is a matched value a placeholder rather than a credential?

Shared by every rule. Documentation and tests are full of values shaped like keys; a scanner that
blocks them loses its users (FIELD-NOTES: placeholders).
"""

from __future__ import annotations

import re

# Words that mark a value as an example, compared case-insensitively against the whole value.
_MARKERS = (
    b"example", b"placeholder", b"changeme", b"change_me", b"change-me", b"your", b"dummy",
    b"sample", b"redacted", b"replace", b"insert", b"xxxx", b"****", b"....", b"fake", b"notreal",
    b"not-a-real", b"not_a_real", b"todo", b"fixme", b"secret_here", b"key_here", b"token_here",
    b"here", b"test123", b"password123", b"foobar", b"lorem", b"<", b">", b"${", b"{{", b"}}",
    b"%s", b"%(", b"process.env", b"os.environ", b"os.getenv", b"getenv(", b"env[", b"env.",
    b"$(", b"...", b"\xe2\x80\xa6",
)

# Values that are a word, not a secret, when they are the whole value.
_WORDS = frozenset({
    b"password", b"passwd", b"pass", b"pwd", b"secret", b"token", b"apikey", b"api_key", b"username", b"user",
    b"admin", b"root", b"test", b"none", b"null", b"undefined", b"true", b"false", b"default", b"guest",
})

_TEMPLATE_RE = re.compile(rb"^\$[A-Za-z_][A-Za-z0-9_]*$|^%[A-Za-z_]+%$|^\{[A-Za-z_][A-Za-z0-9_]*\}$")


_RUNS = b"0123456789" * 3 + b"abcdefghijklmnopqrstuvwxyz" * 2


def _sequential(value: bytes) -> bool:
    """abcdef..., 1234567890..., or their reverse, over the whole value."""
    if len(value) < 6:
        return False
    lowered = value.lower()
    return lowered in _RUNS or lowered[::-1] in _RUNS


def _low_variety(value: bytes) -> bool:
    """Repeated characters or a short repeated unit: aaaa..., abab..., 000000..."""
    if len(value) < 8:
        return len(set(value)) <= 1
    if len(set(value)) <= 2:
        return True
    for unit in range(1, 5):
        head = value[:unit]
        if head * (len(value) // unit) == value[: unit * (len(value) // unit)]:
            return True
    return False


def is_placeholder(value: bytes) -> bool:
    """True when ``value`` looks like an example or template rather than a real secret."""
    if not value:
        return True
    lowered = value.lower()
    if lowered in _WORDS or any(marker in lowered for marker in _MARKERS):
        return True
    if _TEMPLATE_RE.match(value):
        return True
    return _low_variety(value) or _sequential(value) or _sequential(value.split(b"_")[-1])
