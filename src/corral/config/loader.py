"""Load a run config file: YAML → legacy check → env substitution → schema → provider configs.

Every stage reports problems as `ConfigIssue`s with the YAML line; all problems
of a stage are reported together in one `ConfigError`. The result,
`LoadedConfig`, is what the `Stack` is built from.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from pydantic import BaseModel, ValidationError

from corral.apis.spec import (
    API_ALIASES,
    BUILTIN_APIS,
    PROVIDER_TYPE_ALIASES,
    ROUTING_TABLES,
    UNSERVED_APIS,
    UNSERVED_PROVIDER_TYPES,
    Api,
    ProviderCatalogue,
    RegisteredProvider,
)
from corral.config.connectors import connector_issues
from corral.config.envsubst import substitute_env
from corral.config.external import with_external_providers
from corral.config.issues import ConfigError, ConfigIssue
from corral.config.legacy import legacy_issues
from corral.config.pydantic_issues import issues_from_validation
from corral.config.run import ProviderEntry, RunConfig
from corral.config.safety import safety_issues, safety_warnings
from corral.config.storage import KVReference
from corral.config.unserved import IgnoredProvider, llama_stack_provider_types
from corral.config.wiring import api_order, provider_reference_issues, single_provider_issues
from corral.config.yaml_source import SourcedData, parse_yaml


@dataclass(frozen=True)
class ProviderInstanceConfig:
    """A configured provider instance with its validated config."""

    api: Api
    #: Position under ``providers.<api>`` (for error paths).
    index: int
    entry: ProviderEntry
    config: BaseModel
    provider: RegisteredProvider


@dataclass
class LoadedConfig:
    """A fully validated run config, ready to build a stack from."""

    run: RunConfig
    providers: list[ProviderInstanceConfig]
    source: str
    warnings: list[str] = field(default_factory=list)
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict)
    #: The APIs with providers, dependencies first: the order the stack starts them in.
    api_order: list[Api] = field(default_factory=list)


def read_config_text(path: str) -> str:
    """Read a config file, turning OS errors into a `ConfigError`."""
    try:
        return FsPath(path).expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError.single(path, "file not found", "check the path") from None
    except OSError as exc:
        raise ConfigError.single(path, f"cannot read file: {exc.strerror}", "") from None


def load_config(
    path: str,
    registry: ProviderCatalogue,
    env: Mapping[str, str] | None = None,
    text: str | None = None,
) -> LoadedConfig:
    """Load and fully validate the run config at `path` (or `text`, named `path`)."""
    sourced = parse_yaml(read_config_text(path) if text is None else text, path)
    return load_sourced(sourced, registry, os.environ if env is None else env)


def load_sourced(
    sourced: SourcedData, registry: ProviderCatalogue, env: Mapping[str, str]
) -> LoadedConfig:
    """Validate already-parsed YAML data."""
    source, lines = sourced.source, sourced.lines
    if not isinstance(sourced.data, dict):
        error = ConfigError.single(source, "the run config must be a YAML mapping", "")
        raise error.with_lines(lines)
    early = legacy_issues(sourced.data)
    data, env_issues = substitute_env(sourced.data, env)
    early += env_issues
    try:
        run = RunConfig.model_validate(data)
    except ValidationError as exc:
        schema_issues = issues_from_validation(exc, data, RunConfig)
        late = [i for i in schema_issues if not _explained_by(i, early)]
        raise ConfigError(source, early + late).with_lines(lines) from None
    if early:
        raise ConfigError(source, early).with_lines(lines)
    warnings: list[str] = _section_warnings(run, data)
    issues: list[ConfigIssue] = []
    ignored: list[IgnoredProvider] = []
    registry = with_external_providers(run, registry, issues)
    providers = _validate_providers(run, registry, issues, warnings, ignored)
    providers = _without_orphans(providers, ignored, warnings)
    run = _without_ignored(run, ignored, warnings)
    order = api_order(providers, issues)
    issues += single_provider_issues(providers) + provider_reference_issues(run, providers)
    _check_apis(run, registry, issues, warnings)
    _check_resource_providers(run, issues)
    _check_vector_store_providers(run, issues)
    _check_tool_groups(run, issues, warnings)
    auth = run.server.auth
    if run.server.quota is not None and (auth is None or auth.provider_config is None):
        if "authenticated_max_requests" in run.server.quota.model_fields_set:
            warnings.append(
                "server.quota.authenticated_max_requests is set but no authentication provider "
                "is configured: anonymous_max_requests applies to every client"
            )
    if auth is not None and auth.access_policy and auth.provider_config is None:
        warnings.append(
            "server.auth.access_policy is set but no authentication provider is: without "
            "identities every caller is anonymous and the policy cannot apply"
        )
    issues += server_section_issues(run) + safety_issues(run) + connector_issues(run.connectors)
    warnings += safety_warnings(run)
    if issues:
        raise ConfigError(source, issues).with_lines(lines)
    return LoadedConfig(run, providers, source, warnings, lines, order)


def server_section_issues(run: RunConfig) -> list[ConfigIssue]:
    """Cross-section problems of the server section (the quota store's reference)."""
    out = []
    quota = run.server.quota
    if quota is not None and isinstance(quota.kvstore, KVReference):
        problem = run.reference_problem(quota.kvstore, "server.quota.kvstore")
        if problem:
            out.append(
                ConfigIssue(
                    ("server", "quota", "kvstore", "backend"),
                    problem,
                    "name a KV backend declared under storage.backends",
                )
            )
    return out


def _explained_by(issue: ConfigIssue, earlier: list[ConfigIssue]) -> bool:
    """True when an earlier issue covers the same place (e.g. a missing env var)."""
    return any(issue.path[: len(e.path)] == e.path for e in earlier)


def _validate_providers(
    run: RunConfig,
    registry: ProviderCatalogue,
    issues: list[ConfigIssue],
    warnings: list[str],
    ignored: list[IgnoredProvider],
) -> list[ProviderInstanceConfig]:
    out: list[ProviderInstanceConfig] = []
    llama_stack = llama_stack_provider_types()
    for api_name, entries in run.providers.items():
        if api_name in API_ALIASES:
            warnings.append(
                f"providers.{api_name} is the older name of providers."
                f"{API_ALIASES[api_name]}; it is served as that (`corral config migrate` "
                "rewrites it)"
            )
        if api_name in UNSERVED_APIS:
            warnings.append(
                f"providers.{api_name}: corral does not serve the {api_name} API; its "
                f"{len(entries)} provider(s) are not started and its routes answer 404"
            )
            continue
        if api_name not in Api.__members__ and api_name not in API_ALIASES:
            issues.append(_unknown_api(("providers", api_name), api_name))
            continue
        api = API_ALIASES.get(api_name) or Api(api_name)
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            path = ("providers", api_name, index)
            if entry.is_disabled():
                continue
            why = UNSERVED_PROVIDER_TYPES.get((api, entry.provider_type))
            if why is not None:
                warnings.append(
                    f"providers.{api_name}[{index}] ({entry.provider_id}, {entry.provider_type}): "
                    f"corral does not serve {entry.provider_type} ({why}); the entry is ignored "
                    "and its tool groups are not started"
                )
                continue
            if entry.provider_id in seen:
                issues.append(
                    ConfigIssue(
                        path + ("provider_id",),
                        f"provider_id {entry.provider_id!r} is used twice for {api_name}",
                        "give each provider instance its own id",
                    )
                )
            seen.add(entry.provider_id)
            if _unserved_type(api, entry, registry, llama_stack):
                skipped = IgnoredProvider(api_name, index, entry.provider_id, entry.provider_type)
                ignored.append(skipped)
                warnings.append(skipped.warning())
                continue
            found = _instance(api, entry, index, registry, issues, api_name)
            if found is not None:
                out.append(found)
    return out


def _unserved_type(
    api: Api,
    entry: ProviderEntry,
    registry: ProviderCatalogue,
    llama_stack: Mapping[str, frozenset[str]],
) -> bool:
    """True for a Llama Stack provider type that no installed corral provider serves."""
    provider_type = PROVIDER_TYPE_ALIASES.get((api, entry.provider_type), entry.provider_type)
    if entry.module is not None or registry.get(api, provider_type) is not None:
        return False
    return entry.provider_type in llama_stack.get(str(api), frozenset())


def _without_orphans(
    providers: list[ProviderInstanceConfig],
    ignored: list[IgnoredProvider],
    warnings: list[str],
) -> list[ProviderInstanceConfig]:
    """Also ignore providers that need an API whose providers were all ignored.

    A Llama Stack layout whose only inference provider corral lacks (nvidia, oci,
    watsonx) still starts: its vector_io, safety and responses providers, which
    cannot work without inference, are ignored with a warning instead of refused.
    """
    lost = {API_ALIASES.get(i.api, i.api) for i in ignored}
    while True:
        served = {str(p.api) for p in providers}
        orphans = {
            id(p): (p, dep)
            for p in providers
            for dep in p.provider.spec.api_dependencies
            if str(dep) not in served and str(dep) in lost
        }
        if not orphans:
            return providers
        for inst, dep in orphans.values():
            skipped = IgnoredProvider(
                str(inst.api), inst.index, inst.entry.provider_id, inst.entry.provider_type, dep
            )
            ignored.append(skipped)
            warnings.append(skipped.warning())
            lost.add(str(inst.api))
        providers = [p for p in providers if id(p) not in orphans]


def _without_ignored(
    run: RunConfig, ignored: list[IgnoredProvider], warnings: list[str]
) -> RunConfig:
    """`run` without the ignored provider entries and the resources that name them."""
    if not ignored:
        return run
    gone = {(API_ALIASES.get(i.api, i.api), i.provider_id) for i in ignored}
    providers = {
        api: [e for e in entries if (API_ALIASES.get(api, api), e.provider_id) not in gone]
        for api, entries in run.providers.items()
    }

    def keep(kind: str, api: str, items: list[Any], where: str) -> list[Any]:
        out = []
        for index, item in enumerate(items):
            if (api, item.provider_id) in gone and not item.is_disabled():
                name = getattr(item, f"{kind}_id")
                warnings.append(
                    f"{where}[{index}] ({name}): its provider {item.provider_id!r} is ignored, "
                    f"so the {kind.replace('_', ' ')} is not served"
                )
            else:
                out.append(item)
        return out

    res = run.registered_resources
    update: dict[str, Any] = {
        "providers": providers,
        "models": keep("model", "inference", run.models, "models"),
        "shields": keep("shield", "safety", run.shields, "shields"),
        "registered_resources": res.model_copy(
            update={
                "models": keep("model", "inference", res.models, "registered_resources.models"),
                "shields": keep("shield", "safety", res.shields, "registered_resources.shields"),
                "vector_stores": keep(
                    "vector_store",
                    "vector_io",
                    res.vector_stores,
                    "registered_resources.vector_stores",
                ),
                "vector_dbs": keep(
                    "vector_store", "vector_io", res.vector_dbs, "registered_resources.vector_dbs"
                ),
            }
        ),
    }
    defaults = run.vector_stores
    if isinstance(defaults, list):
        update["vector_stores"] = keep("vector_store", "vector_io", defaults, "vector_stores")
    elif ("vector_io", defaults.default_provider_id) in gone:
        warnings.append(
            f"vector_stores.default_provider_id: {defaults.default_provider_id!r} is ignored, so "
            "new vector stores go to the only vector_io provider (or must name one)"
        )
        update["vector_stores"] = defaults.model_copy(update={"default_provider_id": None})
    return run.model_copy(update=update)


def _section_warnings(run: RunConfig, data: dict[str, Any]) -> list[str]:
    """Llama Stack keys that load but do not do all they do there."""
    out = []
    resources = data.get("registered_resources")
    if isinstance(resources, dict) and "vector_dbs" in resources:
        out.append(
            "registered_resources.vector_dbs is the older name of registered_resources."
            "vector_stores; it is read as that (`corral config migrate` rewrites it)"
        )
    defaults = run.vector_stores
    if not isinstance(defaults, list) and defaults.rewrite_query_params is not None:
        out.append(
            "vector_stores.rewrite_query_params is ignored: corral does not rewrite search "
            "queries (searches use the query as sent)"
        )
    if run.external_apis_dir:
        out.append(external_apis_warning(run.external_apis_dir))
    return out


def external_apis_warning(folder: str) -> str:
    """The warning for Llama Stack's external APIs folder, naming the APIs found in it."""
    path = FsPath(folder).expanduser()
    names = sorted(p.stem for p in path.glob("*.yaml")) if path.is_dir() else []
    found = f"the APIs {', '.join(names)} are" if names else "no API is"
    return (
        f"external_apis_dir {folder!r}: corral serves only its own APIs, so {found} not "
        "served (an external API needs Llama Stack's server to host it)"
    )


def _instance(
    api: Api,
    entry: ProviderEntry,
    index: int,
    registry: ProviderCatalogue,
    issues: list[ConfigIssue],
    section: str | None = None,
) -> ProviderInstanceConfig | None:
    # an older section name (``agents``) keeps its own path, so errors point at its line
    path: tuple[str | int, ...] = ("providers", section or str(api), index)
    provider_type = PROVIDER_TYPE_ALIASES.get((api, entry.provider_type), entry.provider_type)
    provider = registry.get(api, provider_type)
    if provider is None:
        known = registry.types_for(api)
        close = difflib.get_close_matches(entry.provider_type, known, n=1)
        fix = f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(known)}"
        issues.append(
            ConfigIssue(
                path + ("provider_type",),
                f"unknown {api} provider type {entry.provider_type!r}",
                fix if known else "no provider of this API is installed",
            )
        )
        return None
    try:
        config = provider.spec.config.model_validate(entry.config)
    except ValidationError as exc:
        issues.extend(
            issues_from_validation(exc, entry.config, provider.spec.config, path + ("config",))
        )
        return None
    return ProviderInstanceConfig(api, index, entry, config, provider)


