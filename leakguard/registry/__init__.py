"""Registry specs: ``npm:NAME[@VERSION|@TAG]`` and ``pypi:NAME[==VERSION]``, as a small library.

Three steps, each usable on its own (a coordinator can look releases up and let worker processes
fetch the files):

- :func:`lookup` asks the registry which files a spec names, with their digests (npm's packument;
  a Python index's Simple API, PEP 691 JSON or PEP 503 HTML): a :class:`Release`, nothing fetched;
- :func:`fetch` downloads one :class:`RemoteFile` into the cache, keyed by its digest, and verifies
  it against the published digest before anyone reads it (``store``);
- :func:`download` does both for every file of a spec.

Every request goes through one :class:`Client` (``http``): a ``User-Agent`` naming leakguard and
its version, a ``before_request`` hook for rate limits, retries with ``Retry-After``, credentials
only to their own host. This package is the only part of leakguard that touches the network.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from leakguard.errors import ConfigError, UsageError
from leakguard.registry import npm, pipconf, pypi
from leakguard.registry.http import USER_AGENT, Client, host, is_web, public
from leakguard.registry.remote import Release, RemoteFile, only
from leakguard.registry.store import cache_dir, cached, fetch

NPM_REGISTRY = npm.NPM_REGISTRY
PYPI_INDEX = pypi.PYPI_INDEX

__all__ = [
    "NPM_REGISTRY",
    "PYPI_INDEX",
    "USER_AGENT",
    "Client",
    "Download",
    "Release",
    "RemoteFile",
    "cache_dir",
    "cached",
    "client_for",
    "download",
    "fetch",
    "index_url",
    "is_spec",
    "lookup",
    "only",
]


def is_spec(target: str) -> bool:
    """True for ``npm:...`` and ``pypi:...`` targets."""
    return target.startswith(("npm:", "pypi:"))


@dataclass(frozen=True, slots=True)
class Download:
    """A verified file of a release, in the cache."""

    file: RemoteFile
    path: Path

    @property
    def spec(self) -> str:
        """The spec the file was named by."""
        return self.file.spec

    @property
    def label(self) -> str:
        """What reports call it: the spec and the file name, ``pypi:requests==2.32.3
        (requests-2.32.3.tar.gz)``, never the cache path."""
        return f"{self.file.spec} ({self.file.filename})"


def client_for(registry: str = NPM_REGISTRY, *, timeout: float = 60,
           before_request: Callable[[str], None] | None = None,
           environ: Mapping[str, str] | None = None) -> Client:
    """A client that sends ``LEAKGUARD_REGISTRY_TOKEN`` (else ``NPM_TOKEN``) as a bearer token to
    the npm registry's host, and to no other host. A Python index's credentials go in its URL
    (``https://user:token@host/simple``), as pip takes them."""
    env = os.environ if environ is None else environ
    token = env.get("LEAKGUARD_REGISTRY_TOKEN") or env.get("NPM_TOKEN")
    credentials = ((host(registry), f"Bearer {token}"),) if token else ()
    return Client(timeout=timeout, credentials=credentials, before_request=before_request)


def index_url(explicit: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The Python index for ``pypi:`` specs: ``explicit`` (``--index-url``), else the index-url of
    the user's pip configuration (``pipconf``), else PyPI. An index that is not http(s) is an
    error naming where it was set."""
    if explicit is not None:
        if not is_web(explicit):
            raise UsageError(f"--index-url {_shown(explicit)}: expected an http(s) Simple API root, "
                             f"e.g. {PYPI_INDEX}")
        return explicit
    configured = pipconf.setting("index-url", environ)
    if configured is None:
        return PYPI_INDEX
    if not is_web(configured.value):
        raise ConfigError(f"{configured.where}: index-url {_shown(configured.value)}: leakguard reads http(s) "
                          "indexes only; pass --index-url with an http(s) Simple API root")
    return configured.value


def _shown(url: str) -> str:
    return public(url) if "@" in url else url


def lookup(spec: str, *, registry: str = NPM_REGISTRY, index: str = PYPI_INDEX,
           client: Client | None = None) -> Release:
    """The files ``spec`` names and their digests, nothing downloaded. ``UsageError`` for a bad
    spec or an unknown package or version; ``ScanError`` for network failures."""
    session = client if client is not None else Client()
    if spec.startswith("npm:"):
        return npm.lookup(spec, registry, session)
    if spec.startswith("pypi:"):
        return pypi.lookup(spec, index, session)
    raise UsageError(f"{spec}: not a registry spec (npm:NAME@VERSION or pypi:NAME==VERSION)")


def download(spec: str, *, registry: str = NPM_REGISTRY, index: str = PYPI_INDEX, cache: Path | None = None,
             client: Client | None = None, select: Sequence[str] = ()) -> list[Download]:
    """Look ``spec`` up and fetch every file it names (or those ``select`` picks: see ``only``)."""
    session = client if client is not None else Client()
    release = only(lookup(spec, registry=registry, index=index, client=session), select)
    folder = cache if cache is not None else cache_dir()
    return [Download(file, fetch(file, session, folder)) for file in release.files]
