"""JSON bodies need a JSON media type (415) and one request has one Authorization header (400).

Issue 15, item 9: a ``text/plain`` body was parsed as JSON, so a browser's
"simple" cross-origin request (no CORS preflight) could drive a JSON route of a
server without auth; two Authorization headers were not refused (a proxy and
corral could each believe a different one).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.conftest import config_with_auth
from tests.auth.test_access_policy import USERS
from tests.fixtures import raw_http
from tests.fixtures.identity_stubs import IdentityStubs, run_identity_stubs
from tests.fixtures.server import RunningServer, run_server

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

BODY = b'{"model": "up/model-1", "messages": [{"role": "user", "content": "hi"}]}'


@pytest.fixture(scope="module")
def stubs() -> Iterator[IdentityStubs]:
    with run_identity_stubs() as running:
        yield running


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    config = config_with_auth("    route_policy: []")  # no identity provider
    with run_server(config, tmp_path_factory.mktemp("open")) as server:
        yield server


@pytest.fixture(scope="module")
def authed(
    stubs: IdentityStubs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    stubs.custom_users.update({t: {**u, "message": "ok"} for t, u in USERS.items()})
    block = f'    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}'
    with run_server(config_with_auth(block), tmp_path_factory.mktemp("authed")) as server:
        yield server


#: (content type sent, expected status): 415 before the body is read; the JSON ones reach
#: the route (a 502: the configured upstream is down).
MEDIA_TYPES = [
    ("text/plain", 415),
    ("text/plain;charset=UTF-8", 415),
    ("application/x-www-form-urlencoded", 415),
    ("multipart/form-data; boundary=x", 415),
    (None, 415),
    ("application/json", 502),
    ("application/json; charset=utf-8", 502),
    ("Application/JSON", 502),
]


@pytest.mark.parametrize(("media_type", "status"), MEDIA_TYPES)
def test_json_routes_need_a_json_media_type(
    open_server: RunningServer, media_type: str | None, status: int
) -> None:
    headers = [("Content-Type", media_type)] if media_type else []
    response = raw_http.request(open_server.port, "POST", "/v1/chat/completions", headers, BODY)
    assert response is not None and response.status == status, response
    if status == 415:
        assert response.json()["error"]["code"] == "unsupported_media_type"


def test_two_authorization_headers_are_refused(authed: RunningServer) -> None:
    twice = [("Authorization", "Bearer t-user1"), ("Authorization", "Bearer t-admin")]
    response = raw_http.request(authed.port, "GET", "/v1/models", twice)
    assert response is not None and response.status == 400
    assert response.json()["error"]["code"] == "duplicate_authorization"
    once = raw_http.request(authed.port, "GET", "/v1/models", twice[:1])
    assert once is not None and once.status == 200
