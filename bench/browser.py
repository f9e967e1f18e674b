"""Headless Chromium for the HTML report: the README's screenshot (bench/screenshot.py) and the
browser tests (tests/helpers/browser.py) run it the same way."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL = "apt-get install -y chromium"
# As root in a container: no sandbox (it needs user namespaces), no /dev/shm (often 64 MB), no GPU;
# one device pixel per CSS pixel, so DOM coordinates are screenshot coordinates.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
         "--force-device-scale-factor=1")


def find() -> str | None:
    """The browser's executable, or None."""
    return next((found for found in map(shutil.which, NAMES) if found), None)


def run(browser: str, page: Path, *args: str, width: int, height: int) -> subprocess.CompletedProcess[str]:
    """Load ``page`` in a fresh profile with a window of ``width`` x ``height``, let its scripts run
    (virtual time, so a busy machine does not cut them short), then do what ``args`` ask."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        return subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
             "--virtual-time-budget=10000", *args, page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=True)


def with_script(page: str, script: str) -> str:
    """The report ``page`` with ``script`` run after its own (added to its Content-Security-Policy by
    hash): to play a reader on the page, a hover or a click."""
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    page = page.replace("script-src 'sha256-", f"script-src 'sha256-{digest}' 'sha256-", 1)
    return page.replace("</body>", f"<script>{script}</script></body>")
