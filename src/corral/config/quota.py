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
    """`sqlite`."""
    db_path: str = "./quotas.db"
    """SQLite file for the counters."""
    namespace: str | None = None
    """Key prefix."""


class QuotaConfig(ConfigModel):
    """``server.quota``."""

    kvstore: InlineSqliteQuotaStore | KVReference
    """Where counters live: the documented `{type: sqlite, db_path}` or `{backend, namespace}` on a
    named KV backend (Redis/Postgres for several replicas).
    """
    anonymous_max_requests: int = Field(100, ge=0)
    """Requests per period for clients without a token (counted per IP)."""
    authenticated_max_requests: int = Field(1000, ge=0)
    """Requests per period for each authenticated principal."""
    period: Literal["minute", "hour", "day"] = "day"
    """Window length: `minute`, `hour` or `day` (windows are aligned to the clock)."""
    on_store_error: Literal["deny", "allow"] = "deny"
    """`deny` (503) or `allow` when the counter store is unreachable."""
    store_timeout_ms: int = Field(500, ge=1, le=60000)
    """Deadline of one counter call; a store slower than this counts as failing."""
    breaker_threshold: int = Field(3, ge=1)
    """Failed counter calls in a row (timeouts or errors) after which the store is not asked
    for `breaker_cooldown_seconds`: requests get `on_store_error` at once."""
    breaker_cooldown_seconds: float = Field(5.0, gt=0)
    """How long the store is left alone after `breaker_threshold` failures; then one request
    probes it (success closes the breaker)."""
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
