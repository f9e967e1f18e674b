"""How a finding's matched value is shown: redaction hides secrets, not context.

One decision per category, in one place, for every report and for the context line recorded at
detection time (``match.context``):

- a credential: a short prefix and the length (``ghp_…(40)``); a private key: its type, from the
  armour line (``-----BEGIN RSA PRIVATE KEY-----…(1675)``), which is no part of the key;
- an internal endpoint: the host (and scheme and port) of a URL, never its credentials or path;
- a codename: the name itself, as the rule id already says it (``codename.capybara``), unless it
  was configured by its hash, so that the config never names it;
- anything else: the credential form.

``--show-secrets`` shows every value in full.
"""

from __future__ import annotations

import re

from leakguard.model import Category, Finding, Secret

# scheme://[userinfo@]host[:port][rest]; the host may be a bracketed IPv6 address.
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#@\s]*@)?(\[[^\]/]*\]|[^/?#:\s]*)(:\d+)?(.*)$", re.DOTALL)
_ARMOUR = re.compile(rb"^(-----BEGIN [A-Z0-9 ]+-----|PuTTY-User-Key-File-\d: [\w-]+)")


def shown(finding: Finding, *, redact: bool = True) -> str | None:
    """The finding's value as reports print it, or None when it has none."""
    secret = finding.secret
    if secret is None:
        return None
    if not redact:
        return secret.reveal().decode("utf-8", "replace")
    match finding.category:
        case Category.CODENAME if not finding.rule_id.startswith("codename.sha256-"):
            return secret.reveal().decode("utf-8", "replace")
        case Category.INTERNAL_ENDPOINT:
            return host(secret)
        case Category.CREDENTIAL if finding.rule_id.startswith("private-key."):
            return key_type(secret)
        case _:
            return secret.redacted()


def host(secret: Secret) -> str:
    """``https://npm.acme.internal/…`` for a URL (no credentials, no path), the host itself for a
    host name or address."""
    text = secret.reveal().decode("utf-8", "replace")
    url = _URL.match(text)
    if url is None:
        return text if "@" not in text and len(text) <= 255 else secret.redacted()
    scheme, name, port, rest = url.groups()
    return f"{scheme}{name}{port or ''}" + ("/…" if rest.strip("/") else "")


def key_type(secret: Secret) -> str:
    """The armour line of a private key (its type) and the block's length."""
    value = secret.reveal()
    armour = _ARMOUR.match(value)
    if armour is None:
        return secret.redacted()
    return f"{armour.group(1).decode('ascii')}…({len(value)})"
