"""A command that needs a missing extra says which one to install, in one line, exit 2. The extra's
package is hidden by a module of the same name that fails to import, first on the path."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.mark.parametrize(("hidden", "args", "extra"), [
    ("sqlalchemy", ("findings",), "audit"),
    ("psycopg", ("findings", "--db", "postgresql://nobody@/nowhere?host=/nonexistent"), "postgres"),
    ("distributed", ("audit", "--engine", "dask", "--db", "sqlite:///a.db", "x.tgz"), "dask"),
])
def test_a_missing_extra_is_named(tmp_path: Path, hidden: str, args: tuple[str, ...], extra: str) -> None:
    (tmp_path / "x.tgz").write_bytes(b"")
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / f"{hidden}.py").write_text(f"raise ImportError('{hidden} is not installed')\n")
    result = run_cli(*args, cwd=tmp_path, env={"PYTHONPATH": str(shadow)})
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"leakguard: error: {_needs(args, extra)}: pip install 'leakguard[{extra}]'\n"


def _needs(args: tuple[str, ...], extra: str) -> str:
    return ("the dask engine needs the dask extra" if extra == "dask"
            else f"this command needs the {extra} extra")
