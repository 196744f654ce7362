"""`OpenAICompatAdapter`: an `InferenceProvider` for any OpenAI-compatible upstream.

Providers differ only in data (`Quirks`): where the key comes from in the
``X-LlamaStack-Provider-Data`` header, whether ``stream_options`` is accepted,
how model listing answers. The adapter swaps the model id for the upstream's
own and passes everything else through untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from corral.apis.inference.api import ChunkStream, DiscoveredModel, InferenceCall
from corral.providers.openai_compat.client import ClientSettings, OpenAICompatClient
from corral.providers.openai_compat.config import OpenAICompatConfig


@dataclass(frozen=True)
class Quirks:
    """The ways one upstream differs from plain OpenAI."""

    #: Key in the X-LlamaStack-Provider-Data JSON that carries a per-request API key.
    provider_data_key: str | None = None
    supports_stream_options: bool = True
    #: Path of the models listing, relative to the base URL.
    models_path: str = "/models"
    #: ``max_tokens`` of requests that set no limit (vLLM's ``max_tokens`` config).
    default_max_tokens: int | None = None
    #: Upstream models listed at startup (``allowed_models``); None lists all.
    allowed_models: frozenset[str] | None = None


class OpenAICompatAdapter:
    """Inference through an OpenAI-compatible HTTP API."""

    def __init__(self, client: OpenAICompatClient, quirks: Quirks, refresh_models: bool) -> None:
        self.client = client
        self.quirks = quirks
        self.refresh_models = refresh_models

    def _key(self, call: InferenceCall) -> str | None:
        if self.quirks.provider_data_key is None:
            return None
        value = call.ctx.provider_data.get(self.quirks.provider_data_key)
        return value if isinstance(value, str) and value else None

    def _body(self, call: InferenceCall) -> dict[str, Any]:
        body = dict(call.body)
        body["model"] = call.model.provider_model_id
        if not self.quirks.supports_stream_options:
            body.pop("stream_options", None)
        limit = self.quirks.default_max_tokens
        if limit is not None and "max_tokens" not in body and "max_completion_tokens" not in body:
            body["max_tokens"] = limit
        return body

    async def chat_completion(self, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        """Chat completion, streamed when the body asks for it."""
        return await self._call("/chat/completions", call)

    async def completion(self, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        """Legacy completion."""
        return await self._call("/completions", call)

    async def embeddings(self, call: InferenceCall) -> dict[str, Any]:
        """Embeddings."""
        result = await self.client.post_json(
            "/embeddings", self._body(call), self._key(call), _principal(call)
        )
        if isinstance(result, dict):
            result["model"] = call.model.identifier
        return result  # type: ignore[no-any-return]

    async def _call(self, path: str, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        body = self._body(call)
        if body.get("stream") is True:
            return await self.client.stream(path, body, self._key(call), _principal(call))
        result = await self.client.post_json(path, body, self._key(call), _principal(call))
        if isinstance(result, dict):
            result["model"] = call.model.identifier
        return result  # type: ignore[no-any-return]

    async def list_models(self) -> list[DiscoveredModel]:
        """The upstream's models (OpenAI ``GET /models`` shape)."""
        data = await self.client.get_json(self.quirks.models_path)
        items = data.get("data", []) if isinstance(data, dict) else []
        out = []
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                model_id: str = item["id"]
                allowed = self.quirks.allowed_models
                if allowed is not None and model_id not in allowed:
                    continue
                if "embed" in model_id.lower():
                    out.append(DiscoveredModel(model_id, model_type="embedding"))
                else:
                    out.append(DiscoveredModel(model_id, model_type="llm"))
        return out

    async def shutdown(self) -> None:
        """Close the connection pool."""
        await self.client.close()


def _principal(call: InferenceCall) -> str | None:
    user = call.ctx.user
    return user.principal if user is not None else None


def build_adapter(
    config: OpenAICompatConfig, base_url: str, quirks: Quirks, name: str
) -> OpenAICompatAdapter:
    """An adapter with its own connection pool for one provider instance."""
    verify, cafile, read, connect, headers = config.connection()
    settings = ClientSettings(
        base_url=base_url,
        api_key=config.api_key,
        timeout=read,
        connect_timeout=connect or ClientSettings.connect_timeout,
        max_retries=config.max_retries,
        verify_tls=verify,
        tls_cafile=cafile,
        pool_size=config.pool_size,
        pool_timeout=config.pool_timeout,
        max_concurrent_per_principal=config.max_concurrent_per_principal,
        name=name,
        headers=tuple(headers.items()),
    )
    if config.allowed_models is not None:
        quirks = replace(quirks, allowed_models=frozenset(config.allowed_models))
    return OpenAICompatAdapter(OpenAICompatClient(settings), quirks, config.refresh_models)


class RerankingAdapter(OpenAICompatAdapter):
    """An upstream with a Cohere/Jina-style ``/rerank`` endpoint next to its OpenAI API (vLLM)."""

    async def rerank(self, call: InferenceCall) -> dict[str, Any]:
        """Llama Stack's rerank answer from the upstream's ``results``."""
        body = call.body
        upstream = {
            "model": call.model.provider_model_id,
            "query": _text(body.get("query")),
            "documents": [_text(item) for item in body.get("items") or []],
        }
        if body.get("max_num_results") is not None:
            upstream["top_n"] = body["max_num_results"]
        result = await self.client.post_json("/rerank", upstream, self._key(call))
        rows = result.get("results", []) if isinstance(result, dict) else []
        data = sorted(
            (
                {"index": int(r["index"]), "relevance_score": float(r["relevance_score"])}
                for r in rows
                if isinstance(r, dict) and "index" in r and "relevance_score" in r
            ),
            key=lambda d: -d["relevance_score"],
        )
        limit = body.get("max_num_results")
        return {"data": data[:limit] if isinstance(limit, int) else data}


def _text(part: Any) -> str:
    """A rerank query or item as text (a string, or a text content part)."""
    if isinstance(part, dict):
        return str(part.get("text") or "")
    return str(part or "")
