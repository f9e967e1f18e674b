"""Token checksums and payloads that providers define, checked offline.

Each function takes the whole token as a rule's secret group holds it and says whether its
structure is the provider's: a look-alike with a wrong checksum or an undecodable payload is not a
real token. Sources are the providers' own code and documentation, cited at each function.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from urllib.parse import unquote_to_bytes

from leakguard.match.keys import b64

_BASE36 = b"0123456789abcdefghijklmnopqrstuvwxyz"


def base36(value: int, width: int) -> bytes:
    """Lower-case base36 padded with zeros, as Ruby's ``Integer#to_s(36).rjust`` writes it."""
    out = bytearray()
    while value:
        value, rem = divmod(value, 36)
        out.append(_BASE36[rem])
    return bytes(reversed(out)).rjust(width, b"0")


def grafana_service_account(token: bytes) -> bool:
    """``glsa_`` + 32 alphanumerics + ``_`` + 8 hex: the CRC32 (IEEE) of ``glsa_<secret>``, its
    four bytes little-endian in hex (grafana/grafana pkg/components/satokengen/tokengen.go)."""
    head, sep, check = token.rpartition(b"_")
    if not sep or len(check) != 8:
        return False
    return zlib.crc32(head).to_bytes(4, "little").hex().encode() == check


_ROUTABLE = re.compile(rb"\.01\.([0-9a-z]{2})([0-9a-z]{7})$")
_ROUTING_KEYS = frozenset({b"c", b"g", b"o", b"p", b"t", b"u"})


def gitlab_token(token: bytes) -> bool:
    """A GitLab token: legacy (prefix + 20 random characters, no checksum) or routable, which
    GitLab issues since 17.x: prefix + base64url(16 random bytes, ``k:v`` routing lines, their
    length) + ``.01.`` + the base64 length in 2 base36 digits + the CRC32 of everything before in 7
    (gitlab-org/gitlab lib/authn/token_field/generator/routable_token.rb). A routable token's CRC
    and its organization line (``o:``) must be right."""
    routable = _ROUTABLE.search(token)
    if routable is None:
        return b"." not in token
    if base36(zlib.crc32(token[:-7]), 7) != routable.group(2):
        return False
    length = int(routable.group(1), 36)
    encoded = token[: routable.start()]
    if length < 24 or len(encoded) <= length:
        return False
    try:
        raw = base64.urlsafe_b64decode(encoded[-length:] + b"=" * (-length % 4))
    except (binascii.Error, ValueError):
        return False
    payload = raw[16:-1]
    if len(raw) < 18 or raw[-1] != len(payload):
        return False
    lines = [line.partition(b":") for line in payload.split(b"\n")]
    keys = {key for key, colon, _ in lines if colon and len(key) == 1}
    return len(keys) == len(lines) and b"o" in keys and keys <= _ROUTING_KEYS


def sentry_org_token(token: bytes) -> bool:
    """``sntrys_`` + base64 of a JSON payload naming the organization (``iat``, ``url``,
    ``region_url``, ``org``) + ``_`` + the base64 secret (getsentry/sentry
    src/sentry/utils/security/orgauthtoken_token.py; Sentry's parser requires exactly two ``_``)."""
    parts = token.split(b"_")
    if len(parts) != 3 or parts[0] != b"sntrys" or not re.fullmatch(rb"[A-Za-z0-9+/]{32,}={0,2}", parts[2]):
        return False
    decoded = b64(parts[1])
    try:
        payload = json.loads(decoded) if decoded is not None else None
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(payload, dict) and "iat" in payload and bool(payload.get("org"))


def _varint(data: bytes, pos: int) -> tuple[int, int] | None:
    value = shift = 0
    while pos < len(data) and shift < 35:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None


def _macaroon_section(data: bytes, pos: int) -> tuple[dict[int, bytes], int] | None:
    """Fields up to an end-of-section marker (type 0): ``{type: value}`` and the position after it."""
    fields: dict[int, bytes] = {}
    while pos < len(data):
        kind = data[pos]
        if kind == 0:
            return fields, pos + 1
        length = _varint(data, pos + 1)
        if kind not in (1, 2, 4) or kind in fields or length is None or length[1] + length[0] > len(data):
            return None
        fields[kind] = data[length[1] : length[1] + length[0]]
        pos = length[1] + length[0]
    return None


PYPI_LOCATIONS = frozenset({b"pypi.org", b"test.pypi.org"})


def pypi_macaroon(token: bytes) -> bool:
    """``pypi-`` + base64url of a version-2 macaroon (the libmacaroons binary format PyPI issues):
    the location field is PyPI's (pypi.org or test.pypi.org), an identifier follows, then caveat
    sections, and a 32-byte signature ends it exactly (warehouse's token-scanning documentation)."""
    if not token.startswith(b"pypi-"):
        return False
    data = b64(token[5:])
    if data is None or data[:1] != b"\x02":
        return False
    head = _macaroon_section(data, 1)
    if head is None or head[0].get(1) not in PYPI_LOCATIONS or 2 not in head[0]:
        return False
    pos = head[1]
    while pos < len(data) and data[pos] != 0:
        caveat = _macaroon_section(data, pos)
        if caveat is None or 2 not in caveat[0]:
            return False
        pos = caveat[1]
    if data[pos : pos + 1] != b"\x00" or data[pos + 1 : pos + 3] != b"\x06\x20":
        return False
    return len(data) == pos + 3 + 32


# The Azure Storage emulator's (Azurite's) published account key for devstoreaccount1: in every
# SDK and tutorial, and it unlocks nothing but a local emulator.
AZURITE_KEY = (b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==")


def azure_storage_key(token: bytes) -> bool:
    """An Azure storage account key: base64 of 64 bytes (512 bits), not the emulator's key."""
    decoded = b64(token)
    return decoded is not None and len(decoded) == 64 and token != AZURITE_KEY


def base64_32_bytes(token: bytes) -> bool:
    """Base64 of exactly 32 bytes: a 256-bit key (Service Bus / Event Hubs SAS keys)."""
    decoded = b64(token)
    return decoded is not None and len(decoded) == 32


def azure_sas_signature(token: bytes) -> bool:
    """A SAS ``sig``: percent-encoded base64 of an HMAC-SHA256, 32 bytes."""
    return base64_32_bytes(unquote_to_bytes(token))
