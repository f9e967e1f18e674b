"""A real PostgreSQL server for tests: ``initdb`` and ``pg_ctl`` in a temporary directory,
listening on a Unix socket only. The server refuses to run as root, so as root it runs as the
``postgres`` user (``runuser``), in directories that user owns (FIELD-NOTES "PostgreSQL in tests").
``.ci/run`` installs the server binaries when they are missing; a test run without them fails,
naming what to install, rather than skipping the PostgreSQL half of the suite."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise RuntimeError(f"{name} not found: install the PostgreSQL server (Debian: apt-get install postgresql)")
    return found


def _as_owner(argv: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


@contextmanager
def server() -> Iterator[str]:
    """Start a throwaway server; yields its socket directory; stops it (immediately) at the end."""
    user = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="leakguard-pg-"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    data = root / "data"
    ctl = _binary("pg_ctl")
    try:
        subprocess.run(_as_owner([_binary("initdb"), "-N", "-D", str(data), "-U", "postgres", "--auth=trust",
                                  "-E", "UTF8"], user), check=True, capture_output=True, timeout=120)
        options = (f"-k {root} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=50")
        subprocess.run(_as_owner([ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"], user),
                       check=True, capture_output=True, timeout=120)
        try:
            yield str(root)
        finally:
            subprocess.run(_as_owner([ctl, "-D", str(data), "-m", "immediate", "stop"], user), capture_output=True,
                           timeout=60)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(socket_dir: str, name: str) -> str:
    """A fresh database on the server; returns its ``postgresql://`` URL."""
    import psycopg

    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@/{name}?host={socket_dir}"
