"""Provider discovery: built-ins and plugins register alike; clashes and broken modules fail loudly."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral.apis.spec import Api
from corral.core.registry import ProviderRegistryError, load_provider_registry

PLUGIN = '''
from corral.config.base import ConfigModel
from corral.apis.spec import Api, ProviderSpec

class Config(ConfigModel):
    """A plugin's config."""

SPEC = ProviderSpec(api=Api.inference, provider_type="{ptype}", config=Config, description="test plugin")

async def create(config, deps):
    return object()
'''


@pytest.fixture
def plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("corral_test_plugin")]:
        del sys.modules[name]


def test_builtin_providers_are_registered() -> None:
    registry = load_provider_registry(plugins=False)
    types = registry.types_for(Api.inference)
    assert "remote::openai" in types and "remote::vllm" in types
    assert all(e.source.startswith("built-in corral.providers.") for e in registry.all())


def test_a_plugin_module_registers_like_a_builtin(plugin_dir: Path) -> None:
    (plugin_dir / "corral_test_plugin_ok.py").write_text(PLUGIN.format(ptype="remote::my-plugin"))
    registry = load_provider_registry(("corral_test_plugin_ok",), plugins=False)
    entry = registry.all()[0]
    assert entry.spec.provider_type == "remote::my-plugin"
    assert entry.source == "built-in corral_test_plugin_ok"


def test_duplicate_provider_types_name_both_sources(plugin_dir: Path) -> None:
    (plugin_dir / "corral_test_plugin_dup.py").write_text(PLUGIN.format(ptype="remote::openai"))
    with pytest.raises(ProviderRegistryError) as err:
        load_provider_registry(
            ("corral.providers.remote.inference.openai", "corral_test_plugin_dup"), plugins=False
        )
    message = str(err.value)
    assert "remote::openai is declared twice" in message
    assert (
        "corral.providers.remote.inference.openai" in message
        and "corral_test_plugin_dup" in message
    )


def test_a_module_that_fails_to_import_is_an_error_naming_it(plugin_dir: Path) -> None:
    (plugin_dir / "corral_test_plugin_broken.py").write_text("import does_not_exist_anywhere\n")
    with pytest.raises(
        ProviderRegistryError, match="corral_test_plugin_broken.*does_not_exist_anywhere"
    ):
        load_provider_registry(("corral_test_plugin_broken",), plugins=False)


def test_a_module_without_spec_and_create_is_rejected(plugin_dir: Path) -> None:
    (plugin_dir / "corral_test_plugin_empty.py").write_text("X = 1\n")
    with pytest.raises(ProviderRegistryError, match="must export SPEC"):
        load_provider_registry(("corral_test_plugin_empty",), plugins=False)
