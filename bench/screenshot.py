"""The README's picture of the HTML report: claude-code 2.1.88 scanned against 2.1.87, in headless Chromium.

    python bench/screenshot.py [--out docs/html-report.png] [--width 1200] [--height 800] [ARTIFACTS-DIR]

Without a directory it fetches the pinned artifacts with ../shared/bench/fetch-artifacts.sh. The real
CLI runs in the artifacts' directory, so the page names the files rather than the cache path
(``--html FILE`` keeps the report). The screenshot shows the page with the pointer over the source
map, as a reader would first look at it: the page is copied with a small script that moves the
pointer there (``bench/browser.with_script``). Prints the report's and the screenshot's sizes.
Needs ``chromium`` (``apt-get install -y chromium``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402

# ../shared/ beside the checkout (a worktree may sit one level deeper).
FETCH = next((p / "shared" / "bench" / "fetch-artifacts.sh" for p in ROOT.parents
              if (p / "shared" / "bench" / "fetch-artifacts.sh").is_file()), ROOT.parent / "shared" / "bench")
NEW, OLD = "claude-code-2.1.88.tgz", "claude-code-2.1.87.tgz"
# Hover over the map's title bar, the way a reader would, so the tooltip shows its findings.
HOVER = """
const map = document.getElementById("map");
const el = Array.from(map.querySelectorAll(".r")).find((r) => r.dataset.path.endsWith("!/package/cli.js.map"));
const box = el.getBoundingClientRect();
el.dispatchEvent(new MouseEvent("mousemove", {bubbles: true, clientX: box.left + box.width * 0.45,
  clientY: box.top + 8}));
"""


def _artifacts(given: str | None) -> Path:
    if given:
        return Path(given)
    out = subprocess.run(["bash", str(FETCH)], check=True, capture_output=True, text=True).stdout
    return Path(out.strip().splitlines()[-1])


def main() -> int:
    """Scan, render, screenshot; print the sizes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("artifacts", nargs="?", help="directory holding the two claude-code tarballs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "html-report.png")
    parser.add_argument("--width", type=int, default=1200)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--html", type=Path, help="also keep the report here")
    args = parser.parse_args()
    chromium = browser.find()
    if chromium is None:
        sys.exit(f"bench/screenshot.py: chromium is not installed ({browser.INSTALL})")
    folder, out = _artifacts(args.artifacts), args.out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="html-screenshot-") as tmp:
        report = Path(tmp) / "report.html"
        scan = subprocess.run([sys.executable, "-m", "leakguard", "scan", NEW, "--against", OLD, "--no-config",
                               "-q", "--report", f"html:{report}"], cwd=folder, capture_output=True, text=True)
        if scan.returncode not in (0, 1) or not report.is_file():
            sys.exit(f"bench/screenshot.py: the scan failed (exit {scan.returncode}): {scan.stderr.strip()}")
        page = Path(tmp) / "page.html"
        page.write_text(browser.with_script(report.read_text(encoding="utf-8"), HOVER), encoding="utf-8")
        browser.run(chromium, page, f"--screenshot={out}", width=args.width, height=args.height)
        print(f"the report ({NEW} against {OLD}): {report.stat().st_size:,} bytes")
        if args.html:
            shutil.copyfile(report, args.html)
    print(f"{out}: {out.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
