"""Offline checks that tell a real credential from a look-alike: checksums and structure.

``VALIDATORS`` is an explicit registry; a rule names its validator by key. Each validator takes
the secret bytes (the rule's secret group) and returns True when the value is plausible.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable

Validator = Callable[[bytes], bool]

BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B62_INDEX = {c: i for i, c in enumerate(BASE62)}


def base62_encode(value: int, width: int) -> bytes:
    """Fixed-width base62 with leading zeros, as GitHub's token checksum uses."""
    out = bytearray()
    while value:
        value, rem = divmod(value, 62)
        out.append(BASE62[rem])
    out.reverse()
    return bytes(out).rjust(width, b"0")


def _base62_crc32(token: bytes) -> bool:
    # github.blog/2021-04-05-behind-githubs-new-authentication-token-formats: the last six
    # characters are a base62 CRC32 of the random part (between the prefix and the checksum).
    # npm uses the same scheme for npm_ tokens (github.blog/changelog/2021-09-23).
    prefix_end = token.find(b"_") + 1
    if prefix_end <= 0 or len(token) < prefix_end + 7:
        return False
    body, check = token[prefix_end:-6], token[-6:]
    if any(c not in _B62_INDEX for c in check):
        return False
    return base62_encode(zlib.crc32(body), 6) == check


def github_checksum(token: bytes) -> bool:
    """``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_`` + 30 base62 + 6-character CRC32 checksum."""
    return len(token) == 40 and _base62_crc32(token)


def npm_checksum(token: bytes) -> bool:
    """``npm_`` + 30 base62 + 6-character CRC32 checksum, the scheme GitHub uses."""
    return len(token) == 40 and _base62_crc32(token)


def _b64decode(text: bytes) -> bytes | None:
    cleaned = re.sub(rb"\\[nr]|\s", b"", text)
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, altchars=b"-_" if b"-" in cleaned or b"_" in cleaned else None)
    except (binascii.Error, ValueError):
        return None


_PEM_RE = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]*?)-----(.*?)-----END \1-----", re.DOTALL
)


def pem_private_key(block: bytes) -> bool:
    """A PEM or OpenSSH private key block whose body decodes to key material (DER or openssh-key-v1).

    Headers such as ``Proc-Type:`` (RFC 1421) are skipped; a body of ``...`` or a few characters
    (documentation) fails.
    """
    match = _PEM_RE.search(block)
    if match is None:
        return False
    label = match.group(1)
    body_lines = [
        line.strip()
        for line in re.split(rb"\\n|\\r|\r?\n", match.group(2))
        if line.strip() and b":" not in line
    ]
    body = b"".join(body_lines)
    if len(body) < 64:
        return False
    if label.startswith(b"PGP"):
        # RFC 4880 armor: base64 data, optionally ending with a "=XXXX" CRC24 line.
        body = re.sub(rb"=[A-Za-z0-9+/]{4}$", b"", body)
        return _b64decode(body) is not None
    decoded = _b64decode(body)
    if decoded is None or len(decoded) < 48:
        return False
    if label == b"OPENSSH PRIVATE KEY":
        return decoded.startswith(b"openssh-key-v1\x00")
    if label == b"ENCRYPTED PRIVATE KEY" or b"ENCRYPTED" in match.group(2):
        return decoded[:1] == b"\x30"
    return decoded[:1] == b"\x30"  # DER SEQUENCE: PKCS#1, SEC1, PKCS#8, DSA


def putty_private_key(block: bytes) -> bool:
    """A PuTTY ``.ppk`` key with a ``Private-Lines`` section of real base64."""
    match = re.search(rb"Private-Lines: *(\d+)((?:\r?\n|\\n)[A-Za-z0-9+/=\r\n\\]+)", block)
    if match is None:
        return False
    return _b64decode(match.group(2)) is not None and len(match.group(2)) >= 32


def _b64url_json(part: bytes) -> dict[str, object] | None:
    try:
        raw = base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def jwt(token: bytes) -> bool:
    """A JWT whose header (with ``alg``) and payload both decode to JSON objects (RFC 7519)."""
    parts = token.split(b".")
    if len(parts) != 3:
        return False
    header = _b64url_json(parts[0])
    return header is not None and "alg" in header and _b64url_json(parts[1]) is not None


_AWS_KEY_ID = re.compile(rb"(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16}")


def aws_access_key_id(token: bytes) -> bool:
    """AWS key ids: a documented four-letter prefix plus 16 base32 characters (20 in all)."""
    return _AWS_KEY_ID.fullmatch(token) is not None


