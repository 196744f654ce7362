"""External providers as Llama Stack lays them out, next to corral's entry points.

Two forms are read, both before provider configs are validated:

- ``external_providers_dir``: ``<dir>/<remote|inline>/<api>/<name>.yaml`` files
  whose ``module``, ``config_class``, ``api_dependencies`` and
  ``optional_api_dependencies`` describe the provider type ``<remote|inline>::<name>``;
- a provider entry's ``module: package`` (optionally ``package==version``): the
  package exports the provider's ``SPEC`` and ``create``.

Either way the code is written to corral's provider contract: the module's
``async def create(config, deps)`` returns an implementation of the API's
Protocol (a Llama Stack module's ``get_provider_impl`` is refused with that
explanation, since its objects speak Llama Stack's internal types).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from pydantic import BaseModel

from corral.apis.spec import (
    API_ALIASES,
    Api,
    ProviderCatalogue,
    ProviderSpec,
    RegisteredProvider,
)
from corral.config.issues import ConfigIssue
from corral.config.run import RunConfig

_KINDS = ("remote", "inline")


class ExternalError(Exception):
    """An external provider cannot be loaded; the message says which and why."""


class WithExternal:
    """A catalogue: the installed providers, then the external ones the config names."""

    def __init__(self, base: ProviderCatalogue) -> None:
        self._base = base
        self._extra: dict[tuple[Api, str], RegisteredProvider] = {}

    def add(self, provider: RegisteredProvider) -> None:
        """Register an external provider (it may replace an installed type, as in Llama Stack)."""
        self._extra[(provider.spec.api, provider.spec.provider_type)] = provider

    def get(self, api: Api, provider_type: str) -> RegisteredProvider | None:
        """The provider kind, or None."""
        return self._extra.get((api, provider_type)) or self._base.get(api, provider_type)

    def types_for(self, api: Api) -> list[str]:
        """Provider types that serve `api`, sorted."""
        extra = [t for (a, t) in self._extra if a == api]
        return sorted({*self._base.types_for(api), *extra})


def with_external_providers(
    run: RunConfig, base: ProviderCatalogue, issues: list[ConfigIssue]
) -> ProviderCatalogue:
    """`base` plus the providers of ``external_providers_dir`` and of ``module:`` entries."""
    if run.external_providers_dir is None and not _module_entries(run):
        return base
    catalogue = WithExternal(base)
    root = Path(run.external_providers_dir or ".").expanduser()
    if run.external_providers_dir is not None and not root.is_dir():
        issues.append(
            ConfigIssue(
                ("external_providers_dir",),
                f"{run.external_providers_dir!r} is not a folder",
                "create it, or remove external_providers_dir",
            )
        )
    elif run.external_providers_dir is not None:
        for spec_path, api, kind in _spec_files(root):
            try:
                catalogue.add(_from_spec_file(spec_path, api, kind))
            except ExternalError as exc:
                issues.append(
                    ConfigIssue(("external_providers_dir",), str(exc), _FIX_DIR.format(spec_path))
                )
    for api_name, index, module_name, provider_type in _module_entries(run):
        path: tuple[str | int, ...] = ("providers", api_name, index, "module")
        try:
            catalogue.add(_from_module(module_name, _api(api_name), provider_type))
        except ExternalError as exc:
            issues.append(ConfigIssue(path, str(exc), _FIX_MODULE))
    return catalogue


_FIX_DIR = "fix {} (see docs/providers/external.md)"
_FIX_MODULE = (
    "install the package, and make it export SPEC (a corral ProviderSpec) and "
    "async create(config, deps) (see docs/providers/external.md)"
)


def _module_entries(run: RunConfig) -> list[tuple[str, int, str, str]]:
    return [
        (api, index, entry.module, entry.provider_type)
        for api, entries in run.providers.items()
        for index, entry in enumerate(entries)
        if entry.module is not None and not entry.is_disabled()
    ]


def _api(name: str) -> Api:
    if name in API_ALIASES:
        return API_ALIASES[name]
    if name not in Api.__members__:
        raise ExternalError(f"corral does not serve the {name!r} API")
    return Api(name)


def _spec_files(root: Path) -> Iterator[tuple[Path, str, str]]:
    for kind in _KINDS:
        for api_dir in sorted((root / kind).glob("*")):
            if api_dir.is_dir():
                for spec_path in sorted(api_dir.glob("*.yaml")):
                    yield spec_path, api_dir.name, kind


def _from_spec_file(path: Path, api_name: str, kind: str) -> RegisteredProvider:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ExternalError(f"{path}: cannot read the provider spec ({exc})") from None
    if not isinstance(data, dict):
        raise ExternalError(f"{path}: a provider spec is a YAML mapping")
    if isinstance(data.get("adapter"), dict):  # the older nesting: {adapter: {...}, ...}
        data = {**data, **data["adapter"]}
    api = _api(api_name)
    module_name = data.get("module")
    config_path = data.get("config_class")
    if not isinstance(module_name, str) or not isinstance(config_path, str):
        raise ExternalError(f"{path}: `module` and `config_class` are required")
    spec = ProviderSpec(
        api=api,
        provider_type=f"{kind}::{path.stem}",
        config=_config_class(config_path, str(path)),
        description=str(data.get("description") or f"external provider from {path}"),
        api_dependencies=_apis(data.get("api_dependencies"), path),
        optional_api_dependencies=_apis(data.get("optional_api_dependencies"), path),
    )
    module = _import(module_name, str(path))
    return RegisteredProvider(spec, _factory(module, str(path)), f"external spec {path}")


def _from_module(name: str, api: Api, provider_type: str) -> RegisteredProvider:
    module = _import(name.split("==")[0].strip(), f"module {name!r}")
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, ProviderSpec):
        raise ExternalError(f"module {name!r} does not export SPEC (a corral ProviderSpec)")
    if (spec.api, spec.provider_type) != (api, provider_type):
        raise ExternalError(
            f"module {name!r} declares {spec.api} {spec.provider_type}, not {api} {provider_type}"
        )
    return RegisteredProvider(spec, _factory(module, f"module {name!r}"), f"module {name!r}")


def _apis(value: Any, path: Path) -> tuple[Api, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ExternalError(f"{path}: api dependencies are a list of API names")
    try:
        return tuple(_api(str(v)) for v in value)
    except ExternalError as exc:
        raise ExternalError(f"{path}: {exc}") from None


def _import(name: str, source: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ExternalError(f"{source}: cannot import {name!r}: {exc!r}") from None


def _config_class(dotted: str, source: str) -> type[BaseModel]:
    module_name, _, attr = dotted.rpartition(".")
    found = getattr(_import(module_name, source), attr, None) if module_name else None
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise ExternalError(f"{source}: config_class {dotted!r} is not a pydantic model")
    return found


def _factory(module: ModuleType, source: str) -> Any:
    create = getattr(module, "create", None)
    if callable(create):
        return create
    llama_stack = [n for n in ("get_provider_impl", "get_adapter_impl") if hasattr(module, n)]
    why = (
        f"it is a Llama Stack provider ({llama_stack[0]}), whose objects speak Llama Stack's "
        "internal types"
        if llama_stack
        else "it has no create"
    )
    raise ExternalError(
        f"{source}: module {module.__name__!r} does not export async create(config, deps); {why}"
    )
