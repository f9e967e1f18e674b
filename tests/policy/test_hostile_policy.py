"""Hostile input against the policy (issue 22): a member the archive holds twice, an allow comment
inside a one-line minified bundle, and one damaged artifact among several."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

from leakguard.app import scan
from leakguard.model import ExitCode
from leakguard.policy.config import Config
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, source_map, write
from tests.helpers.tokens import github_token

TOKEN = github_token(seed=41)


def _tar_twice(name: str, first: bytes, second: bytes) -> bytes:
    """A tgz holding the same member name twice (extractors install the second copy)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as archive:
        for data in (b'{"name": "twice", "version": "1.0.0"}', first, second):
            info = tarfile.TarInfo("package/package.json" if data.startswith(b'{"name"') else name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def test_an_allowed_copy_of_a_member_never_hides_the_other_copy(tmp_path: Path) -> None:
    allowed = f"const t = '{TOKEN}'; // leakguard:allow github.pat-classic test token\n".encode()
    plain = f"const t = '{TOKEN}';\n".encode()
    for first, second in ((allowed, plain), (plain, allowed)):
        pkg = write(tmp_path, "twice.tgz", _tar_twice("package/index.js", first, second))
        verdict = scan([str(pkg)], Config())
        assert sorted(f.rule_id for f in verdict.blocking) == ["github.pat-classic", "walk.duplicate-member"], (
            first, second)


def test_an_allow_comment_in_a_minified_line_reaches_only_its_neighbourhood(tmp_path: Path) -> None:
    far = "var a=1;" * 20_000
    near = f"var t='{TOKEN}'/* leakguard:allow github.pat-classic fixture for the docs */;"
    bundle = f"var t='{TOKEN}';{far}/* leakguard:allow github.pat-classic everything */{far}\n{near}\n"
    verdict = scan([str(write(tmp_path, "min.tgz", npm_tarball({"dist/app.min.js": bundle})))], Config())
    assert [(f.rule_id, f.span.line if f.span else 0) for f in verdict.blocking] == [("github.pat-classic", 1)]
    assert [(f.span.line if f.span else 0, f.suppression and f.suppression.reason) for f in verdict.suppressed] == [
        (2, "fixture for the docs")]


def test_one_damaged_artifact_stays_its_own_and_the_report_is_written(tmp_path: Path) -> None:
    good = write(tmp_path, "dist/good-1.0.0.tgz", npm_tarball({"a.js": f"t='{TOKEN}'\n"}, name="good"))
    damaged = source_map([("../src/a.ts", "export const a = 1;\n")])[:-15]  # a truncated map
    bad = write(tmp_path, "dist/bad-1.0.0.tgz", npm_tarball({"a.js.map": damaged}, name="bad"))
    result = run_cli("scan", "--format", "json", "-o", "report.json", str(good), str(bad), cwd=tmp_path)
    assert result.returncode == ExitCode.SCAN_ERROR
    report = json.loads((tmp_path / "report.json").read_text())
    assert [a["name"] for a in report["artifacts"]] == ["good", "bad"]
    assert [f["rule"] for f in report["findings"] if f["location"]["path"].startswith(str(good))] == [
        "github.pat-classic"]
    [error] = report["errors"]
    assert error["path"].endswith("bad-1.0.0.tgz!/package/a.js.map") and "source map cannot be read" in error["message"]


def test_allow_comments_are_looked_for_near_the_finding_on_a_long_line() -> None:
    """A minified line of thousands of findings is not read once per finding: a comment is looked
    for within inline.WINDOW bytes either way (well past the 256 bytes within which it counts)."""
    from leakguard.match import inline

    near = b"x" * 5000 + b"tok /* leakguard:allow jwt reviewed */" + b"y" * 5000
    [allow] = inline.directives(near, 5000, 5003)
    assert (allow.selector, allow.reason, allow.distance, allow.column) == ("jwt", "reviewed", 4, 5008)
    far = b"/* leakguard:allow jwt far away */" + b"x" * (inline.WINDOW + 10) + b"tok"
    assert inline.directives(far, len(far) - 3, len(far)) == ()
