"""bench/run.py's floor: the bytes it charges to the automaton are the ones leakguard must match."""

from __future__ import annotations

import gzip
import importlib.util
import io
import json
import os
import subprocess
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


TOKEN = "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"  # rules/credentials/github.toml's example


@pytest.mark.parametrize("engine", ENGINES)
def test_ceiling_runs_the_whole_pipeline_with_the_detectors_cut(tmp_path: Path, engine: str) -> None:
    bench = _bench()
    # A map large enough to be shared out between the workers in parts, a token in one of its
    # sources and one in the bundle.
    filler = "export const value = 1;\n" * 2000
    sources = [filler] * 100 + [f'const token = "{TOKEN}";\n']
    source_map = json.dumps({"version": 3, "sources": [f"src/m{i}.ts" for i in range(len(sources))],
                             "sourcesContent": sources, "mappings": "AAAA"}).encode()
    assert len(source_map) >= 4 * 1024 * 1024
    artifact = tmp_path / "pkg.tgz"
    _tgz(artifact, {"package/package.json": b'{"name": "pkg", "version": "1.0.0"}',
                    "package/index.js": f'const t = "{TOKEN}";\n'.encode(),
                    "package/index.js.map": source_map})
    config = tmp_path / "bench.toml"
    config.write_text('codenames = ["capybara"]\n')
    plain = bench.hide_fast_extra(tmp_path / "plain")

    def findings(ceiling: bool) -> set[tuple[str, str]]:
        cmd = bench.leakguard(artifact, config, engine, plain, ceiling=ceiling)
        report = tmp_path / f"report-{ceiling}.json"
        cmd[cmd.index(os.devnull)] = str(report)
        cmd[-1:-1] = ["--jobs", "2"]  # workers, as for a real artifact (this one compresses too well to get them)
        done = subprocess.run(cmd, env=bench.ENV, capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        found = json.loads(report.read_text())["findings"]
        return {(f["category"], f["location"]["path"].removeprefix(f"{artifact}!/")) for f in found}

    full = findings(ceiling=False)
    cut = findings(ceiling=True)
    # The real scan finds both tokens; the cut one none, yet it walked, split and summarised the
    # map: its embedded first-party sources still fail the release.
    assert sorted(p for c, p in full if c == "credential") == ["package/index.js", "package/index.js.map!/src/m100.ts"]
    assert ("source-map", "package/index.js.map") in full
    assert "credential" not in {c for c, _ in cut}
    assert ("source-map", "package/index.js.map") in cut


def test_a_missed_target_says_whether_the_engine_or_the_pipeline_puts_it_out_of_reach() -> None:
    verdict = _bench()._verdict
    assert verdict(1.4, 0.3, 1.5, 1.46) == "met"
    assert "out of reach with this engine" in verdict(5.0, 3.1, 3.0, 4.8)  # the floor alone misses it
    assert "out of reach in this pipeline" in verdict(3.0, 1.5, 2.2, 2.6)  # faster detectors cannot meet it
    missed = verdict(1.7, 0.3, 1.5, 1.46)  # within reach of the pipeline, not of today's detectors
    assert "out of reach" not in missed and "1.46x" in missed
