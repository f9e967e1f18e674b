"""The pipeline gives the same facts and the same report however the work is spread: in one process,
or on forked workers with a large source map shared out in parts."""

from __future__ import annotations

import json
import random
from pathlib import Path

from leakguard.execute import Serial
from leakguard.execute.processes import Processes
from leakguard.match.detector import Detector
from leakguard.pipeline import SPLIT_BYTES, MapPart, Plan, Ready, scan_artifact
from leakguard.policy.config import Config
from leakguard.walk import walk
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, source_map, write, zip_bytes
from tests.helpers.tokens import github_token

CONFIG = Config(codenames=("capybara", "okapi"), internal_domains=("corp.example.net",))


def _release(tmp_path: Path) -> Path:
    """An npm release with a map large enough to be shared out, holding tokens, codenames in its
    entries' paths and text, third-party entries and escapes; and the classic leaks beside it."""
    rng = random.Random(5)
    filler = "".join(rng.choice("abcdefghij \n\"\\/") for _ in range(40_000))
    sources = [(f"../src/mod{i}.ts", f"// part {i}\nexport const v{i} = {json.dumps(filler)};\n") for i in range(140)]
    sources[17] = ("../src/capybara/secret.ts", f"const t = '{github_token(seed=1)}'; // okapi\n")
    sources[90] = ("../node_modules/lib/index.js", "module.exports = 1; // capybara\n")
    sources[120] = ("../src/api.ts", "fetch('https://build.corp.example.net/v1');\n")
    sources.append((None, "anonymous source, capybara inside\n"))
    big = source_map(sources, mappings="AAAA;" * 1000, ignoreList=[90])
    assert len(big) >= SPLIT_BYTES
    files = {
        "cli.js": f"const k = '{github_token(seed=2)}';\n//# sourceMappingURL=cli.js.map\n",
        "cli.js.map": big,
        "small.js.map": source_map([("../src/x.ts", "export const okapi = 1;\n")]),
        "other.js": "//# sourceMappingURL=missing.js.map\n",
        ".env": "API_TOKEN=9f8e7d6c5b4a39281706f5e4d3c2b1a0\n",
        "assets.zip": zip_bytes({"inner/capybara.txt": "capybara\n"}),
    }
    return write(tmp_path, "rel.tgz", npm_tarball(files, license="UNLICENSED"))


def test_the_large_map_is_shared_out_in_parts(tmp_path: Path) -> None:
    detector = Detector.build(CONFIG)
    plan = Plan(detector, split=True)
    tasks = list(plan.tasks(walk([str(_release(tmp_path))], CONFIG.limits)))
    parts = [t for t in tasks if isinstance(t, MapPart)]
    assert len(parts) > 1
    assert sum(len(p.literals) for p in parts) == 141
    assert sum(isinstance(t, Ready) for t in tasks) == 1  # the map's own file rules, skeleton and summary


def test_one_process_and_workers_give_the_same_facts(tmp_path: Path) -> None:
    path = str(_release(tmp_path))
    detector = Detector.build(CONFIG)
    alone = scan_artifact(path, CONFIG, detector=detector, executor=Serial(detector))
    with Processes(detector, 2) as workers:
        spread = scan_artifact(path, CONFIG, detector=detector, executor=workers)
    # The same findings; the order in which a map's parts and its skeleton arrive may differ.
    assert sorted(spread.findings, key=repr) == sorted(alone.findings, key=repr)
    assert (spread.problems, spread.unscanned, spread.end) == (alone.problems, alone.unscanned, alone.end)
    rules = {f.rule_id for f in alone.findings}
    assert {"github.pat-classic", "codename.capybara", "codename.okapi", "source-map.embedded-sources",
            "source-map.dangling-url", "endpoint.domain.corp-example-net"} <= rules
    [embedded] = [f for f in alone.findings if f.rule_id == "source-map.embedded-sources"
                  and f.origin.inner == "package/cli.js.map"]
    assert "embeds 140 first-party source files" in embedded.message  # all but the ignored one


def test_the_report_does_not_depend_on_jobs(tmp_path: Path) -> None:
    path = str(_release(tmp_path))
    (tmp_path / ".leakguard.toml").write_text('codenames = ["capybara", "okapi"]\n'
                                              'internal-domains = ["corp.example.net"]\n')
    reports = []
    for jobs in ("1", "2"):
        result = run_cli("scan", "--jobs", jobs, "--format", "json", path, cwd=tmp_path)
        assert result.returncode == 1, result.stderr
        report = json.loads(result.stdout)
        report.pop("summary")
        reports.append(report)
    assert reports[0] == reports[1]
    assert len(reports[0]["findings"]) > 10
