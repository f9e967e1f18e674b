"""Config validation is consistent: ``fail-on`` takes the same values in the config and on the
command line; a rule id, family or category that does not exist in ``disable``, ``severity`` or
``allow`` is a config error naming it, with a "did you mean"; an inline ``leakguard:allow`` needs a
reason like an ``allow`` entry, and without one it is itself a low finding and suppresses nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.helpers.tokens import github_token

TOKEN = github_token(seed=41)


@pytest.mark.parametrize("value", ["low", "medium", "high", "critical", "HIGH", "Medium", "info", "urgent"])
def test_fail_on_takes_the_same_values_in_config_and_cli(tmp_path: Path, value: str) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    by_cli = run_cli("scan", "--no-config", "--fail-on", value, "a.txt", cwd=tmp_path)
    (tmp_path / ".leakguard.toml").write_text(f'fail-on = "{value}"\n')
    by_config = run_cli("scan", "a.txt", cwd=tmp_path)
    assert (by_cli.returncode == 2) == (by_config.returncode == 2), (by_cli.stderr, by_config.stderr)
    assert (by_cli.returncode == 2) == (value.lower() not in ("low", "medium", "high", "critical"))
    if by_config.returncode == 0:
        assert f"at {value.lower()} or above" in by_config.stdout and f"at {value.lower()} or above" in by_cli.stdout
    else:
        assert "low, medium, high, critical" in by_config.stderr


@pytest.mark.parametrize(("config", "key", "name", "hint"), [
    ('disable = ["github.pat-clasic"]', "disable", "github.pat-clasic", "github.pat-classic"),
    ('[severity]\n"walk.limt" = "low"', "severity.walk.limt", "walk.limt", "walk.limit"),
    ('[severity]\ncredentail = "low"', "severity.credentail", "credentail", "credential"),
    ('[[allow]]\nrule = "file.dotenvv"\nreason = "ships on purpose"', "allow[0].rule", "file.dotenvv", "file.dotenv"),
])
def test_an_unknown_rule_in_the_config_is_named_with_a_suggestion(tmp_path: Path, config: str, key: str, name: str,
                                                                   hint: str) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / ".leakguard.toml").write_text(config + "\n")
    result = run_cli("scan", "a.txt", cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert f"{tmp_path / '.leakguard.toml'}: {key}: unknown rule id, family or category {name!r}; " \
           f"did you mean {hint!r}?" in result.stderr


def test_families_categories_and_config_made_ids_are_known(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello\n")
    (tmp_path / ".leakguard.toml").write_text(
        'disable = ["github", "policy.allow-unused", "endpoint.domain", "sensitive-file"]\n'
        'codenames = ["capybara"]\n[severity]\n"codename.capybara" = "low"\n"private-key" = "critical"\n'
        'walk = "high"\n[[allow]]\nrule = "endpoint.domain.corp-example-com"\nreason = "public docs host"\n')
    result = run_cli("scan", "a.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_inline_allow_needs_a_reason(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text(
        f'const t = "{TOKEN}"; // leakguard:allow github.pat-classic\n'
        f'const u = "{TOKEN[:-1]}x"; // leakguard:allow github.pat-classic fixture of the docs\n')
    result = run_cli("scan", "-v", "a.js", cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert any(line.split()[:3] == ["CRITICAL", "github.pat-classic", "a.js:1:12"] for line in lines), result.stdout
    low = next(i for i, line in enumerate(lines) if "policy.allow-without-reason" in line)
    assert lines[low].split()[:3] == ["LOW", "policy.allow-without-reason", "a.js:1:58"]
    assert "`leakguard:allow github.pat-classic` has no reason, so it does not suppress" in lines[low + 1]
    assert "FAIL: 1 blocking finding (fail-on high); 1 below the threshold" in result.stdout
    reasoned = f'const t = "{TOKEN}"; // leakguard:allow github.pat-classic fixture of the docs\n'
    (tmp_path / "a.js").write_text(reasoned)
    assert run_cli("scan", "a.js", cwd=tmp_path).returncode == 0
