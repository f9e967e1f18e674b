"""Fixtures for audit tests: the fake registries, and a database of each kind (SQLite, and a real
PostgreSQL server started once per session)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy

from tests.helpers import fake_registries, postgres
from tests.helpers.archives import npm_tarball, wheel
from tests.helpers.tokens import github_token

_names = itertools.count()


@pytest.fixture
def fakes() -> Iterator[fake_registries.Fakes]:
    """The loopback npm registry, feed and PyPI, fresh for each test."""
    with fake_registries.serve() as served:
        yield served


@pytest.fixture(scope="session")
def pg_socket() -> Iterator[str]:
    """A real PostgreSQL server for the session (its socket directory)."""
    with postgres.server() as socket_dir:
        yield socket_dir


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: SQLite in tmp_path, or a new database on the session's server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return postgres.create_database(request.getfixturevalue("pg_socket"), f"audit_{next(_names)}")


def leaky_tarball(name: str, version: str, seed: int) -> tuple[bytes, str]:
    """An npm tarball holding a (format-valid, fake) GitHub token; returns it and the token."""
    token = github_token(seed=seed)
    return npm_tarball({"index.js": f'const token = "{token}";\nmodule.exports = token;\n'},
                       name=name, version=version), token


def clean_tarball(name: str, version: str) -> bytes:
    """An npm tarball with nothing to find."""
    return npm_tarball({"index.js": f"module.exports = function () {{ return '{name} {version}'; }};\n"},
                       name=name, version=version)


def leaky_wheel(name: str, version: str, seed: int) -> tuple[bytes, str]:
    """A wheel whose module holds a fake GitHub token."""
    token = github_token(seed=seed)
    return wheel({f"{name}/__init__.py": f'TOKEN = "{token}"\n'}, name=name, version=version), token


def rows(db: str, table: sqlalchemy.Table) -> list[dict[str, object]]:
    """Every row of ``table``, read with a connection of its own (as another reader would)."""
    engine = sqlalchemy.create_engine(db.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(sqlalchemy.select(table))]
    engine.dispose()
    return found


def publish_mixed(fakes: fake_registries.Fakes, count: int) -> list[str]:
    """``count`` npm packages p0, p1, ...: the even ones leak a token; returns their specs."""
    targets = []
    for n in range(count):
        data = leaky_tarball(f"p{n}", "1.0.0", seed=n)[0] if n % 2 == 0 else clean_tarball(f"p{n}", "1.0.0")
        fakes.publish_npm(f"p{n}", "1.0.0", data)
        targets.append(f"npm:p{n}@1.0.0")
    return targets
