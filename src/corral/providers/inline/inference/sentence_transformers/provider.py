"""`SentenceTransformersProvider`: OpenAI-compatible embeddings from an in-process model."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from corral.apis.health import ProviderHealth
from corral.apis.inference.api import ChunkStream, DiscoveredModel, InferenceCall
from corral.errors import InvalidParameter, InvalidRequest
from corral.providers.inline.inference.sentence_transformers.batcher import EmbeddingBatcher
from corral.providers.inline.inference.sentence_transformers.config import (
    SentenceTransformersConfig,
)
from corral.providers.inline.inference.sentence_transformers.encoders import (
    CATALOGUE,
    MINILM,
    build_encoder,
)
from corral.providers.inline.loading import BackgroundLoad


class SentenceTransformersProvider:
    """Embeddings only; the model loads in the background at startup."""

    #: Register the built-in model at startup without listing it in the run config.
    refresh_models = True

    def __init__(self, config: SentenceTransformersConfig) -> None:
        self._config = config
        # One thread owns the model: loading and every batch run there, in order.
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="corral-embeddings")
        self._load = BackgroundLoad(
            f"embedding model {MINILM.name} ({config.backend})",
            lambda: build_encoder(config.backend, MINILM, config.threads),
            self._executor,
        )
        self._batcher: EmbeddingBatcher | None = None

    def health(self) -> ProviderHealth:
        """Loading / OK / Error."""
        return self._load.health()

    async def _get_batcher(self) -> EmbeddingBatcher:
        if self._batcher is None:
            encoder = await self._load.get(self._config.load_wait_seconds)
            if self._batcher is None:
                self._batcher = EmbeddingBatcher(
                    encoder,
                    self._executor,
                    self._config.max_batch_size,
                    self._config.max_queued_texts,
                )
        return self._batcher

    async def embeddings(self, call: InferenceCall) -> dict[str, Any]:
        """``POST /v1/embeddings`` for a model this provider ships."""
        model = CATALOGUE.get(call.model.provider_model_id)
        if model is None:
            raise InvalidRequest(
                f"model {call.model.identifier!r} names {call.model.provider_model_id!r}, which "
                f"inline::sentence-transformers does not ship; it serves: {MINILM.name}",
                code="model_not_available",
            )
        body = call.body
        dimensions = body.get("dimensions")
        if dimensions is not None and dimensions != model.dimension:
            raise InvalidParameter(
                "dimensions", f"{model.name} produces {model.dimension}-dimensional vectors only"
            )
        texts = _texts(body["input"])
        vectors, counts = await (await self._get_batcher()).embed(texts)
        as_base64 = body.get("encoding_format") == "base64"
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": _b64(vector) if as_base64 else vector.tolist(),
            }
            for i, vector in enumerate(vectors)
        ]
        tokens = sum(counts)
        return {
            "object": "list",
            "data": data,
            "model": call.model.identifier,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    async def chat_completion(self, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        """Not offered: this provider serves embedding models only."""
        raise _embeddings_only(call)

    async def completion(self, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        """Not offered: this provider serves embedding models only."""
        raise _embeddings_only(call)

    async def list_models(self) -> list[DiscoveredModel]:
        """The built-in model, registered at startup."""
        meta = {"embedding_dimension": MINILM.dimension, "context_length": MINILM.max_tokens}
        return [DiscoveredModel(MINILM.name, model_type="embedding", metadata=meta)]

    async def shutdown(self) -> None:
        """Stop batching and the model thread."""
        await self._load.wait()
        if self._batcher is not None:
            await self._batcher.close()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _texts(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not all(isinstance(item, str) for item in items):
        raise InvalidParameter(
            "input",
            "this model embeds text: send a string or a list of strings (token arrays are not "
            "accepted, their ids belong to another tokenizer)",
        )
    if any(not item for item in items):
        raise InvalidParameter("input", "empty strings cannot be embedded")
    texts: list[str] = items
    return texts


def _b64(vector: Any) -> str:
    return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")


def _embeddings_only(call: InferenceCall) -> InvalidRequest:
    return InvalidRequest(
        f"model {call.model.identifier!r} is served by inline::sentence-transformers, which "
        "computes embeddings only; register it with model_type: embedding",
        code="wrong_model_type",
    )
