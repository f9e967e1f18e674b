"""What a decoded JWT says about itself: issued to someone, public by design, or a documentation sample.

A JWT in a release is a credential when its payload names an issuer, a subject, an audience or an
expiry (RFC 7519 section 4.1) or the identity claims providers add; a payload such as
``{"foo": "bar"}`` is a toy. Some JWTs are meant to be public, and some are everybody's example.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# RFC 7519's registered claims that say who issued the token, for whom and until when, and the
# identity claims of OpenID Connect, OAuth 2.0 (RFC 9068) and the large identity providers.
ISSUED_CLAIMS = frozenset({
    "iss", "sub", "aud", "exp", "nbf", "jti", "azp", "client_id", "cid", "appid", "scope", "scp",
    "email", "upn", "oid", "tid", "uid", "user_id", "username", "preferred_username", "role", "roles",
    "org_id", "account_id",
})

# Hosts of documentation (RFC 2606, RFC 6761): an issuer or audience there is an example.
_DOCUMENTATION_HOST = re.compile(
    r"(?:^|[@./])(?:example\.(?:com|org|net)|[\w-]+\.(?:example|test|invalid|localhost)|localhost)(?:[:/]|$)",
    re.IGNORECASE,
)


def _text(payload: Mapping[str, object], claim: str) -> str:
    value = payload.get(claim)
    if isinstance(value, list):
        return " ".join(str(item) for item in value)
    return value if isinstance(value, str) else ""


def public_or_sample(header: Mapping[str, object], payload: Mapping[str, object], signature: bytes) -> bool:
    """A JWT that is no secret: jwt.io's sample, a public anonymous key, or one issued by or for a
    documentation host."""
    del header, signature  # the claims decide; kept for a rule that one day needs them
    # jwt.io's own example token, in countless READMEs: {"sub": "1234567890", "name": "John Doe", ...}
    if payload.get("sub") == "1234567890" and payload.get("name") == "John Doe":
        return True
    # Supabase's anon key (role "anon") ships in browser code by design; RLS guards the data.
    if payload.get("role") == "anon":
        return True
    return any(_DOCUMENTATION_HOST.search(part) for claim in ("iss", "aud", "email")
               for part in _text(payload, claim).split())


def issued(header: Mapping[str, object], payload: Mapping[str, object]) -> bool:
    """Signed, with a payload naming its issuer, subject, audience or expiry."""
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm.lower() == "none":
        return False
    return any(claim in payload for claim in ISSUED_CLAIMS)
