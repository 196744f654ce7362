"""The batches, datasets, scoring and eval routes keep /openapi.json valid OpenAPI 3.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from openapi_spec_validator import validate

from corral.config.loader import load_config
from corral.core.registry import load_provider_registry
from corral.server.app import create_app
from corral.server.openapi import build_openapi
from tests.batches.conftest import batches_config
from tests.evaluation.conftest import eval_config


@pytest.mark.parametrize("make", [eval_config, batches_config])
def test_the_document_validates_with_the_new_apis(make: object, tmp_path: Path) -> None:
    assert callable(make)
    text = make("http://127.0.0.1:9/v1")
    loaded = load_config(
        "run.yaml", load_provider_registry(), {"SQLITE_STORE_DIR": str(tmp_path)}, text
    )
    document = build_openapi(create_app(loaded).state.api_routes)
    validate(document)
    ids = [op["operationId"] for item in document["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    assert not [p for p in document["paths"] if ":" in p]
