"""Connection-string logins, JWT claims and provider checksums: each decides on the cases it must."""

from __future__ import annotations

import base64
import json
import random
import zlib

import pytest

from bench import forge
from leakguard.match import dburl, structure
from leakguard.match.validators import jwt, jwt_claims


@pytest.mark.parametrize(("text", "real"), [
    (b"postgresql://postgres:postgres@localhost:5432/pandas", False),  # pandas 2.2.3's tests
    (b"postgres://app:Vq7mR2xLpZ9d@db.prod.acme.io:5432/app", True),
    (b"postgres://app:app@db.prod.acme.io/app", False),  # password is the user name
    (b"mysql://root:Root@db.prod.acme.io/app", False),  # ... whatever its case
    (b"amqp://svc:guest@mq.acme.io:5672/", False),  # a default
    (b"redis://:Vq7mR2xLpZ9d@127.3.0.1:6379", False),  # all of 127/8 is loopback
    (b"redis://:Vq7mR2xLpZ9d@[::1]:6379", False),
    (b"redis://:Vq7mR2xLpZ9d@0.0.0.0:6379", False),
    (b"mongodb://u:Vq7mR2xLpZ9d@db.example.com/x", False),
    (b"mongodb://u:Vq7mR2xLpZ9d@api.example/x", False),
    (b"mongodb://u:Vq7mR2xLpZ9d@ci.test:27017/x", False),
    (b"mongodb://u:Vq7mR2xLpZ9d@shard.invalid/x", False),
    (b"mongodb://u:Vq7mR2xLpZ9d@web.localhost/x", False),
    (b"mongodb://u:Vq7mR2xLpZ9d@203.0.113.9/x", False),  # RFC 5737
    (b"mongodb://u:Vq7mR2xLpZ9d@10.0.4.2/x", True),  # a private network is someone's real server
    (b"mongodb://u:Vq7mR2xLpZ9d@example.com.evil.io/x", True),
    (b"https://ci:p%40ss%3Aw0rd99@git.acme.io", True),
    (b"https://ci:ci@git.acme.io", False),
    (b"Server=tcp:sql.acme.io,1433;User ID=orders;Password=Vq7mR2xLpZ9d;", True),
    (b"Server=(localdb)\\MSSQLLocalDB;User Id=app;Password=Vq7mR2xLpZ9d;", False),
    (b"Server=.;User Id=app;Password=Vq7mR2xLpZ9d;", False),
    (b"Data Source=db;User Id=sa;Password={sa};", False),
    (b"jdbc:sqlserver://db1.acme.io:1433;user=svc;password=RLiiRejeKx0gbV", True),
    (b"jdbc:postgresql://localhost/app?user=svc&password=RLiiRejeKx0gbV", False),
    (b"jdbc:oracle:thin:scott/tiger@ora.acme.io:1521:orcl", False),
    (b"machine api.acme.io login deploy password Tz4mWq9Lx2Vr", True),
    (b"machine 127.0.0.1 login deploy password Tz4mWq9Lx2Vr", False),
    (b"no credentials here", True),  # unreadable: stays a finding (fail closed)
])
def test_real_login(text: bytes, real: bool) -> None:
    assert dburl.real_login(text) is real


def _jwt(header: dict[str, object], payload: dict[str, object]) -> bytes:
    def part(value: object) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")
    return part(header) + b"." + part(payload) + b"." + b"c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc"


HS256 = {"alg": "HS256", "typ": "JWT"}


