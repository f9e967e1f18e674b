"""Redaction hides secrets, not context: an internal endpoint shows its host, a configured codename
its name, a private key its type. ``--context`` shows the line around a finding, its value (and
every other value on it, and a URL's credentials) redacted: in plain members, inside a source map's
sourcesContent and inside nested archives alike."""

from __future__ import annotations

import json
from pathlib import Path

from leakguard.match.custom import codename_hash
from tests.conftest import run_cli
from tests.helpers.archives import npm_tarball, source_map, write, zip_bytes
from tests.helpers.projects import pem
from tests.helpers.tokens import github_token

TOKEN, OTHER = github_token(seed=31), github_token(seed=32)
LINE = f'const token = "{TOKEN}"; // deploy key for the CI mirror'


def test_internal_endpoint_shows_its_host_never_credentials_or_path(tmp_path: Path) -> None:
    (tmp_path / ".leakguard.toml").write_text('internal-domains = ["corp.example.com"]\n')
    (tmp_path / "app.js").write_text('fetch("https://ci:hunter2pass@build.corp.example.com/jobs/secret-path?x=1")\n')
    result = run_cli("scan", "--context", "app.js", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Host under internal domain corp.example.com: build.corp.example.com" in result.stdout
    assert 'context: fetch("https://…@build.corp.example.com/jobs/secret-path?x=1")' in result.stdout
    assert "hunter2pass" not in result.stdout


def test_codename_shows_the_configured_name_unless_configured_by_hash(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("ship capybara next week\n")
    named = run_cli("scan", "--codename", "capybara", "notes.txt", cwd=tmp_path)
    assert "Unreleased codename: capybara" in named.stdout
    (tmp_path / ".leakguard.toml").write_text(f'codenames-sha256 = ["{codename_hash("capybara")}"]\n')
    hashed = run_cli("scan", "--context", "notes.txt", cwd=tmp_path)
    assert hashed.returncode == 1 and "capybara" not in hashed.stdout, hashed.stdout
    assert "context: ship " in hashed.stdout and " next week" in hashed.stdout


def test_private_key_shows_its_type_not_its_body(tmp_path: Path) -> None:
    key = pem("EC PRIVATE KEY")
    (tmp_path / "id_ecdsa").write_text(key)
    result = run_cli("scan", "--format", "json", "id_ecdsa", cwd=tmp_path)
    secrets = [f["secret"] for f in json.loads(result.stdout)["findings"] if "secret" in f]
    assert secrets and all(s.startswith("-----BEGIN EC PRIVATE KEY-----…(") for s in secrets), secrets
    body = key.splitlines()[1]
    assert body[:20] not in result.stdout


def _nested(tmp_path: Path) -> Path:
    mapped = source_map([("../src/deploy.ts", f"// mirror\n{LINE}\nexport default token;\n")]).decode()
    inner = zip_bytes({"conf/ci.js": f'{LINE}\nconst other = "{OTHER}";\n'})
    files = {"index.js.map": mapped, "vendor/tools.zip": inner,
             "lib/two.js": f'const pair = ["{TOKEN}", "{OTHER}"];\n'}
    return write(tmp_path, "app-1.0.0.tgz", npm_tarball(files, name="app"))


def test_context_inside_source_maps_and_nested_archives(tmp_path: Path) -> None:
    _nested(tmp_path)
    result = run_cli("scan", "--context", "app-1.0.0.tgz", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert TOKEN not in result.stdout and OTHER not in result.stdout
    lines = result.stdout.splitlines()
    contexts = {lines[i - 2].split()[2]: line.strip() for i, line in enumerate(lines) if "context: " in line}
    want = 'context: const token = "ghp_…(40)"; // deploy key for the CI mirror'
    assert contexts["app-1.0.0.tgz!/package/index.js.map!/../src/deploy.ts:2:16"] == want, contexts
    assert contexts["app-1.0.0.tgz!/package/vendor/tools.zip!/conf/ci.js:1:16"] == want
    # Two values on one line: each finding's context shows the other redacted too.
    assert contexts["app-1.0.0.tgz!/package/lib/two.js:1:16"] == 'context: const pair = ["ghp_…(40)", "ghp_…(40)"];'
    plain = run_cli("scan", "app-1.0.0.tgz", cwd=tmp_path)
    assert "context: " not in plain.stdout


def test_context_in_json_and_with_show_secrets(tmp_path: Path) -> None:
    _nested(tmp_path)
    doc = json.loads(run_cli("scan", "--format", "json", "--context", "app-1.0.0.tgz", cwd=tmp_path).stdout)
    nested = next(f for f in doc["findings"] if f["location"]["path"].endswith("tools.zip!/conf/ci.js"))
    assert nested["context"] == 'const token = "ghp_…(40)"; // deploy key for the CI mirror'
    without = json.loads(run_cli("scan", "--format", "json", "app-1.0.0.tgz", cwd=tmp_path).stdout)
    assert all("context" not in f for f in without["findings"])
    # The keys a report had before stay as they were (the JSON report only grows).
    assert set(without["findings"][0]) >= {"rule", "category", "severity", "blocking", "message", "location",
                                           "fingerprint", "suppressed", "carried_over", "next_step"}
    shown = run_cli("scan", "--show-secrets", "--context", "app-1.0.0.tgz", cwd=tmp_path)
    assert f'context: const token = "{TOKEN}"; // deploy key for the CI mirror' in shown.stdout


def test_both_engines_give_the_same_report(tmp_path: Path) -> None:
    _nested(tmp_path)
    reports = []
    for engine in ("pyahocorasick", "auto"):
        result = run_cli("scan", "--format", "json", "--context", "app-1.0.0.tgz", cwd=tmp_path,
                         env={"LEAKGUARD_ENGINE": engine})
        doc = json.loads(result.stdout)
        doc["summary"].pop("seconds")
        reports.append(doc)
    assert reports[0] == reports[1]


def test_context_of_a_minified_line_is_a_window(tmp_path: Path) -> None:
    filler = "a=1;" * 50_000
    (tmp_path / "bundle.min.js").write_text(f'{filler}var t="{TOKEN}";{filler}\n')
    result = run_cli("scan", "--context", "bundle.min.js", cwd=tmp_path)
    [context] = [line.strip() for line in result.stdout.splitlines() if "context: " in line]
    assert context.startswith("context: …") and context.endswith("…") and 'var t="ghp_…(40)";' in context
    assert len(context) < 160 and TOKEN not in result.stdout