def _unknown_api(path: tuple[str | int, ...], name: str) -> ConfigIssue:
    known = [*Api.__members__, *ROUTING_TABLES, *UNSERVED_APIS]
    close = difflib.get_close_matches(name, known, n=1)
    fix = f"did you mean {close[0]!r}?" if close else f"use one of: {', '.join(Api.__members__)}"
    return ConfigIssue(path, f"unknown API {name!r}", fix)


def _check_apis(
    run: RunConfig, registry: ProviderCatalogue, issues: list[ConfigIssue], warnings: list[str]
) -> None:
    for index, name in enumerate(run.apis):
        if name in API_ALIASES:
            name = API_ALIASES[name]
        if name in UNSERVED_APIS:
            warnings.append(f"apis[{index}]: corral does not serve the {name!r} API")
        elif name not in Api.__members__ and name not in ROUTING_TABLES:
            issues.append(_unknown_api(("apis", index), name))
        elif name in Api.__members__ and not _has_providers(run, Api(name)):
            warnings.append(f"apis[{index}]: {name!r} is listed but has no provider configured")


def _has_providers(run: RunConfig, api: Api) -> bool:
    """True for a built-in API or one with a provider (under its name or an older one)."""
    if api in BUILTIN_APIS or run.provider_ids(str(api)):
        return True
    return any(run.provider_ids(old) for old, new in API_ALIASES.items() if new == api)


