"""Rewrite an older run config into the current form (``corral config migrate``).

Works on the raw YAML data (before env substitution, so ``${env...}``
expressions survive) and returns new data plus a list of what changed. Every
block `corral.config.legacy` recognises has a rewrite here; comments in the
original file are not preserved (the CLI says so).
"""

from __future__ import annotations

import re
from typing import Any

from corral.config.legacy import LEGACY_STORE_BLOCKS, PROVIDER_STORE_FIELDS, inline_provider_stores

_OLD_DEFAULT = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*):(?![=+])")
_KV_TYPES = {
    "sqlite": "kv_sqlite",
    "postgres": "kv_postgres",
    "redis": "kv_redis",
    "mongodb": "kv_mongodb",
}
_SQL_TYPES = {"sqlite": "sql_sqlite", "postgres": "sql_postgres"}
_STORE_DEFAULTS = {
    "metadata": ("kv", {"namespace": "registry"}),
    "inference": ("sql", {"table_name": "inference_store"}),
    "conversations": ("sql", {"table_name": "openai_conversations"}),
}
_DROPPED_APIS = ("telemetry",)


def migrate(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The migrated config and a human-readable list of the changes made."""
    out = _rewrite_env_syntax(data)
    changes: list[str] = []
    if "conda_env" in out:
        del out["conda_env"]
        changes.append("removed conda_env (no longer used)")
    _migrate_stores(out, changes)
    _migrate_single_storage(out, changes)
    _migrate_provider_stores(out, changes)
    _drop_apis(out, changes)
    _rename_agents(out, changes)
    _rename_vector_dbs(out, changes)
    server = out.get("server")
    if isinstance(server, dict):
        _migrate_auth(server, changes)
        _migrate_quota(server, changes)
    if out.get("version") != 2:
        out = {"version": 2, **{k: v for k, v in out.items() if k != "version"}}
        changes.append("set version: 2")
    return out, changes


def _rewrite_env_syntax(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _rewrite_env_syntax(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite_env_syntax(v) for v in value]
    if isinstance(value, str):
        return _OLD_DEFAULT.sub(lambda m: "${env." + m.group(1) + ":=", value)
    return value


class _Backends:
    """Adds backends to ``storage.backends``, reusing one when the settings are equal."""

    def __init__(self, config: dict[str, Any]) -> None:
        storage = config.setdefault("storage", {})
        self.backends: dict[str, Any] = storage.setdefault("backends", {})
        self.stores: dict[str, Any] = storage.setdefault("stores", {})

    def add(self, family: str, settings: dict[str, Any]) -> str:
        for name, existing in self.backends.items():
            if existing == settings:
                return name
        base = f"{family}_default"
        name, n = base, 2
        while name in self.backends:
            name, n = f"{base}_{n}", n + 1
        self.backends[name] = settings
        return name


def _backend_settings(block: dict[str, Any], family: str) -> dict[str, Any]:
    kind = str(block.get("type", "sqlite"))
    types = _KV_TYPES if family == "kv" else _SQL_TYPES
    settings = {k: v for k, v in block.items() if k not in ("type", "namespace", "table_name")}
    return {"type": types.get(kind, f"{family}_{kind}"), **settings}


def _migrate_stores(config: dict[str, Any], changes: list[str]) -> None:
    for old_key, store in LEGACY_STORE_BLOCKS.items():
        block = config.pop(old_key, None)
        if not isinstance(block, dict):
            continue
        backends = _Backends(config)
        family, defaults = _STORE_DEFAULTS[store]
        name = backends.add(family, _backend_settings(block, family))
        ref = {"backend": name, **defaults}
        if family == "kv" and block.get("namespace"):
            ref["namespace"] = block["namespace"]
        backends.stores[store] = ref
        changes.append(f"{old_key} → storage.backends.{name} + storage.stores.{store}")


def _migrate_single_storage(config: dict[str, Any], changes: list[str]) -> None:
    storage = config.get("storage")
    if not isinstance(storage, dict) or not ({"type", "db_path"} & storage.keys()):
        return
    old = {k: storage.pop(k) for k in ("type", "db_path") if k in storage}
    old_stores = storage.pop("stores", {}) or {}
    backends = _Backends(config)
    registry = backends.add("kv", _backend_settings({"type": "sqlite", **old}, "kv"))
    backends.stores.setdefault("metadata", {"backend": registry, "namespace": "registry"})
    for store, block in old_stores.items():
        if isinstance(block, dict) and "type" in block:
            family = "sql" if str(block["type"]).startswith("sql") else "kv"
            settings = {**block, "type": block["type"]}
            name = backends.add(family, settings)
            _, defaults = _STORE_DEFAULTS.get(store, (family, {"namespace": store}))
            backends.stores[store] = {"backend": name, **defaults}
    changes.append("storage.type/db_path → storage.backends + storage.stores")


def _migrate_provider_stores(config: dict[str, Any], changes: list[str]) -> None:
    """Inline ``kvstore`` / ``metadata_store`` blocks of providers → references to backends."""
    for api, index, name, block in inline_provider_stores(config.get("providers")):
        entry = config["providers"][api][index]
        family = "kv" if name == "kvstore" else "sql"
        backend = _Backends(config).add(family, _backend_settings(block, family))
        target = PROVIDER_STORE_FIELDS[name]
        del entry["config"][name]
        if family == "kv":
            namespace = block.get("namespace") or f"{api}::{entry.get('provider_id', index)}"
            entry["config"][target] = {"backend": backend, "namespace": namespace}
        else:
            entry["config"][target] = {"backend": backend, "table_name": "openai_files"}
        changes.append(
            f"providers.{api}[{index}].config.{name} → storage.backends.{backend} + {target}"
        )


def _drop_apis(config: dict[str, Any], changes: list[str]) -> None:
    apis = config.get("apis")
    providers = config.get("providers")
    for api in _DROPPED_APIS:
        if isinstance(apis, list) and api in apis:
            apis.remove(api)
            changes.append(f"removed the {api} API (no longer part of the stack)")
        if isinstance(providers, dict) and api in providers:
            del providers[api]


def _rename_agents(config: dict[str, Any], changes: list[str]) -> None:
    """``agents`` (Llama Stack before 0.3) is today's ``responses`` API."""
    apis = config.get("apis")
    if isinstance(apis, list) and "agents" in apis:
        apis[apis.index("agents")] = "responses"
        changes.append("apis: agents → responses")
    providers = config.get("providers")
    if not isinstance(providers, dict) or "agents" not in providers:
        return
    entries = providers.pop("agents")
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("provider_type") == "inline::meta-reference":
            entry["provider_type"] = "inline::builtin"
    providers["responses"] = [*(providers.get("responses") or []), *(entries or [])]
    changes.append(
        "providers.agents → providers.responses (inline::meta-reference → inline::builtin)"
    )


_VECTOR_DB_FIELDS = {
    "vector_db_id": "vector_store_id",
    "provider_vector_db_id": "provider_vector_store_id",
}


def _rename_vector_dbs(config: dict[str, Any], changes: list[str]) -> None:
    """``registered_resources.vector_dbs`` (Llama Stack before 0.3) is ``vector_stores``."""
    resources = config.get("registered_resources")
    if not isinstance(resources, dict) or "vector_dbs" not in resources:
        return
    entries = resources.pop("vector_dbs") or []
    renamed = [
        {_VECTOR_DB_FIELDS.get(k, k): v for k, v in e.items()} if isinstance(e, dict) else e
        for e in entries
    ]
    resources["vector_stores"] = [*(resources.get("vector_stores") or []), *renamed]
    changes.append(
        "registered_resources.vector_dbs → registered_resources.vector_stores "
        "(vector_db_id → vector_store_id)"
    )


def _migrate_auth(server: dict[str, Any], changes: list[str]) -> None:
    auth = server.get("auth")
    if not isinstance(auth, dict) or "provider_type" not in auth:
        return
    provider = {"type": auth.pop("provider_type"), **(auth.pop("config", None) or {})}
    if "ca_cert_path" in provider:
        provider["tls_cafile"] = provider.pop("ca_cert_path")
    server["auth"] = {"provider_config": provider, **auth}
    changes.append("server.auth provider_type + config → server.auth.provider_config")


def _migrate_quota(server: dict[str, Any], changes: list[str]) -> None:
    quota = server.get("quota")
    if not isinstance(quota, dict) or not ({"type", "config", "limit"} & quota.keys()):
        return
    store = {"type": quota.get("type", "sqlite"), **(quota.get("config") or {})}
    limit = quota.get("limit") or {}
    max_requests = limit.get("max_requests", 1000)
    server["quota"] = {
        "kvstore": store,
        "anonymous_max_requests": max_requests,
        "authenticated_max_requests": max_requests,
        "period": limit.get("period", "day"),
    }
    changes.append("server.quota type/config/limit → kvstore + *_max_requests + period")
