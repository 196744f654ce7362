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
    server = data.get("server")
    if isinstance(server, dict):
        issues.extend(_auth_issues(server.get("auth")))
        issues.extend(_quota_issues(server.get("quota")))
    return issues


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