def _check_resource_providers(run: RunConfig, issues: list[ConfigIssue]) -> None:
    groups: list[tuple[tuple[str, ...], str, list[Any]]] = [
        (("models",), "inference", run.models),
        (("registered_resources", "models"), "inference", run.registered_resources.models),
        (("shields",), "safety", run.shields),
        (("registered_resources", "shields"), "safety", run.registered_resources.shields),
    ]
    for prefix, api, resources in groups:
        available = run.provider_ids(api)
        for index, res in enumerate(resources):
            if res.is_disabled():
                continue
            if res.provider_id is None and len(available) != 1:
                issues.append(
                    ConfigIssue(
                        (*prefix, index, "provider_id"),
                        f"provider_id is required when there is not exactly one {api} provider",
                        f"set provider_id to one of: {', '.join(available) or '(none)'}",
                    )
                )
            elif res.provider_id is not None and res.provider_id not in available:
                issues.append(
                    ConfigIssue(
                        (*prefix, index, "provider_id"),
                        f"no {api} provider has id {res.provider_id!r}",
                        f"use one of: {', '.join(available) or '(none configured)'}",
                    )
                )


def _check_tool_groups(run: RunConfig, issues: list[ConfigIssue], warnings: list[str]) -> None:
    """A tool group names a tool_runtime provider (one corral does not serve: a warning)."""
    started = {
        p.provider_id
        for p in run.providers.get("tool_runtime", [])
        if not p.is_disabled()
        and (Api.tool_runtime, p.provider_type) not in UNSERVED_PROVIDER_TYPES
    }
    skipped = set(run.provider_ids("tool_runtime")) - started
    groups: list[tuple[tuple[str, ...], list[Any]]] = [
        (("tool_groups",), run.tool_groups),
        (("registered_resources", "tool_groups"), run.registered_resources.tool_groups),
    ]
    for prefix, entries in groups:
        for index, group in enumerate(entries):
            if group.is_disabled() or group.provider_id in started:
                continue
            if group.provider_id in skipped:
                warnings.append(
                    f"{'.'.join(prefix)}[{index}]: tool group {group.toolgroup_id!r} is not "
                    f"registered (its provider {group.provider_id!r} is not served)"
                )
                continue
            issues.append(
                ConfigIssue(
                    (*prefix, index, "provider_id"),
                    f"no tool_runtime provider has id {group.provider_id!r}",
                    f"use one of: {', '.join(sorted(started)) or '(none configured)'}",
                )
            )


def _check_vector_store_providers(run: RunConfig, issues: list[ConfigIssue]) -> None:
    groups: list[tuple[tuple[str, ...], list[Any]]] = [
        (("registered_resources", "vector_stores"), run.registered_resources.vector_stores)
    ]
    if isinstance(run.vector_stores, list):
        groups.append((("vector_stores",), run.vector_stores))
    available = run.provider_ids("vector_io")
    default = run.vector_stores
    if not isinstance(default, list) and default.default_provider_id not in (None, *available):
        issues.append(
            ConfigIssue(
                ("vector_stores", "default_provider_id"),
                f"no vector_io provider has id {default.default_provider_id!r}",
                f"use one of: {', '.join(available) or '(none configured)'}",
            )
        )
    for prefix, entries in groups:
        for index, res in enumerate(entries):
            if res.is_disabled() or res.provider_id is None or res.provider_id in available:
                continue
            issues.append(
                ConfigIssue(
                    (*prefix, index, "provider_id"),
                    f"no vector_io provider has id {res.provider_id!r}",
                    f"use one of: {', '.join(available) or '(none configured)'}",
                )
            )
