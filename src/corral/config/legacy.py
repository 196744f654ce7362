"""Recognise the older run-config forms that existing users still have.

Each older block is reported with the new form it must take, so a user never
gets a bare "unknown key" for a file that used to work, and an old auth block
is never silently ignored. `corral config migrate` rewrites them
(see `corral.config.migrate`).
"""

from __future__ import annotations

from typing import Any

from corral.config.issues import ConfigIssue

#: Top-level per-store blocks of older files → the store name they become.
LEGACY_STORE_BLOCKS = {
    "metadata_store": "metadata",
    "inference_store": "inference",
    "conversations_store": "conversations",
}

#: Older inline store fields of provider configs → the reference field that replaces them.
PROVIDER_STORE_FIELDS = {"kvstore": "persistence", "metadata_store": "metadata_store"}

MIGRATE_HINT = "run `corral config migrate FILE -o NEW.yaml` to rewrite the file"


def legacy_issues(data: dict[str, Any]) -> list[ConfigIssue]:
    """Issues for every older block in `data` (raw YAML, before env substitution)."""
    issues: list[ConfigIssue] = []
    for key, store in LEGACY_STORE_BLOCKS.items():
        if key in data:
            issues.append(
                ConfigIssue(
                    (key,),
                    f"`{key}` is the older per-store form",
                    f"declare the database once under storage.backends (e.g. kv_default: "
                    f"{{type: kv_sqlite, db_path: ...}}) and reference it as storage.stores."
                    f"{store}: {{backend: kv_default, ...}}; {MIGRATE_HINT}",
                )
            )
    if "conda_env" in data:
        issues.append(
            ConfigIssue(
                ("conda_env",), "`conda_env` is no longer used", f"delete it; {MIGRATE_HINT}"
            )
        )
    issues.extend(_provider_store_issues(data.get("providers")))
    server = data.get("server")
    if isinstance(server, dict):
        issues.extend(_auth_issues(server.get("auth")))
        issues.extend(_quota_issues(server.get("quota")))
    return issues


def inline_provider_stores(providers: Any) -> list[tuple[str, int, str, dict[str, Any]]]:
    """(api, index, field, block) of every inline ``kvstore``/``metadata_store`` in providers."""
    out: list[tuple[str, int, str, dict[str, Any]]] = []
    if not isinstance(providers, dict):
        return out
    for api, entries in providers.items():
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            config = entry.get("config") if isinstance(entry, dict) else None
            for name in PROVIDER_STORE_FIELDS:
                block = config.get(name) if isinstance(config, dict) else None
                if isinstance(block, dict) and "type" in block:
                    out.append((str(api), index, name, block))
    return out


def _provider_store_issues(providers: Any) -> list[ConfigIssue]:
    # The inline SQLite form is accepted as written (the reference example uses it for
    # inline::faiss); other inline types cannot be opened per provider any more.
    return [
        ConfigIssue(
            ("providers", api, index, "config", name),
            f"`{name}: {{type: {block['type']}, ...}}` is the older inline per-provider store "
            "form; only `type: sqlite` is still accepted inline",
            "declare the database once under storage.backends and reference it as "
            f"{PROVIDER_STORE_FIELDS[name]}: {{backend: <name>, ...}}; {MIGRATE_HINT}",
        )
        for api, index, name, block in inline_provider_stores(providers)
        if block["type"] != "sqlite"
    ]


def _auth_issues(auth: Any) -> list[ConfigIssue]:
    if not isinstance(auth, dict) or not ("provider_type" in auth or "config" in auth):
        return []
    ptype = auth.get("provider_type", "<type>")
    return [
        ConfigIssue(
            ("server", "auth"),
            "`provider_type` + `config` is the auth form replaced in v0.2.14; it is refused "
            "rather than ignored, because an ignored auth block leaves the server open",
            f"write server.auth.provider_config: {{type: {ptype}, <the fields of config>}}; "
            f"{MIGRATE_HINT}",
        )
    ]


def _quota_issues(quota: Any) -> list[ConfigIssue]:
    if not isinstance(quota, dict) or not ({"type", "config", "limit"} & quota.keys()):
        return []
    return [
        ConfigIssue(
            ("server", "quota"),
            "`type`/`config`/`limit` is the first quota design",
            "write server.quota: {kvstore: {type: sqlite, db_path: ...}, "
            "anonymous_max_requests: N, authenticated_max_requests: N, period: day}; "
            f"{MIGRATE_HINT}",
        )
    ]
