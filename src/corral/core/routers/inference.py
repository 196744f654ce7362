"""The inference router: resolve the model, call its provider, record the completion.

Each method gets the request body as the client sent it (parsed once by the
route) and returns either a response dict or a chunk stream. Stream chunks pass
through as bytes; only the ``model`` field is rewritten to corral's id, with a
byte-level splice when the upstream writes compact JSON (the usual case) and a
parse/serialise fallback otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.inference.api import ChunkStream, InferenceCall, InferenceProvider, Reranks
from corral.apis.spec import Api
from corral.core.inference_store import InferenceStore
from corral.core.routers.guard import (
    ChatGuard,
    GuardShields,
    History,
    chat_history,
    prompt_history,
)
from corral.core.routers.observed import Observed, begin_call, end_call, observed_stream, want_usage
from corral.core.routers.safety import SAFETY
from corral.core.routers.spec import RouterContext, RouterSpec, implementations
from corral.core.routing_tables.models import ModelsTable, model_identifier
from corral.errors import InvalidRequest

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance

log = logging.getLogger("corral.inference")

_MODEL_KEYS = (b'"model":"', b'"model": "')


class InferenceRouter:
    """Routes OpenAI-compatible inference calls to the provider that owns the model."""

    def __init__(self, models: ModelsTable, store: InferenceStore | None) -> None:
        self.models = models
        self.store = store
        #: Set in the connect phase when the run config names guard shields.
        self.guard: ChatGuard | None = None

    def attach_guard(self, guard: ChatGuard) -> None:
        """Guard completions with shields (the stack's connect phase calls this once)."""
        self.guard = guard

    async def chat_completion(
        self, body: dict[str, Any], ctx: RequestContext, *, store: bool = True
    ) -> dict[str, Any] | ChunkStream:
        """``POST /v1/chat/completions`` (`store`: False for the agent loop's inner calls)."""
        routed = self.models.resolve(body.get("model"), ctx.user, want="llm")
        body, hidden_usage = want_usage(body)
        call = InferenceCall(routed.target, body, ctx)
        record = store and self.store is not None
        seen = begin_call(routed, "chat", hidden_usage)
        if self.guard is not None:
            shields = self.guard.shields_for(routed.target.identifier)
            if shields is not None:
                history = chat_history(body)
                return await self._guarded(call, routed.provider, shields, history, record, seen)
        try:
            result = await routed.provider.chat_completion(call)
        except BaseException:
            end_call(seen, None)
            raise
        if not isinstance(result, dict):
            result = observed_stream(result, seen)
        else:
            end_call(seen, result)
            if record and self.store is not None:
                self.store.record(body, result, ctx.user)
            return result
        return self._relabel(result, routed.target.identifier, body, ctx, record=record)

    async def _guarded(
        self,
        call: InferenceCall,
        provider: InferenceProvider,
        shields: GuardShields,
        history: History,
        record: bool,
        seen: Observed,
    ) -> dict[str, Any] | ChunkStream:
        """A chat completion (``messages``) or completion (``prompt``) between guard shields."""
        guard, body, ctx = self.guard, call.body, call.ctx
        assert guard is not None
        chat = "messages" in body
        await guard.check_input(shields, history, ctx)
        try:
            if chat:
                result = await provider.chat_completion(call)
            else:
                result = await provider.completion(call)
        except BaseException:
            end_call(seen, None)
            raise
        if isinstance(result, dict):
            end_call(seen, result)
            if shields.output:
                await guard.check_output(shields, history, result, ctx)
            if chat and record and self.store is not None:
                self.store.record(body, result, ctx.user)
            return result
        result = observed_stream(result, seen)
        if shields.output:
            result = guard.guard_stream(shields, history, result, ctx)
        return self._relabel(result, call.model.identifier, body, ctx, record=chat and record)

    async def completion(
        self, body: dict[str, Any], ctx: RequestContext
    ) -> dict[str, Any] | ChunkStream:
        """``POST /v1/completions``."""
        routed = self.models.resolve(body.get("model"), ctx.user, want="llm")
        body, hidden_usage = want_usage(body)
        call = InferenceCall(routed.target, body, ctx)
        seen = begin_call(routed, "text_completion", hidden_usage)
        if self.guard is not None:
            shields = self.guard.shields_for(routed.target.identifier)
            if shields is not None:
                history = prompt_history(body)
                return await self._guarded(call, routed.provider, shields, history, False, seen)
        try:
            result = await routed.provider.completion(call)
        except BaseException:
            end_call(seen, None)
            raise
        if isinstance(result, dict):
            end_call(seen, result)
            return result
        result = observed_stream(result, seen)
        return self._relabel(result, routed.target.identifier, body, ctx, record=False)

    async def embeddings(self, body: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        """``POST /v1/embeddings``."""
        routed = self.models.resolve(body.get("model"), ctx.user, want="embedding")
        seen = begin_call(routed, "embeddings", False)
        result: dict[str, Any] | None = None
        try:
            result = await routed.provider.embeddings(InferenceCall(routed.target, body, ctx))
        finally:
            end_call(seen, result)
        return result

    async def rerank(self, body: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
        """``POST /v1alpha/inference/rerank``: a rerank model ranks the items for the query."""
        routed = self.models.resolve(body.get("model"), ctx.user, want="rerank")
        if not isinstance(routed.provider, Reranks):
            raise InvalidRequest(
                f"the provider of model {routed.target.identifier!r} cannot rerank (vLLM can)",
                code="rerank_not_supported",
            )
        return await routed.provider.rerank(InferenceCall(routed.target, body, ctx))

    async def _relabel(
        self,
        chunks: ChunkStream,
        identifier: str,
        body: dict[str, Any],
        ctx: RequestContext,
        *,
        record: bool,
    ) -> AsyncIterator[bytes]:
        ident = orjson.dumps(identifier)[1:-1]
        seen: list[bytes] = []
        completed = False
        try:
            async for chunk in chunks:
                out = relabel_chunk(chunk, ident, identifier)
                if record:
                    seen.append(out)
                yield out
            completed = True
        finally:
            close = getattr(chunks, "aclose", None)
            if close is not None:
                await close()
            if completed and record and self.store is not None:
                self.store.record_stream(body, seen, ctx.user)

    async def shutdown(self) -> None:
        """Flush the inference store."""
        if self.store is not None:
            await self.store.close()


def relabel_chunk(chunk: bytes, ident: bytes, identifier: str) -> bytes:
    """Set the chunk's ``model`` to corral's id without re-serialising when possible."""
    for key in _MODEL_KEYS:
        start = chunk.find(key)
        if start >= 0:
            value_start = start + len(key)
            end = chunk.find(b'"', value_start)
            if end > 0 and b"\\" not in chunk[value_start:end]:
                return chunk[:value_start] + ident + chunk[end:]
    try:
        data = orjson.loads(chunk)
    except orjson.JSONDecodeError:
        return chunk
    if isinstance(data, dict) and "model" in data:
        data["model"] = identifier
        return orjson.dumps(data)
    return chunk


async def create_inference_router(
    ctx: RouterContext, instances: list[ProviderInstance]
) -> InferenceRouter:
    """Build the models table and router from the inference providers."""
    providers = implementations(instances, InferenceProvider)
    models = ModelsTable(ctx.resources, providers, ctx.access)
    run = ctx.loaded.run
    await models.register_config_models(run.all_models())
    await models.discover()
    store = None
    ref = run.storage.stores.inference
    if ref is not None:
        store = InferenceStore(
            ctx.storage.sql(ref),
            ref.table_name,
            ref.max_write_queue_size,
            ref.num_writers,
            ctx.access,
        )
        await store.start()
    return InferenceRouter(models, store)


def attach_chat_guard(router: InferenceRouter, ctx: RouterContext) -> None:
    """Connect phase: guard the models the config names shields for (the safety router exists)."""
    run = ctx.loaded.run
    safety = run.safety
    default = GuardShields(tuple(safety.input_shields), tuple(safety.output_shields))
    per_model: dict[str, GuardShields] = {}
    for model in run.all_models():
        provider_id = model.provider_id or router.models.default_provider()
        if provider_id is None or not (model.input_shields or model.output_shields):
            continue
        ident = model_identifier(provider_id, model.provider_model_id or model.model_id)
        inputs = _merged(default.input, model.input_shields)
        per_model[ident] = GuardShields(inputs, _merged(default.output, model.output_shields))
    if default.input or default.output or per_model:
        router.attach_guard(ChatGuard(default, per_model, ctx.routers.require(SAFETY)))


def _merged(first: tuple[str, ...], then: list[str]) -> tuple[str, ...]:
    return first + tuple(s for s in then if s not in first)


INFERENCE: RouterSpec[InferenceRouter] = RouterSpec(
    Api.inference, create_inference_router, attach_chat_guard
)