def luhn(token: bytes) -> bool:
    """The Luhn check digit, for card-like numbers."""
    digits = [c - 48 for c in token if 48 <= c <= 57]
    if len(digits) < 12:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def base64_userpass(token: bytes) -> bool:
    """base64 of ``user:password`` (HTTP Basic, docker ``auth``, npm ``_auth``) with a real password."""
    decoded = _b64decode(token)
    if decoded is None or b":" not in decoded:
        return False
    user, _, password = decoded.partition(b":")
    return bool(user) and len(password) >= 4 and all(32 <= c < 127 for c in decoded)


def base64_decodes(token: bytes) -> bool:
    """The value is valid base64 of at least 16 bytes (keys documented as base64 blobs)."""
    decoded = _b64decode(token)
    return decoded is not None and len(decoded) >= 16


_INTERNAL_NETS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # RFC 1918
        "169.254.0.0/16",  # link-local, including cloud metadata 169.254.169.254
        "100.64.0.0/10",  # RFC 6598 carrier-grade NAT
        "fd00::/8", "fe80::/10",  # IPv6 unique-local and link-local
    )
)


def internal_ip(host: bytes) -> bool:
    """An address in a private, link-local or CGNAT range. Loopback and the RFC 5737
    documentation ranges are not internal endpoints."""
    try:
        address = ipaddress.ip_address(host.decode("ascii").strip("[]"))
    except ValueError:
        return False
    return any(address in net for net in _INTERNAL_NETS if net.version == address.version)


# Letter runs as a person writes words: ``Mistral``, ``For``, ``HTTP``, ``path``.
_PIECES = re.compile(rb"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_HEX = re.compile(rb"[0-9a-fA-F]+")
# Mean letters per piece above which a value reads as words: random base62 averages about 2
# (``sq1OrNOR25790YL5...``), names 5 to 8 (``MistralForSequenceClassification``, ``Version10Client``).
WORDY = 3.5


def random_token(token: bytes) -> bool:
    """A value shaped like a generated token, not an identifier: for keyword-proximity rules, whose
    keyword (a provider's name) often sits next to class names, imports and dotted names.

    A random base62 or hex token of 16 or more characters holds both a letter and a digit with near
    certainty (all but 0.4 % of 32 base62 characters), and its letter runs are short; a name's
    letter runs are words (CamelCase, snake_case, dotted, a word with a number tacked on).
    """
    if len(token) < 8:
        return False
    letters = sum(1 for c in token if 65 <= c <= 90 or 97 <= c <= 122)
    digits = sum(1 for c in token if 48 <= c <= 57)
    if not letters or not digits:
        return False
    if _HEX.fullmatch(token) is not None:
        return True
    pieces = _PIECES.findall(token)
    return sum(map(len, pieces)) / len(pieces) < WORDY


def random_letters(token: bytes) -> bool:
    """A value of letters only (no digit) shaped like generated text, not a name: for keyword-proximity
    rules whose provider issues letter-only tokens (Logz.io shipping tokens, 32 mixed-case letters).

    Random mixed-case letters break into short runs (``mPwamXmGvYwh...``: about 2 letters a run); a
    name's runs are words (``LogzioSenderConfigurationBuilder``) and an upper-case word is one run.
    """
    if len(token) < 16 or not token.isalpha():
        return False
    if token.lower() == token or token.upper() == token:
        return False
    pieces = _PIECES.findall(token)
    return sum(map(len, pieces)) / len(pieces) < WORDY


VALIDATORS: dict[str, Validator] = {
    "random-token": random_token,
    "internal-ip": internal_ip,
    "github-checksum": github_checksum,
    "npm-checksum": npm_checksum,
    "pem-private-key": pem_private_key,
    "putty-private-key": putty_private_key,
    "jwt": jwt,
    "aws-access-key-id": aws_access_key_id,
    "luhn": luhn,
    "base64": base64_decodes,
    "base64-userpass": base64_userpass,
    "random-letters": random_letters,
}


def shannon_entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte."""
    if not data:
        return 0.0
    total = len(data)
    return -sum(n / total * math.log2(n / total) for n in Counter(data).values())

# A value that passes one of these is key material or carries a provider checksum: the
# placeholder filter is not applied to it (a random body may contain "here" by chance).
STRONG_VALIDATORS = frozenset({"github-checksum", "npm-checksum", "pem-private-key", "putty-private-key"})
