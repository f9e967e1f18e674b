"""The packaged rule files, parsed once and kept the way Python keeps bytecode.

``tomllib`` is pure Python: parsing the TOML files under ``rules/`` would cost more of every start
than the rest of a pre-commit scan of 20 small files (bench/RESULTS.md, "Figures behind the code").
Their parsed form is kept as JSON in the rules' ``__pycache__`` folder, one entry per file keyed
by the file's SHA-256, so an edited or reinstalled rule file is always parsed again and never
served stale. Like bytecode it is only a shortcut: nothing is written when Python writes no bytecode (``-B``,
``PYTHONDONTWRITEBYTECODE``) or the folder is not writable, and a cache that cannot be read, or
holds anything unexpected, is ignored. JSON, not pickle or marshal: a damaged file can only fail
to parse.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leakguard.errors import LeakguardError

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

FORMAT = 1
PACKAGE = "leakguard.rules"


def packaged() -> Traversable:
    """The folder of the packaged rules (the ``leakguard.rules`` package). A plain ``Path`` when
    it is a directory on disk, as in every usual install: importing ``importlib.resources`` (and
    ``tempfile`` and ``random`` with it) would cost every start more than finding it. Otherwise (the package inside
    a zip) what ``importlib.resources`` makes of it."""
    spec = importlib.util.find_spec(PACKAGE)
    where = spec.origin if spec is not None else None
    if where is not None and Path(where).parent.is_dir():
        return Path(where).parent
    if spec is None:
        # A source checkout run in place (``python -m leakguard`` at the top of the repository,
        # which also shadows any installed copy): the rules are ``rules/`` beside the package,
        # where the build maps them into it.
        checkout = Path(__file__).resolve().parent.parent / "rules"
        if (checkout / "__init__.py").is_file():
            return checkout
        raise LeakguardError(f"the packaged rules ({PACKAGE}) are missing; reinstall leakguard")
    from importlib import resources

    return resources.files(PACKAGE)


def load(folder: Traversable, names: Sequence[str], *, write: bool | None = None) -> list[dict[str, Any]]:
    """``tomllib.loads`` of each named file under ``folder`` (UTF-8), in order. The cache lives in
    ``folder/__pycache__`` when ``folder`` is a directory on disk; ``write`` defaults to whether
    Python writes bytecode. Raises ``tomllib.TOMLDecodeError``, ``UnicodeDecodeError`` and
    ``OSError`` as reading the files directly would."""
    cache = _cache_path(folder, names)
    known = _read(cache) if cache is not None else {}
    docs: list[dict[str, Any]] = []
    entries: dict[str, list[Any]] = {}
    stale = set(known) != set(names)
    for name in names:
        data = (folder / name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        entry = known.get(name)
        if entry is not None and entry[0] == digest:
            doc = entry[1]
        else:
            doc = tomllib.loads(data.decode("utf-8"))
            stale = True
        entries[name] = [digest, doc]
        docs.append(doc)
    if stale and cache is not None and (not sys.dont_write_bytecode if write is None else write):
        _write(cache, entries)
    return docs


def _cache_path(folder: Traversable, names: Sequence[str]) -> Path | None:
    if not isinstance(folder, Path):  # inside a zip, or another kind of resource reader
        return None
    key = hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()[:16]
    return folder / "__pycache__" / f"leakguard-rules-{key}.json"


def _read(cache: Path) -> dict[str, list[Any]]:
    try:
        doc = json.loads(cache.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("files"), dict):
        return {}
    files: dict[str, Any] = doc["files"]
    return {name: entry for name, entry in files.items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str) and isinstance(entry[1], dict)}


def _write(cache: Path, entries: dict[str, list[Any]]) -> None:
    try:
        text = json.dumps({"format": FORMAT, "files": entries}, allow_nan=False)
    except (TypeError, ValueError):  # a TOML date or time, or inf/nan: parsed every time instead
        return
    # Written aside and renamed: a scan starting meanwhile reads the old file or the new one. Created
    # with the umask's permissions, as bytecode is, so other users of a shared install can read it.
    import secrets  # only when the cache is written

    temporary = cache.with_name(f".{cache.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        cache.parent.mkdir(exist_ok=True)
        with temporary.open("x", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, cache)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()
