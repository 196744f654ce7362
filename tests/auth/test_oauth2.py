"""oauth2_token: JWTs against a JWKS stub, the attack table, key rotation, introspection."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.auth.conftest import config_with_auth
from tests.fixtures.identity_stubs import AUDIENCE, ISSUER, IdentityStubs, rsa_key
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(
    stubs: IdentityStubs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    auth = f"""    provider_config:
      type: oauth2_token
      jwks: {{uri: "{stubs.url}/jwks", key_recheck_period: 3600}}
      issuer: {ISSUER}
      audience: {AUDIENCE}
      claims_mapping: {{sub: roles, groups: teams}}
    access_policy:
    - permit: {{actions: [read], resource: "model::*"}}
      when: user with platform in teams
"""
    with run_server(config_with_auth(auth), tmp_path_factory.mktemp("jwt")) as running:
        yield running


def get_models(server: RunningServer, token: str | None, scheme: str = "Bearer") -> httpx.Response:
    headers = {b"Authorization": f"{scheme} {token}".encode("latin-1")} if token is not None else {}
    return httpx.get(f"{server.base_url}/v1/models", headers=headers)


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_tokens_pass_and_claims_become_attributes(
    server: RunningServer, stubs: IdentityStubs
) -> None:
    ok = get_models(server, stubs.mint("alice", groups=["platform"]))
    assert ok.status_code == 200 and len(ok.json()["data"]) == 4
    ec_token = stubs.mint("bob", key=stubs.keys[1], groups=["platform"])
    assert get_models(server, ec_token).status_code == 200
    outsider = get_models(server, stubs.mint("carol", groups=["sales"]))
    assert outsider.status_code == 200 and outsider.json()["data"] == []  # filtered by the policy


def test_public_routes_need_no_token(server: RunningServer) -> None:
    assert httpx.get(f"{server.base_url}/v1/health").status_code == 200
    assert httpx.get(f"{server.base_url}/v1/version").status_code == 200


def attacks(stubs: IdentityStubs) -> dict[str, str | None]:
    now = int(time.time())
    good = {"sub": "mallory", "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600}
    other = rsa_key("k1")  # same kid, different key
    public_pem = (
        stubs.keys[0]
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    forged_hs = _b64({"alg": "HS256", "kid": "k1", "typ": "JWT"}) + "." + _b64(good) + "."
    import hashlib
    import hmac

    signature = hmac.new(public_pem, forged_hs[:-1].encode(), hashlib.sha256).digest()
    forged_hs += base64.urlsafe_b64encode(signature).rstrip(b"=").decode()
    return {
        "missing": None,
        "alg none": _b64({"alg": "none", "kid": "k1"}) + "." + _b64(good) + ".",
        "wrong key": jwt.encode(good, other.private, algorithm="RS256", headers={"kid": "k1"}),
        "wrong issuer": stubs.mint("mallory", iss="https://evil.test"),
        "wrong audience": stubs.mint("mallory", aud="someone-else"),
        "expired": stubs.mint("mallory", exp=now - 3600),
        "not yet valid": stubs.mint("mallory", nbf=now + 3600),
        "no exp": jwt.encode(
            {k: v for k, v in good.items() if k != "exp"},
            stubs.keys[0].private,
            algorithm="RS256",
            headers={"kid": "k1"},
        ),
        "garbage": "not.a.jwt",
        "binary garbage": "\u00ff\u00fe" * 10,
        "huge header": _b64({"alg": "RS256", "kid": "k1", "x": "A" * 20000})
        + "."
        + _b64(good)
        + ".sig",
        "HS256 with the public key": forged_hs,
        "unknown kid": jwt.encode(good, other.private, algorithm="RS256", headers={"kid": "nope"}),
    }


def test_attack_table_is_401_every_time(server: RunningServer, stubs: IdentityStubs) -> None:
    for name, token in attacks(stubs).items():
        r = get_models(server, token)
        assert r.status_code == 401, name
        assert r.headers["www-authenticate"] == "Bearer", name
        assert set(r.json()["error"]) >= {"message", "type", "code"}, name
    assert get_models(server, stubs.mint("alice"), scheme="Basic").status_code == 401
    assert "Traceback" not in server.log()


def test_introspection_for_opaque_tokens(stubs: IdentityStubs, tmp_path: Path) -> None:
    stubs.introspection["opaque-good"] = {
        "active": True,
        "sub": "svc-1",
        "groups": ["platform"],
        "exp": int(time.time()) + 600,
    }
    stubs.introspection["opaque-off"] = {"active": False}
    auth = f"""    provider_config:
      type: oauth2_token
      introspection: {{url: "{stubs.url}/introspect", client_id: corral, client_secret: s3cr3t}}
"""
    with run_server(config_with_auth(auth), tmp_path) as server:
        assert get_models(server, "opaque-good").status_code == 200
        assert get_models(server, "opaque-off").status_code == 401
        assert get_models(server, "unknown").status_code == 401
