"""Allow entries, inline allows, baselines: every suppression is explicit and still reported."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from leakguard.app import scan
from leakguard.errors import ConfigError
from leakguard.model import ExitCode, Severity
from leakguard.policy import baseline as baselines
from leakguard.policy.config import Config, load_config
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, write
from tests.helpers.tokens import github_token

TOKEN_A = github_token(seed=51)
TOKEN_B = github_token(seed=52)


def _pkg(tmp_path: Path, files: dict[str, str], version: str = "1.0.0") -> Path:
    return write(tmp_path, f"app-{version}.tgz", npm_tarball(files, name="app", version=version))


def _config(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / ".leakguard.toml"
    path.write_text(text)
    return load_config(path)


def test_allow_entry_suppresses_and_reports(tmp_path: Path) -> None:
    pkg = _pkg(tmp_path, {"test/fixture.js": f"t='{TOKEN_A}'\n", "lib/x.js": f"t='{TOKEN_B}'\n"})
    config = _config(tmp_path, '[[allow]]\nrule = "github"\npath = "package/test/**"\nreason = "revoked fixture"\n')
    verdict = scan([str(pkg)], config)
    assert [(f.rule_id, f.origin.inner) for f in verdict.blocking] == [("github.pat-classic", "package/lib/x.js")]
    assert [(f.origin.inner, f.suppression.kind, f.suppression.reason) for f in verdict.suppressed
            if f.suppression] == [("package/test/fixture.js", "allow", "revoked fixture")]


def test_allow_by_fingerprint_only_covers_that_secret(tmp_path: Path) -> None:
    pkg = _pkg(tmp_path, {"a.js": f"t='{TOKEN_A}'\n", "b.js": f"t='{TOKEN_B}'\n"})
    first = scan([str(pkg)], load_config(start=tmp_path))
    fingerprint = next(f.fingerprint for f in first.blocking if f.origin.inner == "package/a.js")
    config = _config(tmp_path, f'[[allow]]\nfingerprint = "{fingerprint}"\nreason = "accepted"\n')
    verdict = scan([str(pkg)], config)
    assert [f.origin.inner for f in verdict.blocking] == ["package/b.js"]
    assert [f.origin.inner for f in verdict.suppressed] == ["package/a.js"]


def test_expired_allow_is_a_blocking_finding_and_no_longer_applies(tmp_path: Path) -> None:
    pkg = _pkg(tmp_path, {"a.js": f"t='{TOKEN_A}'\n"})
    config = _config(tmp_path, '[[allow]]\nrule = "github.pat-classic"\nreason = "temp"\nexpires = 2020-01-31\n')
    verdict = scan([str(pkg)], config)
    assert {f.rule_id for f in verdict.blocking} == {"github.pat-classic", "policy.allow-expired"}
    expired = next(f for f in verdict.blocking if f.rule_id == "policy.allow-expired")
    assert "expired on 2020-01-31" in expired.message


def test_unused_allow_is_reported_and_strict_makes_it_block(tmp_path: Path) -> None:
    pkg = _pkg(tmp_path, {"a.js": "x\n"})
    config = _config(tmp_path, '[[allow]]\nrule = "stripe"\nreason = "legacy"\n')
    relaxed = scan([str(pkg)], config)
    assert relaxed.exit_code is ExitCode.PASS
    assert [(f.rule_id, f.severity) for f in relaxed.reported] == [("policy.allow-unused", Severity.LOW)]
    strict = scan([str(pkg)], config, strict_allows=True)
    assert [f.rule_id for f in strict.blocking] == ["policy.allow-unused"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('rule = "jwt"', "allow[0].reason: a reason is required"),
        ('reason = "x"', "allow[0]: name at least one of rule, path or fingerprint"),
        ('rule = "jwt"\nreason = "x"\nexpires = "soon"', "allow[0].expires: expected a date"),
        ('rule = "jwt"\nreason = "x"\nowner = "me"', "allow[0].owner: unknown key"),
    ],
)
def test_bad_allow_entries(tmp_path: Path, entry: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("[", r"\[").replace("]", r"\]")):
        _config(tmp_path, f"[[allow]]\n{entry}\n")


def test_walker_findings_are_silenced_the_documented_ways_with_a_reason(tmp_path: Path) -> None:
    """Like every other finding (issue 23): an allow entry with its reason, disable, a severity."""
    from tests.helpers.archives import Special, tar_bytes

    data = tar_bytes({"package/package.json": "{}", "package/evil": Special("symlink", "/etc/passwd")})
    pkg = write(tmp_path, "p.tgz", data)
    assert [f.rule_id for f in scan([str(pkg)], Config()).blocking] == ["walk.link-escapes"]
    allowed = scan([str(pkg)], _config(tmp_path, '[[allow]]\nrule = "walk.link-escapes"\n'
                                                 'reason = "the link is a documented test fixture"\n'))
    assert allowed.blocking == ()
    assert [(f.rule_id, f.suppression and f.suppression.reason) for f in allowed.suppressed] == [
        ("walk.link-escapes", "the link is a documented test fixture")]
    assert scan([str(pkg)], _config(tmp_path, 'disable = ["walk.link-escapes"]\n')).blocking == ()
    lowered = scan([str(pkg)], _config(tmp_path, 'severity = { "walk.link-escapes" = "low" }\n'))
    assert [(f.rule_id, f.severity.label) for f in lowered.reported] == [("walk.link-escapes", "low")]


def test_inline_allow_on_the_same_line(tmp_path: Path) -> None:
    files = {
        "a.js": f"const t = '{TOKEN_A}'; // leakguard:allow github.pat-classic revoked in 2025\n",
        "b.js": f"// leakguard:allow github.pat-classic wrong line\nconst t = '{TOKEN_B}';\n",
        "c.py": f"T = '{TOKEN_B}'  # leakguard:allow stripe not this rule\n",
    }
    verdict = scan([str(_pkg(tmp_path, files))], load_config(start=tmp_path))
    assert sorted(f.origin.inner for f in verdict.blocking) == ["package/b.js", "package/c.py"]
    [suppressed] = verdict.suppressed
    assert (suppressed.origin.inner, suppressed.suppression and suppressed.suppression.kind,
            suppressed.suppression and suppressed.suppression.reason) == ("package/a.js", "inline", "revoked in 2025")


def test_baseline_survives_version_bump_and_line_moves_but_not_a_new_secret(tmp_path: Path) -> None:
    old = _pkg(tmp_path, {"a.js": f"t='{TOKEN_A}'\n"}, version="1.0.0")
    entries = baselines.create(scan([str(old)], load_config(start=tmp_path)).blocking)
    base = baselines.Baseline(tuple(entries))
    new = _pkg(tmp_path, {"a.js": f"// moved\n\n\nt='{TOKEN_A}'\nu='{TOKEN_B}'\n"}, version="1.1.0")
    verdict = scan([str(new)], load_config(start=tmp_path), baseline=base)
    assert [(f.span.line if f.span else 0) for f in verdict.blocking] == [5]
    assert [(f.span.line if f.span else 0, f.suppression and f.suppression.kind) for f in verdict.suppressed] == [
        (4, "baseline")]


def test_baseline_file_holds_no_secret_and_is_stable(tmp_path: Path) -> None:
    pkg = _pkg(tmp_path, {"a.js": f"t='{TOKEN_A}'\n"})
    findings = scan([str(pkg)], load_config(start=tmp_path)).blocking
    text = baselines.render(baselines.create(findings))
    assert TOKEN_A not in text and TOKEN_A[4:20] not in text
    assert text == baselines.render(baselines.create(reversed(findings)))
    doc = json.loads(text)
    assert doc["version"] == 1 and doc["entries"][0]["path"] == "npm:app!/package/a.js"


@pytest.mark.parametrize("content", ["not json", '{"version": 2, "entries": []}', '{"version": 1, "entries": [{}]}'])
def test_bad_baseline_is_a_usage_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=r"b\.json"):
        baselines.load(path)


def test_adopt_in_three_commands_then_fail_only_on_what_is_new(tmp_path: Path) -> None:
    noisy = _pkg(tmp_path, {"cli.js": f"t='{TOKEN_A}'\n", "test/x.js": "const jwt='x'\n"}, version="1.0.0")
    init = run_cli("init", cwd=tmp_path)
    assert init.returncode == 0 and (tmp_path / ".leakguard.toml").exists(), init.stderr
    create = run_cli("baseline", "create", "--output", "lg-baseline.json", str(noisy), cwd=tmp_path)
    assert create.returncode == 0, create.stderr
    passing = run_cli("scan", "--baseline", "lg-baseline.json", "--format", "json", str(noisy), cwd=tmp_path)
    assert passing.returncode == 0, passing.stdout
    baselined = {(f["rule"], f["suppressed"]["kind"]) for f in json.loads(passing.stdout)["findings"]}
    assert baselined == {("github.pat-classic", "baseline"), ("source.tests", "baseline")}
    nxt = _pkg(tmp_path, {"cli.js": f"\nt='{TOKEN_A}'\nu='{TOKEN_B}'\n"}, version="1.1.0")
    failing = run_cli("scan", "--baseline", "lg-baseline.json", str(nxt), cwd=tmp_path)
    assert failing.returncode == 1
    assert "FAIL: 1 blocking finding" in failing.stdout and ":3:" in failing.stdout
    # update adds, prune removes
    run_cli("baseline", "update", "lg-baseline.json", str(nxt), cwd=tmp_path)
    assert len(json.loads((tmp_path / "lg-baseline.json").read_text())["entries"]) == 3  # + the new token
    clean = _pkg(tmp_path, {"cli.js": "ok\n"}, version="1.2.0")
    run_cli("baseline", "prune", "lg-baseline.json", str(clean), cwd=tmp_path)
    assert json.loads((tmp_path / "lg-baseline.json").read_text())["entries"] == []


def test_init_never_clobbers(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert run_cli("init", cwd=tmp_path).returncode == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "x"\n') and "[tool.leakguard]" in text
    assert load_config(start=tmp_path).source == tmp_path / "pyproject.toml"
    again = run_cli("init", cwd=tmp_path)
    assert again.returncode == 2 and "already has a [tool.leakguard] section" in again.stderr
    assert (tmp_path / "pyproject.toml").read_text() == text


def test_expiry_compares_dates(tmp_path: Path) -> None:
    from leakguard.policy.allowlist import Allowlist, parse_entries

    [entry] = parse_entries([{"rule": "jwt", "reason": "x", "expires": "2027-01-31"}], "c")
    assert list(Allowlist([entry], today=dt.date(2027, 1, 31))._active()) == [entry]
    assert list(Allowlist([entry], today=dt.date(2027, 2, 1))._active()) == []
