"""Config of ``inline::batches``'s ``inline::reference`` (Llama Stack's type name and fields).

Where batches are kept, in order of precedence: ``store`` here, then
``storage.stores.batches``, then a ``batches`` table on the first SQL backend of
the run config; with no SQL backend they live in memory (and do not survive a
restart). Llama Stack keeps batches in a KV store (``kvstore``); that field is
accepted so its configs load, and ignored: corral needs a SQL table for the
per-line results and the lease that keeps two servers from running one batch.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.config.base import ConfigModel
from corral.config.storage import KVReference, SqlReference


class ReferenceBatchesConfig(ConfigModel):
    """Batches run inside corral, line by line through its inference router."""

    store: SqlReference | None = None
    """SQL table of batches (line results go to `<table_name>_lines` beside it)."""
    kvstore: KVReference | None = None
    """Accepted for Llama Stack compatibility; corral keeps batches in the SQL `store`."""
    max_concurrent_batches: int = Field(4, ge=1)
    """Batches one server runs at a time; more wait (status `validating`) for a free slot."""
    max_concurrent_requests_per_batch: int = Field(10, ge=1)
    """Lines of one batch in flight at a time."""
    lease_seconds: float = Field(30.0, ge=2.0)
    """A running batch's lease; a server that stops renewing it (it died) loses the batch to
    the next server that looks, which resumes after the lines already finished."""
    poll_interval_seconds: float = Field(2.0, gt=0.0)
    """How often a server looks for batches nobody runs (created elsewhere, or orphaned)."""
    flush_interval_seconds: float = Field(0.2, gt=0.0)
    """Finished lines are written in groups this often; a killed server redoes at most the
    lines finished in its last interval (a stopped one writes them all first)."""
    max_listed_errors: int = Field(100, ge=1)
    """Input problems listed in a failed batch's `errors` (the first ones, by line)."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "store": {"backend": "sql_default", "table_name": "batches"},
            "max_concurrent_requests_per_batch": 10,
        }
