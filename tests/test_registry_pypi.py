"""pypi: specs through the Simple API (PEP 691 JSON, PEP 503 HTML) of a loopback index."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from leakguard import registry
from leakguard.errors import ScanError, UsageError
from leakguard.registry import Client, filenames
from leakguard.registry.remote import Release, RemoteFile, only
from tests.helpers.archives import sdist, wheel
from tests.helpers.registry_server import SIMPLE_JSON, serve

WHL = wheel({"demo/__init__.py": ""}, name="demo", version="1.0")
SDIST = sdist({"demo/__init__.py": ""}, name="demo", version="1.0")
FILES = {"demo-1.0-py3-none-any.whl": WHL, "demo-1.0.tar.gz": SDIST}


def _get(spec: str, index: str, cache: Path, **options: object) -> list[registry.Download]:
    return registry.download(spec, index=index, cache=cache, client=Client(retries=0), **options)  # type: ignore[arg-type]


def _seen(downloads: list[registry.Download]) -> list[tuple[str, str, bytes]]:
    return sorted((d.file.filename, d.file.version, d.path.read_bytes()) for d in downloads)


@pytest.mark.parametrize("json_api", [True, False], ids=["pep691-json", "pep503-html"])
def test_relative_urls_resolved_against_the_page(tmp_path: Path, json_api: bool) -> None:
    with serve() as index:
        index.simple_project("Demo", FILES, json_api=json_api)
        got = _get("pypi:Demo==1.0", index.base + "/simple", tmp_path)
        latest = _get("pypi:demo", index.base + "/simple/", tmp_path)
    assert _seen(got) == sorted([("demo-1.0-py3-none-any.whl", "1.0", WHL), ("demo-1.0.tar.gz", "1.0", SDIST)])
    assert [d.path for d in latest] == [d.path for d in got]
    # One page request (normalised name, PEP 691 asked for first), then the files.
    assert index.requests[0] == "/simple/demo/"
    assert index.accepts[0] is not None and index.accepts[0].startswith(SIMPLE_JSON)
    assert sorted(r.rsplit("/", 1)[-1] for r in index.requests if r.startswith("/packages/")) == sorted(FILES)


def test_the_old_form_of_index_url_means_its_simple_root(tmp_path: Path) -> None:
    with serve() as index:
        index.simple_project("demo", FILES)
        assert len(_get("pypi:demo==1.0", index.base, tmp_path)) == 2
    assert index.requests[0] == "/simple/demo/"


def test_a_redirected_page_resolves_against_where_it_landed(tmp_path: Path) -> None:
    with serve() as index:
        page = index.simple_project("demo", FILES, root="/real/index")  # links are ../../../packages/...
        index.redirects["/mirror/demo/"] = page
        assert len(_get("pypi:demo==1.0", index.base + "/mirror/", tmp_path)) == 2


def test_html_base_href_moves_the_base(tmp_path: Path) -> None:
    with serve() as index:
        page = index.simple_project("demo", FILES, json_api=False, root="/deep/er/simple")
        body = index.pages[page]["html"]
        assert body is not None
        # Links written relative to the host root, with a <base> saying so.
        index.pages[page]["html"] = body.replace(b"../../../../packages/", b"packages/").replace(
            b"<head>", f'<head><base href="{index.base}/">'.encode())
        assert len(_get("pypi:demo==1.0", index.base + "/deep/er/simple", tmp_path)) == 2


@pytest.mark.parametrize("json_api", [True, False], ids=["pep691-json", "pep503-html"])
def test_latest_skips_yanked_and_prereleases_and_a_pinned_version_takes_yanked(json_api: bool) -> None:
    files = {f"demo-{v}.tar.gz": sdist({"demo/__init__.py": v}, name="demo", version=v)
             for v in ("0.9", "1.0", "1.1", "2.0rc1")}
    with serve() as index:
        index.simple_project("demo", files, yanked={"demo-1.1.tar.gz": "broken build"}, json_api=json_api)
        root = index.base + "/simple"
        session = Client(retries=0)
        latest = registry.lookup("pypi:demo", index=root, client=session)
        pinned = registry.lookup("pypi:demo==1.1", index=root, client=session)
        padded = registry.lookup("pypi:demo==1.0.0", index=root, client=session)
        pre = registry.lookup("pypi:demo==2.0RC1", index=root, client=session)
        with pytest.raises(UsageError, match=r"pypi:demo==3\.0: no version 3\.0 of demo"):
            registry.lookup("pypi:demo==3.0", index=root, client=session)
    assert (latest.version, [f.filename for f in latest.files]) == ("1.0", ["demo-1.0.tar.gz"])
    assert [(f.filename, f.yanked) for f in pinned.files] == [("demo-1.1.tar.gz", "broken build")]
    assert padded.version == "1.0" and pre.version == "2.0rc1"


@pytest.mark.parametrize("json_api", [True, False], ids=["pep691-json", "pep503-html"])
def test_only_prereleases_or_only_yanked(json_api: bool) -> None:
    with serve() as index:
        index.simple_project("pre", {"pre-1.0b1.tar.gz": SDIST}, json_api=json_api)
        index.simple_project("gone", {"gone-1.0.tar.gz": SDIST}, yanked={"gone-1.0.tar.gz": ""}, json_api=json_api)
        assert registry.lookup("pypi:pre", index=index.base + "/simple", client=Client()).version == "1.0b1"
        with pytest.raises(UsageError, match="no release that is not yanked; name one with ==VERSION"):
            registry.lookup("pypi:gone", index=index.base + "/simple", client=Client())
        assert registry.lookup("pypi:gone==1.0", index=index.base + "/simple", client=Client()).files[0].yanked == ""


def test_a_newer_major_version_of_the_json_api_is_refused() -> None:
    with serve() as index:
        page = index.simple_project("demo", FILES)
        body = index.pages[page]["json"]
        assert body is not None
        index.pages[page]["json"] = body.replace(b'"api-version": "1.1"', b'"api-version": "2.0"')
        with pytest.raises(ScanError, match=r"pypi:demo: the index speaks Simple API 2\.0; leakguard reads 1\.x"):
            registry.lookup("pypi:demo", index=index.base + "/simple", client=Client())


def test_a_file_url_that_is_not_http_is_refused(tmp_path: Path) -> None:
    with serve() as index:
        page = index.simple_project("demo", {"demo-1.0.tar.gz": SDIST}, json_api=False)
        body = index.pages[page]["html"]
        assert body is not None
        index.pages[page]["html"] = body.replace(b'href="../../packages', b'href="file:///etc/passwd?')
        with pytest.raises(ScanError, match=r"pypi:demo==1\.0: refusing non-http\(s\) URL from the registry \(file:\)"):
            _get("pypi:demo==1.0", index.base + "/simple", tmp_path)


def test_digests_missing_or_wrong(tmp_path: Path) -> None:
    with serve() as index:
        page = index.simple_project("demo", {"demo-1.0.tar.gz": SDIST, "demo-0.9.tar.gz": b"old"}, json_api=False,
                                    corrupt=("demo-1.0.tar.gz",))
        body = index.pages[page]["html"]
        assert body is not None
        old = hashlib.sha256(b"old").hexdigest()
        index.pages[page]["html"] = body.replace(f"#sha256={old}".encode(), b"#md5=0123")
        with pytest.raises(ScanError, match=r"demo-1\.0\.tar\.gz: sha256 integrity mismatch"):
            _get("pypi:demo==1.0", index.base + "/simple", tmp_path)
        # A weak or missing digest matters only for the files asked for.
        with pytest.raises(ScanError, match=r"demo-0\.9\.tar\.gz: the index publishes no sha256 \(or stronger\)"):
            _get("pypi:demo==0.9", index.base + "/simple", tmp_path)
    assert list(tmp_path.rglob("*.tar.gz")) == []


def test_credentials_in_the_index_url_go_to_its_host_only(tmp_path: Path) -> None:
    with serve() as index, serve() as cdn:
        index.simple_project("demo", {"demo-1.0.tar.gz": SDIST}, absolute=True)
        page = "/simple/demo/"
        # The file lives on another host (a CDN), linked absolutely.
        cdn.routes.update({p: v for p, v in index.routes.items() if p.startswith("/packages/")})
        index.pages[page] = {k: v.replace(index.base.encode(), cdn.base.encode()) if v else v
                             for k, v in index.pages[page].items()}
        root = index.base.replace("http://", "http://alice:s3cret@") + "/simple/"
        _get("pypi:demo==1.0", root, tmp_path)
        with pytest.raises(UsageError) as missing:
            _get("pypi:absent", root, tmp_path)
    assert index.auth[0] == "Basic YWxpY2U6czNjcmV0"  # alice:s3cret
    assert cdn.auth == [None]
    assert "s3cret" not in str(missing.value) and "alice" not in str(missing.value)


@pytest.mark.parametrize(("filename", "kind", "version"), [
    ("demo-1.0-py3-none-any.whl", "wheel", "1.0"),
    ("demo-1.0-1build-cp312-cp312-manylinux_2_17_x86_64.whl", "wheel", "1.0"),
    ("python_dateutil-2.9.0.post0.tar.gz", "sdist", "2.9.0.post0"),
    ("python-dateutil-2.8.2.tar.gz", "sdist", "2.8.2"),
    ("Python-DateUtil-1.4.zip", "sdist", "1.4"),
    ("python-dateutil-1.0-beta.tar.bz2", "sdist", "1.0-beta"),
    ("python_dateutil-2.1-py2.7.egg", "egg", "2.1"),
    ("python-dateutil-1.5.win32.exe", "other", "1.5"),
    ("python-dateutil-1.5-1.noarch.rpm", "other", "1.5"),
    ("README", "other", None),
])
def test_versions_from_file_names(filename: str, kind: str, version: str | None) -> None:
    assert filenames.parse(filename, "Python.DateUtil") == filenames.FileName(kind, version)


def test_pep503_normalisation_and_pep440_order() -> None:
    assert filenames.normalise("Foo.Bar__baz-Qux") == "foo-bar-baz-qux"
    ordered = sorted(["1.0", "1.0rc1", "1.0.post1", "0.9", "1!0.1", "not-a-version", "1.0.dev0"],
                     key=filenames.version_key)
    assert ordered == ["not-a-version", "0.9", "1.0.dev0", "1.0rc1", "1.0", "1.0.post1", "1!0.1"]


def test_only_picks_by_kind_and_glob() -> None:
    def file(name: str, kind: str) -> RemoteFile:
        return RemoteFile("pypi:x==1", "x", "1", name, "http://i/" + name, "sha256", "0" * 64, kind, 10)

    release = Release("pypi:x==1", "pypi", "x", "1", (file("x-1-py3-none-any.whl", "wheel"),
                                                     file("x-1-cp312-cp312-win_amd64.whl", "wheel"),
                                                     file("x-1.tar.gz", "sdist")))
    assert [f.filename for f in only(release, ["sdist"]).files] == ["x-1.tar.gz"]
    assert len(only(release, ["wheel"]).files) == 2
    assert [f.filename for f in only(release, ["*win*", "sdist"]).files] == ["x-1-cp312-cp312-win_amd64.whl",
                                                                           "x-1.tar.gz"]
    assert only(release, []) == release and release.size == 30
    with pytest.raises(UsageError, match=r"pypi:x==1: --only \*\.zip selects none of its 3 files"):
        only(release, ["*.zip"])
