"""bench/run.py's floor: the bytes it charges to the automaton are the ones leakguard must match."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ENGINES, ROOT


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_run", module)
    spec.loader.exec_module(module)
    return module


def _tgz(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize("engine", ENGINES)
def test_floor_matches_decoded_sources_and_every_other_member(tmp_path: Path, engine: str) -> None:
    bench = _bench()
    sources = ["const a = 1;\n", "export const é = \"\\u00e9\";\n"]
    source_map = json.dumps({"version": 3, "sources": ["a.ts", "b.ts"], "sourcesContent": sources,
                             "mappings": "AAAA" * 1000}).encode()
    bundle = b"console.log('x');\n" * 50
    artifact = tmp_path / "pkg.tgz"
    _tgz(artifact, {"package/index.js": bundle, "package/index.js.map": source_map})
    config = tmp_path / "bench.toml"
    config.write_text('codenames = ["capybara"]\n')
    _, _, matched = bench.floors(artifact, config, engine, bench.hide_fast_extra(tmp_path / "plain"))
    # The map counts as its decoded sources only (not its mappings); the bundle counts whole.
    assert matched == len(bundle) + sum(len(s.encode()) for s in sources)


def test_floor_inflates_nested_gzip_members_of_a_wheel(tmp_path: Path) -> None:
    bench = _bench()
    model = b'{"shapes": {"String": {"type": "string"}}}' * 100
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg/data/service-2.json.gz", gzip.compress(model))
        archive.writestr("pkg/__init__.py", "x = 1\n")
    config = tmp_path / "bench.toml"
    config.write_text("")
    _, _, matched = bench.floors(wheel, config, "pyahocorasick", bench.hide_fast_extra(tmp_path / "plain"))
    assert matched == len(model) + len(b"x = 1\n")
