"""``server.quota``: per-client request limits.

`kvstore` takes the documented inline form (``{type: sqlite, db_path}``) or a
reference to a named KV backend (``{backend, namespace}``) so several replicas
can share Redis or Postgres counters.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from corral.config.base import ConfigModel
from corral.config.storage import KVReference


class InlineSqliteQuotaStore(ConfigModel):
    """The documented quota store form: a SQLite file of its own."""

    type: Literal["sqlite"] = "sqlite"
    db_path: str = "./quotas.db"
    namespace: str | None = None


class QuotaConfig(ConfigModel):
    """``server.quota``."""

    kvstore: InlineSqliteQuotaStore | KVReference
    anonymous_max_requests: int = Field(100, ge=0)
    authenticated_max_requests: int = Field(1000, ge=0)
    period: Literal["minute", "hour", "day"] = "day"
    on_store_error: Literal["deny", "allow"] = "deny"
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses (or CIDRs) whose X-Forwarded-For header is believed.",
    )

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "kvstore": {"type": "sqlite", "db_path": "./quotas.db"},
            "anonymous_max_requests": 100,
            "authenticated_max_requests": 1000,
            "period": "day",
        }
