"""Config of eval's ``inline::builtin``."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.config.base import ConfigModel
from corral.config.storage import KVReference, SqlReference


class BuiltinEvalConfig(ConfigModel):
    """Eval jobs run inside corral: generations through the inference (or responses) router."""

    store: SqlReference | None = None
    """SQL table of jobs (generations go to `<table_name>_rows`); default `eval_jobs` on the
    first SQL backend, in memory without one."""
    kvstore: KVReference | None = None
    """Accepted for Llama Stack compatibility; corral keeps jobs in the SQL `store`."""
    max_concurrent_jobs: int = Field(2, ge=1)
    """Jobs one server runs at a time; more wait (status `scheduled`)."""
    max_concurrent_generations: int = Field(4, ge=1)
    """Rows of one job generated at the same time."""
    lease_seconds: float = Field(30.0, ge=2.0)
    """A running job's lease; a server that stops renewing it loses the job to the next server
    that looks, which resumes after the rows already generated."""
    poll_interval_seconds: float = Field(2.0, gt=0.0)
    """How often a server looks for jobs nobody runs."""
    flush_interval_seconds: float = Field(0.5, gt=0.0)
    """Generated rows are written in groups this often."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"store": {"backend": "sql_default", "table_name": "eval_jobs"}}
