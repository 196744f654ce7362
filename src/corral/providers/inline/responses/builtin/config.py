"""Config of ``inline::builtin`` (Llama Stack's field names; the older ``agents`` form too).

Where the records go, in order of precedence: ``persistence.responses`` here,
then ``storage.stores.responses``, then a ``responses`` table on the first SQL
backend of the run config; with no SQL backend at all they live in memory and
the server says so at startup. ``persistence.agent_state`` is accepted for
Llama Stack compatibility (its older agents API kept sessions there); the
Responses API keeps nothing in it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from corral.config.base import ConfigModel
from corral.config.storage import InferenceStoreReference, KVReference


class ResponsesPersistence(ConfigModel):
    """Where the provider keeps its records."""

    agent_state: KVReference | None = None
    """Accepted for Llama Stack compatibility; the Responses API stores nothing there."""
    responses: InferenceStoreReference | None = None
    """SQL store of responses (`max_write_queue_size` bounds the responses waiting to be
    written, beyond which requests wait for the database; `num_writers` is accepted for
    Llama Stack compatibility: one writer batches every write)."""


class BuiltinResponsesConfig(ConfigModel):
    """The agent loop: Responses on top of corral's inference, vector stores and safety."""

    persistence: ResponsesPersistence | None = None
    """Where responses are stored (see the module notes for the fallbacks)."""
    max_infer_iters: int = Field(10, ge=1, le=100)
    """Model calls per response when the request sets no `max_infer_iters`."""
    durable_writes: bool = False
    """Commit each response before answering (one transaction on the request's path).
    Off: responses are written right after, in batches; a follow-up through the same
    server always finds them and shutdown writes them all, but a killed process loses the
    last few milliseconds of responses."""
    background_lease_seconds: int = Field(30, ge=5)
    """A background response whose worker has not renewed its lease for this long (the
    server died) is marked failed by the next server that starts."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "persistence": {
                "agent_state": {"backend": "kv_default", "namespace": "agents"},
                "responses": {"backend": "sql_default", "table_name": "responses"},
            }
        }
