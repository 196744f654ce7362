"""Docs are part of the feature: generated pages are current and every field is described."""

from __future__ import annotations

import re
from pathlib import Path

from corral.cli.docs import all_pages, reachable_models
from corral.config.auth import AuthConfig
from corral.config.base import ConfigModel
from corral.config.run import RunConfig
from corral.core.registry import load_provider_registry

ROOT = Path(__file__).resolve().parents[1]


def test_generated_docs_are_current() -> None:
    registry = load_provider_registry(plugins=False)
    stale = [
        rel
        for rel, text in all_pages(registry).items()
        if not (ROOT / "docs" / rel).exists() or (ROOT / "docs" / rel).read_text() != text
    ]
    assert stale == [], f"run `corral docs generate` (stale: {stale})"


def test_every_config_field_and_provider_field_has_a_description() -> None:
    models = reachable_models(RunConfig) + reachable_models(AuthConfig)
    for entry in load_provider_registry(plugins=False).all():
        models += reachable_models(entry.spec.config)
    undocumented = [
        f"{m.__name__}.{name}"
        for m in models
        for name, field in m.model_fields.items()
        if not (field.description or "").strip()
    ]
    assert undocumented == []


def test_every_provider_has_a_page_and_an_example() -> None:
    for entry in load_provider_registry(plugins=False).all():
        kind, name = entry.spec.provider_type.split("::")
        page = ROOT / "docs" / "providers" / f"{kind}-{entry.spec.api}-{name}.md"
        assert page.exists(), page
        config = entry.spec.config
        assert issubclass(config, ConfigModel), entry.spec.provider_type
        assert config.sample_config(), f"{entry.spec.provider_type} has no sample_config"


def test_markdown_links_resolve() -> None:
    for doc in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            assert (doc.parent / target).exists(), (
                f"{doc.relative_to(ROOT)} links to missing {target}"
            )
