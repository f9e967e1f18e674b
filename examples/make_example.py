"""Rebuild examples/leaky-widget-1.0.0.tgz: a small npm tarball with the March 2026 mistake.

Its dist/index.js.map embeds the package's private TypeScript sources in sourcesContent, and
dist/index.js does not even link to the map. Run: python examples/make_example.py
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

SOURCES = {
    "../src/index.ts": 'import { connect } from "./client";\nexport const main = () => connect("prod");\n',
    "../src/client.ts": (
        "// Internal API client. Not for publication.\n"
        'export function connect(env: string) {\n  return fetch(`https://api.${env}.widget.internal/v2`);\n}\n'
    ),
    "../src/flags.ts": 'export const FLAGS = { newBilling: false, codename: "otter" };\n',
    "../node_modules/tslib/tslib.es6.js": "export function __awaiter() {}\n",
}


def build() -> bytes:
    source_map = {
        "version": 3,
        "file": "index.js",
        "sources": list(SOURCES),
        "sourcesContent": list(SOURCES.values()),
        "names": [],
        "mappings": "AAAA,OAAS,OAAO",
    }
    manifest = {"name": "leaky-widget", "version": "1.0.0", "license": "UNLICENSED", "main": "dist/index.js"}
    members = {
        "package/package.json": json.dumps(manifest, indent=2) + "\n",
        "package/README.md": "# leaky-widget\n",
        "package/dist/index.js": 'export const main=()=>fetch("https://api.prod.widget.internal/v2");\n',
        "package/dist/index.js.map": json.dumps(source_map, indent=2) + "\n",
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 499162500, 0o644
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0)


if __name__ == "__main__":
    out = Path(__file__).with_name("leaky-widget-1.0.0.tgz")
    out.write_bytes(build())
    print(out)
