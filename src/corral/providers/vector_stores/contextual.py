"""The ``contextual`` chunking strategy: a chat model situates each chunk in its document.

For every chunk the model is sent the strategy's prompt with the whole
document and the chunk filled in (``{{WHOLE_DOCUMENT}}`` first, so an upstream
with prefix caching reuses it), and its short answer is put before the chunk:
the chunk that is embedded and returned by search is ``context + blank line +
chunk``. Calls run a few at a time, each under a timeout; a document larger
than ``max_document_tokens`` or a failed call fails the file with the reason.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from corral.apis.context import RequestContext
from corral.apis.vector_io.models import ContextualChunking
from corral.apis.vector_io.settings import VectorStoreSettings
from corral.errors import CorralError
from corral.providers.vector_stores.chunking import count_tokens
from corral.providers.vector_stores.extract import InvalidFile

if TYPE_CHECKING:
    from corral.core.routers.inference import InferenceRouter


async def contextualise(
    inference: InferenceRouter,
    document: str,
    chunks: list[str],
    strategy: ContextualChunking,
    settings: VectorStoreSettings,
    ctx: RequestContext,
) -> list[str]:
    """`chunks`, each prefixed with the context the model gives it."""
    if count_tokens(document) > settings.contextual_max_document_tokens:
        raise InvalidFile(
            f"the document has more than {settings.contextual_max_document_tokens} tokens, the "
            "limit of contextual chunking (vector_stores.contextual_retrieval_params)"
        )
    model = strategy.model_id or settings.contextual_model
    if model is None:
        raise InvalidFile("contextual chunking has no model (set model_id)")
    timeout = strategy.timeout_seconds or settings.contextual_timeout_seconds
    slots = asyncio.Semaphore(strategy.max_concurrency or settings.contextual_concurrency)
    head = strategy.context_prompt.replace("{{WHOLE_DOCUMENT}}", document)

    async def one(chunk: str) -> str:
        body = {
            "model": model,
            "messages": [{"role": "user", "content": head.replace("{{CHUNK_CONTENT}}", chunk)}],
            "stream": False,
        }
        async with slots:
            try:
                answer = await asyncio.wait_for(
                    inference.chat_completion(body, ctx, store=False), timeout
                )
            except TimeoutError:
                raise InvalidFile(f"the context model took longer than {timeout}s") from None
            except CorralError as exc:
                raise InvalidFile(f"the context model failed: {exc.message}") from None
        context = _text(answer).strip()
        return f"{context}\n\n{chunk}" if context else chunk

    return list(await asyncio.gather(*(one(c) for c in chunks)))


def _text(answer: Any) -> str:
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return ""
    return content if isinstance(content, str) else ""