@pytest.mark.parametrize(("header", "payload", "decodes", "issued"), [
    (HS256, {"iss": "https://auth.acme.io", "sub": "u1", "exp": 1893456000}, True, True),
    (HS256, {"aud": "api://orders"}, True, True),
    (HS256, {"foo": "bar"}, True, False),  # a toy payload
    (HS256, {"iat": 1700000000}, True, False),  # when, but not who
    ({"alg": "none"}, {"sub": "u1"}, True, False),  # unsigned
    (HS256, {"sub": "1234567890", "name": "John Doe", "iat": 1516239022}, False, False),  # jwt.io's sample
    (HS256, {"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "anon"}, False, False),  # public by design
    (HS256, {"iss": "supabase", "ref": "abcdefghijklmnopqrst", "role": "service_role"}, True, True),
    (HS256, {"iss": "https://login.example.com/", "sub": "alice"}, False, False),
    (HS256, {"sub": "bob", "email": "bob@example.org"}, False, False),
    ({"typ": "JWT"}, {"sub": "u1"}, False, False),  # no alg: not a JWS
])
def test_jwt_claims(header: dict[str, object], payload: dict[str, object], decodes: bool, issued: bool) -> None:
    token = _jwt(header, payload)
    assert jwt(token) is decodes
    assert jwt_claims(token) is issued


def test_grafana_checksum() -> None:
    token = b"glsa_z9o6xi99fLJJ515cbpKf9YYueE0gCPR8_cf4576ea"
    assert structure.grafana_service_account(token)
    assert not structure.grafana_service_account(token[:-1] + b"b")
    assert not structure.grafana_service_account(token.replace(b"z9o6", b"z9o7"))


def test_gitlab_routable_checksum_and_payload() -> None:
    rng = random.Random(7)
    token = forge.gitlab_routable("glpat-", rng, org=1, user=4242)
    assert structure.gitlab_token(token)
    assert structure.gitlab_token(b"glpat-Xq4mZ8vT2kWp9LrN6yHd")  # legacy: no checksum to check
    assert not structure.gitlab_token(token[:-1] + (b"0" if token[-1:] != b"0" else b"1"))
    # a right CRC over a payload without the organization line
    raw = rng.randbytes(16) + b"u:1" + bytes([3])
    encoded = base64.urlsafe_b64encode(raw).rstrip(b"=")
    head = b"glpat-" + encoded + b".01." + structure.base36(len(encoded), 2)
    assert not structure.gitlab_token(head + structure.base36(zlib.crc32(head), 7))


def test_sentry_org_token() -> None:
    token = forge.sentry_org(random.Random(3))
    assert structure.sentry_org_token(token)
    assert not structure.sentry_org_token(token.rpartition(b"_")[0])
    assert not structure.sentry_org_token(b"sntrys_" + base64.b64encode(b'{"iat": 1}') + b"_" + b"A" * 43)


def test_pypi_macaroon() -> None:
    token = forge.pypi("pypi.org", random.Random(5))
    assert token.startswith(b"pypi-AgEIcHlwaS5vcmc")
    assert structure.pypi_macaroon(token)
    assert structure.pypi_macaroon(forge.pypi("test.pypi.org", random.Random(5)))
    assert not structure.pypi_macaroon(forge.pypi("evil.example", random.Random(5)))
    assert not structure.pypi_macaroon(token[:-4])  # a cut signature
    assert not structure.pypi_macaroon(b"pypi-AgEIcHlwaS5vcmc" + b"x" * 120)


def test_azure_keys() -> None:
    key = base64.b64encode(random.Random(1).randbytes(64))
    assert structure.azure_storage_key(key)
    assert not structure.azure_storage_key(structure.AZURITE_KEY)
    assert not structure.azure_storage_key(base64.b64encode(bytes(48)))
    assert structure.base64_32_bytes(base64.b64encode(bytes(range(32))))
    assert structure.azure_sas_signature(base64.b64encode(bytes(range(32))).replace(b"=", b"%3D"))
    assert not structure.azure_sas_signature(b"abc")


@pytest.mark.parametrize("name", sorted(forge.CHECKSUMS))
def test_forge_writes_what_the_validators_read(name: str) -> None:
    from leakguard.match.validators import VALIDATORS

    shapes = {"github-checksum": b"ghp_" + b"a1" * 15 + b"000000", "npm-checksum": b"npm_" + b"b2" * 15 + b"000000",
              "grafana-checksum": b"glsa_" + b"c3" * 16 + b"_00000000", "gitlab-token": b"glpat-x.01.000000000",
              "pypi-macaroon": b"pypi-AgEIcHlwaS5vcmc", "sentry-org-token": b"sntrys_", "jwt-claims": b"eyJ"}
    assert VALIDATORS[name](forge.CHECKSUMS[name](shapes[name]))
