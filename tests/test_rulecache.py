"""The parsed-rules cache: a shortcut that is never stale, never required and never trusted blindly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import resources
from pathlib import Path

import pytest

from leakguard import rulecache, ruleset
from leakguard.match import filerules

RULE = '[[rules]]\nid = "x.one"\ntitle = "One"\nwindow = {window}\n'


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.toml").write_text(RULE.format(window=64))
    (folder / "sub" / "b.toml").write_text('[[rules]]\nid = "x.two"\nmin-entropy = 3.5\n')
    return folder


def _no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> object:
        raise AssertionError("parsed although the cache holds this file")

    monkeypatch.setattr(tomllib, "loads", refuse)


def test_a_second_load_comes_from_the_cache_and_equals_the_parse(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    names = ["a.toml", "sub/b.toml"]
    expected = [tomllib.loads((folder / n).read_text()) for n in names]
    assert rulecache.load(folder, names, write=True) == expected
    assert len(list((folder / "__pycache__").glob("leakguard-rules-*.json"))) == 1
    _no_parsing(monkeypatch)
    assert rulecache.load(folder, names, write=True) == expected


def test_an_edited_file_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    rulecache.load(folder, ["a.toml", "sub/b.toml"], write=True)
    (folder / "a.toml").write_text(RULE.format(window=99))  # same size: only the digest tells
    docs = rulecache.load(folder, ["a.toml", "sub/b.toml"], write=True)
    assert docs[0]["rules"][0]["window"] == 99
    _no_parsing(monkeypatch)  # and the cache now holds the edit
    assert rulecache.load(folder, ["a.toml", "sub/b.toml"], write=True)[0]["rules"][0]["window"] == 99


@pytest.mark.parametrize("damage", [b"{not json", b"[]", b'{"format": 1, "files": {"a.toml": ["x", 5]}}',
                                    b'{"format": 99, "files": {}}', b"\xff\xfe", b"[" * 100_000])
def test_a_damaged_cache_is_ignored_and_replaced(tmp_path: Path, damage: bytes) -> None:
    folder = _folder(tmp_path)
    rulecache.load(folder, ["a.toml"], write=True)
    (cache,) = (folder / "__pycache__").glob("leakguard-rules-*.json")
    cache.write_bytes(damage)
    assert rulecache.load(folder, ["a.toml"], write=True) == [tomllib.loads((folder / "a.toml").read_text())]
    assert json.loads(cache.read_text())["format"] == rulecache.FORMAT


def test_a_tampered_entry_for_other_content_is_not_used(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    rulecache.load(folder, ["a.toml"], write=True)
    (cache,) = (folder / "__pycache__").glob("leakguard-rules-*.json")
    doc = json.loads(cache.read_text())
    doc["files"]["a.toml"][1] = {"rules": []}  # what a stale or forged entry would say
    doc["files"]["a.toml"][0] = "0" * 64
    cache.write_text(json.dumps(doc))
    assert rulecache.load(folder, ["a.toml"], write=False)[0]["rules"][0]["id"] == "x.one"


def test_nothing_written_without_bytecode_writing_or_a_writable_folder(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    assert rulecache.load(folder, ["a.toml"])[0]["rules"][0]["id"] == "x.one"
    assert not (folder / "__pycache__").exists()
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    (folder / "__pycache__").write_text("a file where the folder would be")
    assert rulecache.load(folder, ["a.toml"])[0]["rules"][0]["id"] == "x.one"  # no error either


def test_values_json_cannot_hold_are_parsed_every_time(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "d.toml").write_text("when = 2026-03-31\nlimit = inf\n")
    assert rulecache.load(folder, ["d.toml"], write=True) == [tomllib.loads((folder / "d.toml").read_text())]
    assert not list((folder / "__pycache__").glob("*.json"))


def test_rules_inside_a_zip_load_without_a_cache(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    archive = tmp_path / "rules.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(folder / "a.toml", "rules/a.toml")
    inside = zipfile.Path(archive, "rules/")
    assert rulecache.load(inside, ["a.toml"], write=True)[0]["rules"][0]["id"] == "x.one"


def test_packaged_rules_through_the_cache_are_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A copy of the packaged rules, so the test writes its cache beside the copy, not the install.
    copy = tmp_path / "rules"
    shutil.copytree(Path(str(resources.files("leakguard.rules"))), copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(rulecache, "packaged", lambda: copy)
    monkeypatch.setattr("sys.dont_write_bytecode", False)
    ruleset._packaged.cache_clear()
    filerules.load_file_rules.cache_clear()
    try:
        parsed = (ruleset._packaged(True), filerules.load_file_rules())
        assert len(list((copy / "__pycache__").glob("leakguard-rules-*.json"))) == 2
        ruleset._packaged.cache_clear()
        filerules.load_file_rules.cache_clear()
        _no_parsing(monkeypatch)
        cached = (ruleset._packaged(True), filerules.load_file_rules())
    finally:
        ruleset._packaged.cache_clear()
        filerules.load_file_rules.cache_clear()
    assert [r.id for r in cached[0]] == [r.id for r in parsed[0]] and len(parsed[0]) > 150
    assert [(r.id, r.keywords, r.pattern.pattern, r.window, r.examples) for r in cached[0]] == [
        (r.id, r.keywords, r.pattern.pattern, r.window, r.examples) for r in parsed[0]]
    assert [(r.id, r.patterns, r.kinds) for r in cached[1]] == [(r.id, r.patterns, r.kinds) for r in parsed[1]]


def test_the_packaged_folder_is_found_without_importlib_resources() -> None:
    """In an install on disk the rules' folder is the package's directory, found without
    importing importlib.resources (and tempfile and random with it) at the start of every scan."""
    assert rulecache.packaged() == Path(str(resources.files("leakguard.rules")))
    assert isinstance(rulecache.packaged(), Path)
    code = ("import sys, leakguard.cli, leakguard.app; from leakguard.ruleset import load_rules; "
            "from leakguard.match.filerules import load_file_rules; load_rules(); load_file_rules(); "
            "print(sorted(m for m in ('importlib.resources', 'tempfile', 'random') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


# Run in a child: sys.path starts with the checkout (as `python -m leakguard` at its top does),
# and no installed copy can answer for leakguard.rules (an editable install's finder would).
_IN_CHECKOUT = """
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in str(getattr(f, "__module__", "")).lower()]
sys.path.insert(0, sys.argv[1])
from leakguard import cli
assert cli.__file__.startswith(sys.argv[1]), cli.__file__
sys.argv = ["leakguard", *sys.argv[2:]]
cli.main()
"""


@pytest.mark.parametrize("with_rules", [True, False])
def test_a_source_checkout_run_in_place_finds_its_rules_folder(tmp_path: Path, with_rules: bool) -> None:
    """In a checkout the rules are rules/ beside leakguard/ (the build maps them into the
    package): run there, leakguard reads them instead of failing as a bug. Without them, one
    clear line and exit 3."""
    top = Path(__file__).resolve().parent.parent
    shutil.copytree(top / "leakguard", tmp_path / "leakguard", ignore=shutil.ignore_patterns("__pycache__"))
    if with_rules:
        shutil.copytree(top / "rules", tmp_path / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    example = top / "examples" / "leaky-widget-1.0.0.tgz"
    run = subprocess.run([sys.executable, "-c", _IN_CHECKOUT, str(tmp_path), "scan", str(example)],
                         capture_output=True, text=True, check=False)
    if with_rules:
        assert run.returncode == 1, run.stderr
        assert "source-map.embedded-sources" in run.stdout
    else:
        assert run.returncode == 3
        assert run.stderr.strip().splitlines() == [
            "leakguard: error: the packaged rules (leakguard.rules) are missing; reinstall leakguard"]
