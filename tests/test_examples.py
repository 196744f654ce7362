"""Every example config in examples/ validates (with the variables it documents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corral.config.loader import load_config
from corral.core.registry import load_provider_registry

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_validates(path: Path) -> None:
    loaded = load_config(
        str(path), load_provider_registry(plugins=False), env={"OPENAI_API_KEY": "sk-test"}
    )
    assert loaded.warnings == []
