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

from leakguard.match import dburl, jwtclaims, keys, structure

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
# The DER structure each PEM label must hold (RFC 7468 labels; keys.py parses them).
_DER_KEYS: dict[bytes, Callable[[bytes], bool]] = {
    b"RSA PRIVATE KEY": keys.pkcs1_rsa,
    b"EC PRIVATE KEY": keys.sec1_ec,
    b"DSA PRIVATE KEY": keys.openssl_dsa,
    b"PRIVATE KEY": keys.pkcs8,
    b"ENCRYPTED PRIVATE KEY": keys.encrypted_pkcs8,
}


def pem_private_key(block: bytes) -> bool:
    """A PEM, OpenSSH or PGP private key block whose body decodes to a whole key structure of
    plausible size (see ``keys``): a stub, ``...`` or a truncated body fails.

    Header lines (``Proc-Type:`` and ``DEK-Info:`` of RFC 1421, PGP's ``Version:``) are set apart;
    a legacy encrypted PEM body is ciphertext, checked for its size and cipher block only.
    """
    match = _PEM_RE.search(block)
    if match is None:
        return False
    label = match.group(1)
    lines = [line.strip() for line in re.split(rb"\\n|\\r|\r?\n", match.group(2)) if line.strip()]
    headers = [line for line in lines if b":" in line]
    body = [line for line in lines if b":" not in line]
    if label.startswith(b"PGP"):
        if body and body[-1].startswith(b"=") and len(body[-1]) == 5:
            body = body[:-1]  # RFC 4880 armor checksum line (CRC-24)
        packets = keys.b64(b"".join(body))
        return packets is not None and keys.pgp_secret_key(packets)
    decoded = keys.b64(b"".join(body))
    if decoded is None:
        return False
    if label == b"OPENSSH PRIVATE KEY":
        return keys.openssh(decoded)
    if any(b"ENCRYPTED" in header for header in headers):  # Proc-Type: 4,ENCRYPTED
        return len(decoded) >= 64 and len(decoded) % 8 == 0
    check = _DER_KEYS.get(label)
    if check is not None:
        return check(decoded)
    return len(decoded) >= 64 and keys.der_sequence(decoded) is not None


def putty_private_key(block: bytes) -> bool:
    """A PuTTY ``.ppk`` key whose ``Private-Lines`` are that many lines of base64 holding a
    private blob (SSH wire format, 32 bytes or more)."""
    match = re.search(rb"Private-Lines: *(\d+)((?:(?:\r?\n|\\n)[A-Za-z0-9+/=]+(?=\r?\n|\\n|$))+)", block)
    if match is None:
        return False
    lines = [line for line in re.split(rb"\r?\n|\\n", match.group(2)) if line]
    if len(lines) != int(match.group(1)):
        return False
    blob = keys.b64(b"".join(lines))
    encrypted = re.search(rb"Encryption: *none", block) is None
    return blob is not None and (len(blob) >= 32 if encrypted else keys.putty_private_blob(blob))


def _b64url_json(part: bytes) -> dict[str, object] | None:
    try:
        raw = base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        return None
    return value if isinstance(value, dict) else None


def jwt(token: bytes) -> bool:
    """A JWT whose header (with ``alg``) and payload both decode to JSON objects (RFC 7519), and
    that is not public by design or a documentation sample (``jwtclaims.public_or_sample``)."""
    parts = token.split(b".")
    if len(parts) != 3:
        return False
    header, payload = _b64url_json(parts[0]), _b64url_json(parts[1])
    if header is None or "alg" not in header or payload is None:
        return False
    return not jwtclaims.public_or_sample(header, payload, parts[2])


