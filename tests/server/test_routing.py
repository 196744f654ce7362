"""RouteTable in-process: every spelling resolves to the canonical route (pure routing units)."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from corral.auth.route_policy import ALIAS_PREFIX, RoutePolicy
from corral.config.auth import RouteRule
from corral.server.routing import RouteEntry, RouteTable
from tests.server.test_route_aliases import CASES


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    return None


async def _other(scope: Scope, receive: Receive, send: Send) -> None:
    return None


TABLE = RouteTable(
    [
        RouteEntry("GET", "/v1/models", ("/v1/openai/v1/models",), _app),
        RouteEntry(
            "GET", "/v1/models/{model_id:path}", ("/v1/openai/v1/models/{model_id:path}",), _app
        ),
        RouteEntry("GET", "/v1/files/{file_id}", ("/v1/openai/v1/files/{file_id}",), _app),
        RouteEntry("DELETE", "/v1/files/{file_id}", ("/v1/openai/v1/files/{file_id}",), _other),
    ]
)


def test_declared_spellings_are_one_lookup() -> None:
    hit = TABLE.exact[("GET", "/v1/openai/v1/models")]
    assert (hit.path, hit.template, hit.app) == ("/v1/models", "/v1/models", _app)
    assert ("HEAD", "/v1/models") in TABLE.exact


def test_trailing_and_repeated_slashes_reach_the_same_route() -> None:
    for path in ("/v1/models/", "//v1//models", "/v1/openai/v1/models/", "/v1/openai//v1/models"):
        match = TABLE.resolve("GET", path)
        assert (match.path, match.app) == ("/v1/models", _app), path


def test_aliases_with_parameters_resolve_to_the_canonical_path() -> None:
    match = TABLE.resolve("DELETE", "/v1/openai/v1/files/file-1/")
    assert (match.path, match.template, match.app) == (
        "/v1/files/file-1",
        "/v1/files/{file_id}",
        _other,
    )
    assert match.params == {"file_id": "file-1"}
    model = TABLE.resolve("GET", "/v1/openai/v1/models/up/model-1")
    assert (model.path, model.params) == ("/v1/models/up/model-1", {"model_id": "up/model-1"})


def test_wrong_method_is_405_and_unknown_path_404() -> None:
    put = TABLE.resolve("PUT", "/v1/openai/v1/files/x")
    assert (
        put.app is None
        and put.path == "/v1/files/x"
        and set(put.allowed) == {"GET", "HEAD", "DELETE"}
    )
    post = TABLE.resolve("POST", "/v1/openai/v1/models")
    assert post.app is None and post.path == "/v1/models" and "GET" in post.allowed
    missing = TABLE.resolve("GET", "/V1/MODELS")
    assert missing.app is None and missing.template is None and not missing.allowed


def test_every_alias_of_the_app_is_the_alias_prefix_on_its_canonical_path() -> None:
    """route_policy reads alias patterns as canonical by this prefix; every alias must fit it."""
    for _method, _kind, target, canonical in CASES:
        if target.startswith(ALIAS_PREFIX + "/") and _kind == "declared":
            assert "/v1" + target[len(ALIAS_PREFIX) :] == canonical


def test_route_policy_reads_alias_patterns_as_their_canonical_path() -> None:
    rules = [
        RouteRule.model_validate(
            {"forbid": {"paths": ["/v1/openai/v1/models", "/v1/openai/v1/files*"]}}
        ),
        RouteRule.model_validate({"permit": {"paths": "*"}}),
    ]
    policy = RoutePolicy(rules, auth_enabled=False)
    assert not policy.allows("/v1/models", None)
    assert not policy.allows("/v1/files/abc", None)
    assert policy.allows("/v1/chat/completions", None)
