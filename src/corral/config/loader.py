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
from corral.config.issues import ConfigError, ConfigIssue
from corral.config.legacy import legacy_issues
from corral.config.pydantic_issues import issues_from_validation
from corral.config.run import ProviderEntry, RunConfig
from corral.config.safety import safety_issues
from corral.config.storage import KVReference
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
    warnings: list[str] = []
    issues: list[ConfigIssue] = []
    providers = _validate_providers(run, registry, issues, warnings)
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
) -> list[ProviderInstanceConfig]:
    out: list[ProviderInstanceConfig] = []
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
                    f"providers.{api_name}[{index}]: corral does not serve "
                    f"{entry.provider_type} ({why}); provider {entry.provider_id!r} and its tool "
                    "groups are not started"
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
            found = _instance(api, entry, index, registry, issues, api_name)
            if found is not None:
                out.append(found)
    return out


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
