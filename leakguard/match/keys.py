"""Is an armoured private key real key material? Structure checks for every armour leakguard reports.

A documentation stub such as ``-----BEGIN RSA PRIVATE KEY----- MIIEpQIBAAKCAQEAuyf... -----END RSA
PRIVATE KEY-----`` (twilio 9.4.1's docstrings: 48 bytes claiming to be a 1,193-byte key) decodes to
base64 but not to a key. Each check reads just enough of the format to see a whole structure of
plausible size: DER (RFC 8017 PKCS#1, RFC 5915 SEC1, RFC 5958 PKCS#8 and its encrypted form, the
OpenSSL DSA layout), openssh-key-v1 (OpenSSH's PROTOCOL.key), an OpenPGP secret-key packet (RFC 4880
section 4.2) and PuTTY's ``Private-Lines``.
"""

from __future__ import annotations

import base64
import binascii
import re

_SEQUENCE, _INTEGER, _OCTET_STRING, _OID = 0x30, 0x02, 0x04, 0x06
MIN_RSA_MODULUS = 64  # bytes: 512 bits, the smallest RSA key anyone still generates for tests
MIN_DSA_PRIME = 64


def b64(text: bytes) -> bytes | None:
    """Standard or URL-safe base64 with whitespace and ``\\n`` escapes removed, padding restored."""
    cleaned = re.sub(rb"\\[nr]|\s", b"", text)
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, altchars=b"-_" if b"-" in cleaned or b"_" in cleaned else None,
                                validate=True)
    except (binascii.Error, ValueError):
        return None


def der_element(data: bytes, pos: int, limit: int) -> tuple[int, int, int] | None:
    """``(tag, content start, content end)`` of the DER element at ``pos``, which must end by ``limit``."""
    if pos + 2 > limit:
        return None
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        width = first & 0x7F
        if not 1 <= width <= 4 or pos + width > limit:
            return None  # indefinite lengths are BER, not DER
        length = int.from_bytes(data[pos : pos + width], "big")
        pos += width
    end = pos + length
    return (tag, pos, end) if end <= limit else None


def der_children(data: bytes, start: int, end: int) -> list[tuple[int, int, int]] | None:
    """The elements that exactly fill ``data[start:end]``, or None if they do not."""
    children = []
    pos = start
    while pos < end:
        element = der_element(data, pos, end)
        if element is None:
            return None
        children.append(element)
        pos = element[2]
    return children


def der_sequence(data: bytes) -> list[tuple[int, int, int]] | None:
    """The elements of the DER SEQUENCE that fills ``data`` exactly, or None."""
    top = der_element(data, 0, len(data))
    if top is None or top[0] != _SEQUENCE or top[2] != len(data):
        return None
    return der_children(data, top[1], top[2])


def _small_int(data: bytes, element: tuple[int, int, int]) -> int | None:
    tag, start, end = element
    return int.from_bytes(data[start:end], "big") if tag == _INTEGER and 1 <= end - start <= 2 else None


def _int_bytes(data: bytes, element: tuple[int, int, int]) -> int:
    """Significant bytes of a DER INTEGER (its leading sign byte not counted)."""
    start, end = element[1], element[2]
    while start < end and data[start] == 0:
        start += 1
    return end - start


def pkcs1_rsa(der: bytes) -> bool:
    """RSAPrivateKey: version and eight INTEGERs, with a modulus of 512 bits or more."""
    fields = der_sequence(der)
    if fields is None or len(fields) < 9 or any(tag != _INTEGER for tag, _, _ in fields[:9]):
        return False
    return _small_int(der, fields[0]) in (0, 1) and _int_bytes(der, fields[1]) >= MIN_RSA_MODULUS


def sec1_ec(der: bytes) -> bool:
    """ECPrivateKey: version 1 and an OCTET STRING of a curve's size (16 to 66 bytes)."""
    fields = der_sequence(der)
    if fields is None or len(fields) < 2 or _small_int(der, fields[0]) != 1:
        return False
    tag, start, end = fields[1]
    return tag == _OCTET_STRING and 16 <= end - start <= 66


def openssl_dsa(der: bytes) -> bool:
    """OpenSSL's DSA private key: version 0, then p, q, g, y and x, with p of 512 bits or more."""
    fields = der_sequence(der)
    if fields is None or len(fields) != 6 or any(tag != _INTEGER for tag, _, _ in fields):
        return False
    return _small_int(der, fields[0]) == 0 and _int_bytes(der, fields[1]) >= MIN_DSA_PRIME


