"""Private-key structure: real keys of every armour pass, stubs and truncated bodies do not."""

from __future__ import annotations

import base64
import re

import pytest

from leakguard.match import keys
from leakguard.match.validators import pem_private_key, putty_private_key
from leakguard.ruleset import load_rules

RULES = {rule.id: rule for rule in load_rules()}
# The pack's examples are real keys made with openssl, ssh-keygen and gpg for the pack.
PEM_EXAMPLES = [
    pytest.param(example.encode().decode("unicode_escape").encode() if example.startswith("{") else example.encode(),
                 id=f"{rule_id}-{i}")
    for rule_id in ("private-key.rsa", "private-key.ec", "private-key.dsa", "private-key.pkcs8",
                    "private-key.encrypted-pkcs8", "private-key.openssh", "private-key.pgp")
    for i, example in enumerate(RULES[rule_id].examples)
]
TWILIO_STUB = (b"-----BEGIN RSA PRIVATE KEY----- MIIEpQIBAAKCAQEAuyf/lNrH9ck8DmNyo3fGgvCI1l9s+cmBY3WIz+cUDqmxiieR. "
               b"-----END RSA PRIVATE KEY-----")


def _block(text: bytes) -> bytes:
    match = re.search(rb"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", text, re.S)
    assert match is not None
    return match.group()


def _body(block: bytes) -> bytes:
    lines = [line for line in block.replace(b"\\n", b"\n").split(b"\n")[1:-1] if line and b":" not in line]
    decoded = keys.b64(b"".join(lines))
    assert decoded is not None
    return decoded


def _armour(label: str, der: bytes) -> bytes:
    text = base64.b64encode(der).decode()
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()


@pytest.mark.parametrize("text", PEM_EXAMPLES)
def test_real_keys_pass(text: bytes) -> None:
    assert pem_private_key(_block(text))


def test_twilio_docstring_stub_fails() -> None:
    assert not pem_private_key(TWILIO_STUB)
    assert not pem_private_key(TWILIO_STUB.replace(b". ", b" "))  # base64 alone is not a key


@pytest.mark.parametrize("rule_id", ["private-key.rsa", "private-key.ec", "private-key.dsa",
                                     "private-key.encrypted-pkcs8", "private-key.openssh"])
def test_truncated_bodies_fail(rule_id: str) -> None:
    lines = _block(next(e for e in RULES[rule_id].examples if "\n" in e).encode()).split(b"\n")
    assert not pem_private_key(b"\n".join(lines[:3] + lines[-1:]))


def _plain(rule_id: str) -> bytes:
    """The rule's first example that is not passphrase-protected."""
    return next(_block(e.encode()) for e in RULES[rule_id].examples
                if b"ENCRYPTED" not in e.encode() and b"aes256" not in _body(_block(e.encode()))[:40])


def test_der_must_fill_the_body_exactly() -> None:
    der = _body(_plain("private-key.rsa"))
    assert keys.pkcs1_rsa(der)
    assert not keys.pkcs1_rsa(der + b"\x00")
    assert not keys.pkcs1_rsa(der[:-1])


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    return bytes([tag]) + (bytes([size]) if size < 0x80 else bytes([0x82]) + size.to_bytes(2, "big")) + content


def _rsa(modulus_bytes: int) -> bytes:
    integers = [b"\x00", b"\x00" + b"\xc5" * modulus_bytes, b"\x01\x00\x01"] + [b"\x00" + b"\x9b" * 32] * 6
    return _der(0x30, b"".join(_der(0x02, value) for value in integers))


def test_rsa_modulus_must_be_512_bits_or_more() -> None:
    assert keys.pkcs1_rsa(_rsa(64))
    assert pem_private_key(_armour("RSA PRIVATE KEY", _rsa(128)))
    assert not keys.pkcs1_rsa(_rsa(32))
    assert not pem_private_key(_armour("RSA PRIVATE KEY", _rsa(32)))


def test_label_must_match_structure() -> None:
    ec = _body(_plain("private-key.ec"))
    assert pem_private_key(_armour("EC PRIVATE KEY", ec))
    assert not pem_private_key(_armour("RSA PRIVATE KEY", ec))
    assert not pem_private_key(_armour("PRIVATE KEY", ec))


def _private_section(blob: bytes) -> int:
    """Offset of the private section's data in an openssh-key-v1 blob (PROTOCOL.key's layout)."""
    pos = len(keys.OPENSSH_MAGIC)
    for _ in range(3):  # cipher, kdf, kdf options
        pos += 4 + int.from_bytes(blob[pos : pos + 4], "big")
    count = int.from_bytes(blob[pos : pos + 4], "big")
    pos += 4
    for _ in range(count):
        pos += 4 + int.from_bytes(blob[pos : pos + 4], "big")
    return pos + 4


def test_openssh_check_integers_must_repeat() -> None:
    blob = _body(_plain("private-key.openssh"))
    assert keys.openssh(blob)
    corrupt = bytearray(blob)
    corrupt[_private_section(blob) + 4] ^= 0xFF  # the first byte of the second check integer
    assert not keys.openssh(bytes(corrupt))
    assert not keys.openssh(blob[:-8])
    assert not keys.openssh(blob + bytes(8))


def test_pgp_public_key_is_not_a_secret_key() -> None:
    packets = _body(_block(RULES["private-key.pgp"].examples[0].encode()).replace(b"\n=OEoQ", b""))
    assert keys.pgp_secret_key(packets)
    public = bytes([0x99]) + packets[1:]  # old format, tag 6 (public key), two-octet length
    assert not keys.pgp_secret_key(public)


def test_putty_private_lines_must_hold_a_blob() -> None:
    real = RULES["private-key.putty"].examples[0].encode()
    assert putty_private_key(real)
    assert not putty_private_key(real.replace(b"Private-Lines: 1", b"Private-Lines: 2"))
    assert not putty_private_key(re.sub(rb"Private-Lines: 1\n[^\n]+", b"Private-Lines: 1\nAAAA", real))
