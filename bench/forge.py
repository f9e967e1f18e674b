"""Tokens in providers' documented formats, with their checksums and payloads computed: for the rule
pack's examples and for ``bench/coverage.py``, which re-checksums the tokens it generates.

``CHECKSUMS`` maps a validator name to a function that takes a token of the right shape (random
characters of the documented alphabet and length) and returns it with a valid checksum or payload.
Every function here writes the format that the matching validator in
``leakguard/match/validators.py`` reads; the tests check each against it.
"""

from __future__ import annotations

import base64
import json
import random
import string
import zlib
from collections.abc import Callable

from leakguard.match.structure import base36
from leakguard.match.validators import base62_encode

BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


def github(token: bytes) -> bytes:
    """GitHub / npm: the last 6 characters are the base62 CRC32 of the body after the prefix."""
    prefix_end = token.index(b"_") + 1
    body = token[prefix_end:-6]
    return token[:prefix_end] + body + base62_encode(zlib.crc32(body), 6)


def grafana(token: bytes) -> bytes:
    """``glsa_<32>_<crc32 of glsa_<32>, little-endian hex>``."""
    head = token.rpartition(b"_")[0]
    return head + b"_" + zlib.crc32(head).to_bytes(4, "little").hex().encode()


def gitlab_routable(prefix: str, rng: random.Random, org: int = 1, user: int | None = None) -> bytes:
    """A routable GitLab token: random bytes and routing lines in base64url, ``.01.``, the length
    and the CRC32 in base36 (GitLab's RoutableToken generator)."""
    lines = [f"c:{base36(rng.randrange(1, 99), 1).decode()}", f"o:{base36(org, 1).decode()}"]
    if user is not None:
        lines.append(f"u:{base36(user, 1).decode()}")
    payload = "\n".join(sorted(lines)).encode()
    raw = rng.randbytes(16) + payload + bytes([len(payload)])
    encoded = base64.urlsafe_b64encode(raw).rstrip(b"=")
    head = prefix.encode() + encoded + b".01." + base36(len(encoded), 2)
    return head + base36(zlib.crc32(head), 7)


def gitlab(token: bytes) -> bytes:
    """A legacy GitLab token needs no checksum; a routable one gets a fresh routable body."""
    if b"." not in token:
        return token
    prefix = token[: token.index(b"-") + 1].decode()
    return gitlab_routable(prefix, random.Random(token))


def _field(kind: int, value: bytes) -> bytes:
    assert len(value) < 128  # one-byte varint lengths are enough here
    return bytes([kind, len(value)]) + value


def pypi(location: str, rng: random.Random) -> bytes:
    """``pypi-`` + base64url of a version-2 macaroon: location, identifier, one caveat, signature."""
    identifier = "".join(rng.choice("0123456789abcdef") for _ in range(32)).encode()
    caveat = json.dumps({"version": 1, "permissions": "user"}).encode()
    data = (b"\x02" + _field(1, location.encode()) + _field(2, identifier) + b"\x00"
            + _field(2, caveat) + b"\x00" + b"\x00" + _field(6, rng.randbytes(32)))
    return b"pypi-" + base64.urlsafe_b64encode(data).rstrip(b"=")


def pypi_token(token: bytes) -> bytes:
    """A fresh macaroon for the index the token's location names."""
    location = "test.pypi.org" if token.startswith(b"pypi-AgENdGVzdC5weXBpLm9yZw") else "pypi.org"
    return pypi(location, random.Random(token))


def sentry_org(rng: random.Random, org: str = "acme") -> bytes:
    """``sntrys_`` + base64(JSON payload) + ``_`` + a base64 secret of 32 random bytes."""
    payload = json.dumps({"iat": 1700000000.0 + rng.randrange(10**7), "url": "https://sentry.io",
                          "region_url": "https://us.sentry.io", "org": org})
    secret = base64.b64encode(rng.randbytes(32)).rstrip(b"=")
    return b"sntrys_" + base64.b64encode(payload.encode()) + b"_" + secret


def sentry(token: bytes) -> bytes:
    """A fresh organization token."""
    return sentry_org(random.Random(token))


def jwt(rng: random.Random, claims: dict[str, object] | None = None) -> bytes:
    """An HS256 JWT with issuer, subject and expiry claims and a random signature."""
    def part(value: object) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value, separators=(",", ":")).encode()).rstrip(b"=")
    payload = claims or {"iss": "https://auth.acme-corp.io", "sub": f"svc-{rng.randrange(10**6)}",
                         "exp": 1893456000 + rng.randrange(10**6)}
    signature = base64.urlsafe_b64encode(rng.randbytes(32)).rstrip(b"=")
    return part({"alg": "HS256", "typ": "JWT"}) + b"." + part(payload) + b"." + signature


CHECKSUMS: dict[str, Callable[[bytes], bytes]] = {
    "github-checksum": github,
    "npm-checksum": github,
    "grafana-checksum": grafana,
    "gitlab-token": gitlab,
    "pypi-macaroon": pypi_token,
    "sentry-org-token": sentry,
    "jwt-claims": lambda token: jwt(random.Random(token)),
}