def _algorithm(der: bytes, element: tuple[int, int, int]) -> bool:
    tag, start, end = element
    if tag != _SEQUENCE:
        return False
    parts = der_children(der, start, end)
    if not parts:
        return False
    oid_tag, oid_start, oid_end = parts[0]
    return oid_tag == _OID and oid_end - oid_start >= 3


def pkcs8(der: bytes) -> bool:
    """PrivateKeyInfo / OneAsymmetricKey: version, AlgorithmIdentifier, the key in an OCTET STRING."""
    fields = der_sequence(der)
    if fields is None or len(fields) < 3 or _small_int(der, fields[0]) not in (0, 1):
        return False
    tag, start, end = fields[2]
    return _algorithm(der, fields[1]) and tag == _OCTET_STRING and end - start >= 16


def encrypted_pkcs8(der: bytes) -> bool:
    """EncryptedPrivateKeyInfo: AlgorithmIdentifier and the encrypted key (an OCTET STRING)."""
    fields = der_sequence(der)
    if fields is None or len(fields) != 2:
        return False
    tag, start, end = fields[1]
    return _algorithm(der, fields[0]) and tag == _OCTET_STRING and end - start >= 16


def _ssh_string(data: bytes, pos: int) -> tuple[bytes, int] | None:
    if pos + 4 > len(data):
        return None
    end = pos + 4 + int.from_bytes(data[pos : pos + 4], "big")
    return (data[pos + 4 : end], end) if end <= len(data) else None


OPENSSH_MAGIC = b"openssh-key-v1\x00"


def openssh(blob: bytes) -> bool:
    """openssh-key-v1: cipher, KDF and its options, 1 to 16 public keys, then the private section,
    filling the blob exactly. Unencrypted, the private section repeats its check integer and is
    padded to the 8-byte block (PROTOCOL.key)."""
    if not blob.startswith(OPENSSH_MAGIC):
        return False
    pos = len(OPENSSH_MAGIC)
    fields = []
    for _ in range(3):  # ciphername, kdfname, kdfoptions
        item = _ssh_string(blob, pos)
        if item is None:
            return False
        fields.append(item[0])
        pos = item[1]
    if pos + 4 > len(blob):
        return False
    count = int.from_bytes(blob[pos : pos + 4], "big")
    pos += 4
    if not 1 <= count <= 16:
        return False
    for _ in range(count):
        item = _ssh_string(blob, pos)
        if item is None or len(item[0]) < 16:
            return False
        pos = item[1]
    private = _ssh_string(blob, pos)
    if private is None or private[1] != len(blob) or len(private[0]) < 16 or len(private[0]) % 8:
        return False
    section = private[0]
    return fields[0] != b"none" or section[:4] == section[4:8]


def pgp_secret_key(packets: bytes) -> bool:
    """An OpenPGP message starting with a Secret-Key packet (tag 5) of a known version."""
    if len(packets) < 8 or not packets[0] & 0x80:
        return False
    first = packets[0]
    if first & 0x40:  # new format: tag in the low six bits, then a one, two or five-octet length
        tag, octet, pos = first & 0x3F, packets[1], 2
        if octet < 192:
            length = octet
        elif octet < 224:
            length, pos = ((octet - 192) << 8) + packets[2] + 192, 3
        elif octet == 255:
            length, pos = int.from_bytes(packets[2:6], "big"), 6
        else:
            return False  # partial body lengths are for data packets only
    else:  # old format: tag in bits 5-2, length type in bits 1-0
        tag, width = (first >> 2) & 0x0F, (1, 2, 4, 0)[first & 0x03]
        if not width:
            return False
        length, pos = int.from_bytes(packets[1 : 1 + width], "big"), 1 + width
    return tag == 5 and 16 <= length <= len(packets) - pos and packets[pos] in (3, 4, 5, 6)


def putty_private_blob(blob: bytes) -> bool:
    """A PuTTY private blob: SSH wire-format fields (an mpint or a 32-byte seed first), 32+ bytes."""
    first = _ssh_string(blob, 0)
    return len(blob) >= 32 and first is not None and len(first[0]) >= 20
