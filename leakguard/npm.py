"""``leakguard npm [DIR]``: pack exactly what ``npm publish`` would publish, then scan that tarball.

``npm pack --json --pack-destination TMP`` runs the package's ``prepack``/``prepare`` scripts, as a
publish would, and writes the tarball npm would upload. Scanning that file (and publishing it with
``npm publish ./x.tgz``, which runs no lifecycle scripts) means the bytes scanned are the bytes
published.

Run as a lifecycle script (``"prepublishOnly": "leakguard npm"``), npm hands the outer command's
flags down in ``npm_config_*`` variables: under ``npm publish --dry-run`` the inner pack would be a
dry run too and write nothing. The pack is always real: those variables are dropped and
``--dry-run=false`` is passed (it also beats a ``dry-run`` in an ``.npmrc``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from leakguard.errors import ScanError, UsageError

# npm settings of an outer command that would change what the inner `npm pack` does or where it
# writes (npm spells them npm_config_dry_run, npm_config_workspaces, ... in the environment).
OUTER_FLAGS = frozenset({"dry_run", "pack_destination", "json", "workspace", "workspaces", "include_workspace_root"})


def pack(directory: Path, destination: Path, *, timeout: float = 600) -> Path:
    """Run ``npm pack`` in ``directory`` and return the tarball written into ``destination``."""
    if not (directory / "package.json").is_file():
        raise UsageError(f"{directory}: no package.json; `leakguard npm` runs in an npm package directory")
    npm = shutil.which("npm")
    if npm is None:
        raise UsageError("npm is not installed or not on PATH; install Node.js, or pack yourself and run "
                         "`leakguard scan x.tgz`")
    try:
        result = subprocess.run(
            [npm, "pack", "--json", "--dry-run=false", "--pack-destination", str(destination)],
            cwd=directory, capture_output=True, text=True, timeout=timeout, check=False, env=environment(os.environ),
        )
    except subprocess.TimeoutExpired:
        raise ScanError(f"{directory}: npm pack did not finish within {timeout:g}s") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ScanError(f"{directory}: npm pack failed (exit {result.returncode}): {last}")
    try:
        # npm may print lifecycle-script output before the JSON: take the JSON array at the end.
        start = result.stdout.index("[")
        info = json.loads(result.stdout[start:])
        filename = info[0]["filename"]
    except (ValueError, LookupError, TypeError):
        raise ScanError(f"{directory}: could not read npm pack --json output") from None
    # npm names scoped tarballs scope-name-1.0.0.tgz; older npm reported @scope/name-1.0.0.tgz
    tarball = destination / Path(str(filename).replace("@", "").replace("/", "-")).name
    if not tarball.is_file():
        candidates = sorted(destination.glob("*.tgz"))
        if len(candidates) != 1:
            raise ScanError(f"{directory}: npm pack reported {filename} but it is not in {destination}")
        tarball = candidates[0]
    return tarball


def environment(outer: Mapping[str, str]) -> dict[str, str]:
    """``outer`` without the npm settings that would turn the inner pack into something else."""
    return {key: value for key, value in outer.items()
            if not (key.lower().startswith("npm_config_") and key[len("npm_config_"):].lower() in OUTER_FLAGS)}
