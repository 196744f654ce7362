"""`/openapi.json` is a valid OpenAPI 3.1 document that describes what the routes return.

Issue 15, item 8: ``{model_id:path}`` templates are not OpenAPI (schemathesis
could not test those operations) and chat/completions declared only SSE for 200
though it answers JSON when not streaming.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from corral.config.loader import load_config
from corral.core.registry import load_provider_registry
from corral.server.app import create_app
from corral.server.openapi import build_openapi, openapi_path
from tests.responses.conftest import responses_config


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"SQLITE_STORE_DIR": str(Path(tmp))}
        text = responses_config("http://127.0.0.1:9/v1")
        loaded = load_config("run.yaml", load_provider_registry(), env, text)
        app = create_app(loaded)
    return build_openapi(app.state.api_routes)


def test_the_document_validates(document: dict[str, Any]) -> None:
    validate(document)  # raises with the first problem


def test_path_templates_are_plain_openapi(document: dict[str, Any]) -> None:
    assert not [p for p in document["paths"] if ":" in p]
    assert "/v1/models/{model_id}" in document["paths"]
    assert openapi_path("/v1/shields/{identifier:path}") == "/v1/shields/{identifier}"


@pytest.mark.parametrize(
    "path",
    ["/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/openai/v1/chat/completions"],
)
def test_streaming_routes_declare_json_and_sse(document: dict[str, Any], path: str) -> None:
    content = document["paths"][path]["post"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/event-stream"}


def test_operation_ids_are_unique(document: dict[str, Any]) -> None:
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
