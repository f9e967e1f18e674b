"""Valid-format test tokens generated here (random bodies, correct checksums); none is real."""

from __future__ import annotations

import random
import zlib

from leakguard.match.validators import BASE62, base62_encode


def github_token(prefix: str = "ghp_", *, seed: int = 0) -> str:
    """A GitHub-format token with a correct CRC32 checksum."""
    rng = random.Random(seed)
    body = bytes(rng.choice(BASE62) for _ in range(30))
    return prefix + (body + base62_encode(zlib.crc32(body), 6)).decode()
