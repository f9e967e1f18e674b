"""Build leakguard's own wheel and check that the rule data and py.typed ship inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from leakguard.ruleset import load_rules
from tests.conftest import ROOT


def test_wheel_ships_rules_and_loads_them_from_the_wheel(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
         str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    [wheel] = tmp_path.glob("leakguard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_rules = {n for n in names if n.startswith("leakguard/rules/") and n.endswith(".toml")}
    expected = {f"leakguard/rules/{p.relative_to(ROOT / 'rules').as_posix()}" for p in (ROOT / "rules").rglob("*.toml")}
    assert expected and shipped_rules == expected
    assert "leakguard/py.typed" in names
    assert {"leakguard/report/html.js", "leakguard/report/html.css"} <= names  # inlined into every HTML report
    # The rules load through importlib.resources from the wheel itself, not from the checkout.
    code = "import leakguard.ruleset as r, sys; print(len(r.load_rules())); print(r.__file__)"
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(wheel)}, cwd=tmp_path,
                         capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert int(out[0]) == len(load_rules())
    assert out[1].startswith(str(wheel))
    code = ("from leakguard.model import Verdict; from leakguard.report import html; "
            "page = html.render(Verdict((), (), ())); print('leakguard-data' in page, page.count('<script>'))")
    out = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": str(wheel)}, cwd=tmp_path,
                         capture_output=True, text=True, check=True, timeout=60).stdout.split()
    assert out == ["True", "1"]