def jwt_claims(token: bytes) -> bool:
    """``jwt``, and the payload names who or what it is for (``iss``, ``sub``, ``aud``, ``exp``...):
    a token someone issued, not a toy payload; signed (``alg`` is not ``none``)."""
    if not jwt(token):
        return False
    parts = token.split(b".")
    header, payload = _b64url_json(parts[0]) or {}, _b64url_json(parts[1]) or {}
    return jwtclaims.issued(header, payload)


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
    if not letters or not (digits or _unpronounceable(token, letters)):
        return False
    if _HEX.fullmatch(token) is not None:
        return True
    pieces = _PIECES.findall(token)
    wordy = sum(map(len, pieces)) / len(pieces) >= WORDY
    if token.lower() == token or token.upper() == token:
        # One case only (``ZMBVNVN5LRHS86WR``): no case changes split the letters, so runs are long
        # in random values too. Words also read by their vowels (40 % of their letters) and rarely
        # hold four consonants in a row; random letters have fewer vowels (19 %) and such runs often.
        if not wordy:
            return True
        reads_random = _vowel_share(token, letters) <= MAX_SINGLE_CASE_VOWELS or _consonant_run(token) >= 4
        return len(token) >= 12 and reads_random
    return not wordy


_VOWELS = frozenset(b"aeiouAEIOU")
# Vowels are about 19 % of random base62 letters and about 40 % of the letters of English words.
MAX_RANDOM_VOWELS = 0.25
MAX_SINGLE_CASE_VOWELS = 0.3
_CONSONANTS = re.compile(rb"[b-df-hj-np-tv-xzB-DF-HJ-NP-TV-XZ]+")


def _vowel_share(token: bytes, letters: int) -> float:
    return sum(1 for c in token if c in _VOWELS) / letters


def _consonant_run(token: bytes) -> int:
    return max(map(len, _CONSONANTS.findall(token)), default=0)


def _unpronounceable(token: bytes, letters: int) -> bool:
    """A value without digits can still be random: 3 % of 20-character PagerDuty keys have none.
    It reads as random when it mixes cases and its letters are too few in vowels to be words
    (``PniRTlatxdcMJaikpsFq``; ``PagerDutyIncidentAPI`` has 40 %)."""
    if len(token) < 16 or token.lower() == token or token.upper() == token:
        return False
    return _vowel_share(token, letters) <= MAX_RANDOM_VOWELS


def kubeconfig_key_data(value: bytes) -> bool:
    """A kubeconfig ``client-key-data``: base64 of a PEM private key that ``pem_private_key`` accepts."""
    decoded = keys.b64(value)
    return decoded is not None and pem_private_key(decoded)


def db_credentials(match: bytes) -> bool:
    """The whole connection string: a password that is not the user name or a default, for a host
    that is not this machine or a documentation host (``dburl.real_login``)."""
    return dburl.real_login(match)


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
    "jwt-claims": jwt_claims,
    "db-credentials": db_credentials,
    "kubeconfig-key-data": kubeconfig_key_data,
    "grafana-checksum": structure.grafana_service_account,
    "gitlab-token": structure.gitlab_token,
    "sentry-org-token": structure.sentry_org_token,
    "pypi-macaroon": structure.pypi_macaroon,
    "azure-storage-key": structure.azure_storage_key,
    "base64-32-bytes": structure.base64_32_bytes,
    "azure-sas-signature": structure.azure_sas_signature,
}

# Validators that judge the rule's whole match rather than its secret group: a connection string's
# password means something only beside its user name and host.
WHOLE_MATCH_VALIDATORS = frozenset({"db-credentials"})


def shannon_entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte."""
    if not data:
        return 0.0
    total = len(data)
    return -sum(n / total * math.log2(n / total) for n in Counter(data).values())

# A value that passes one of these is key material or carries a provider checksum: the
# placeholder filter is not applied to it (a random body may contain "here" by chance).
STRONG_VALIDATORS = frozenset({
    "github-checksum", "npm-checksum", "pem-private-key", "putty-private-key", "grafana-checksum",
    "pypi-macaroon", "kubeconfig-key-data",
})
# A value that passes one of these carries its provider's checksum: no test value is shaped so by
# chance, so it is proof the credential is real, even in a test or documentation path.
PROOF_VALIDATORS = frozenset({"github-checksum", "npm-checksum", "grafana-checksum"})
