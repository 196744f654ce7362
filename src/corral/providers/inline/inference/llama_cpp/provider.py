"""`LlamaCppProvider`: chat and text completions from GGUF models running in-process."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any, TypeVar

import orjson

from corral.apis.context import RequestContext
from corral.apis.health import ProviderHealth
from corral.apis.inference.api import ChunkStream, DiscoveredModel, InferenceCall
from corral.errors import ClientDisconnected, InvalidRequest
from corral.providers.inline.inference.llama_cpp.config import GGUFModel, LlamaCppConfig
from corral.providers.inline.inference.llama_cpp.engine import GenerationStats
from corral.providers.inline.inference.llama_cpp.model import EmbeddedModel, Events, Job
from corral.providers.inline.inference.llama_cpp.params import (
    chat_kwargs,
    chat_top_logprobs,
    completion_kwargs,
    sample_count,
    text_top_logprobs,
)
from corral.providers.inline.inference.llama_cpp.shapes import (
    Answer,
    ChatChunks,
    TextChunks,
    chat_response,
    piece,
    text_response,
)
from corral.providers.inline.inference.llama_cpp.tool_calls import (
    StreamedCalls,
    ToolPlan,
    call_schema,
    prompt_messages,
)
from corral.providers.inline.inference.llama_cpp.tool_calls import parse as parse_calls
from corral.providers.inline.inference.llama_cpp.tool_calls import plan as tool_plan

#: llama-cpp-python's own default for chat; small models ramble at OpenAI's 1.0.
DEFAULT_CHAT_TEMPERATURE = 0.2
#: How often a non-streamed generation checks that its client is still connected.
DISCONNECT_POLL_SECONDS = 0.25

T = TypeVar("T")


class LlamaCppProvider:
    """Serves each configured GGUF model as ``<provider_id>/<name>``."""

    #: Register the configured models at startup (they are known without the run config's list).
    refresh_models = True

    def __init__(
        self, config: LlamaCppConfig, models: dict[str, tuple[GGUFModel, EmbeddedModel]]
    ) -> None:
        self._config = config
        self._models = models

    def health(self) -> ProviderHealth:
        """The worst state among the models (Error > Loading > OK)."""
        states = [m.health() for _, m in self._models.values()]
        for status in ("Error", "Loading"):
            found = [s.message for s in states if s.status == status]
            if found:
                return ProviderHealth(status, "; ".join(found))
        return ProviderHealth("OK")

    def _model(self, call: InferenceCall) -> tuple[GGUFModel, EmbeddedModel]:
        found = self._models.get(call.model.provider_model_id)
        if found is None:
            raise InvalidRequest(
                f"model {call.model.identifier!r} names {call.model.provider_model_id!r}, which "
                f"this llama-cpp provider does not load; it serves: {', '.join(self._models)}",
                code="model_not_available",
            )
        return found

    async def chat_completion(self, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        """A chat completion rendered with the model's own chat template (``n`` samples)."""
        spec, model = self._model(call)
        if not spec.chat:
            raise InvalidRequest(
                f"model {call.model.identifier!r} is a base model without a chat template; "
                "use /v1/completions",
                code="chat_not_supported",
            )
        tools = tool_plan(call.body)
        n, top = sample_count(call.body), chat_top_logprobs(call.body)
        kwargs = chat_kwargs(call.body, self._config.default_max_tokens, spec.n_ctx)
        kwargs.setdefault("temperature", DEFAULT_CHAT_TEMPERATURE)
        messages = kwargs.pop("messages")
        response_format = kwargs.pop("response_format", None)
        for name in ("tools", "tool_choice", "logprobs", "top_logprobs"):
            kwargs.pop(name, None)
        user_stops: list[str] = kwargs.pop("stop", [])

        def job_for(sample: int) -> Job:
            def job(runner: Any, cancel: Any, emit: Any) -> GenerationStats:
                native = runner.supports_tools
                shown = prompt_messages(messages, tools, native)
                offered = tools.tools if tools is not None and native else None
                prompt, template_stops = runner.chat_prompt(shown, offered)
                args = {**_reseeded(kwargs, sample), "stop": template_stops + user_stops}
                if tools is not None and tools.forced is not None:
                    args["grammar"] = runner.schema_grammar(call_schema(tools))
                else:
                    args["grammar"] = runner.grammar(response_format)
                stats: GenerationStats = runner.generate(prompt, args, cancel, emit, top)
                return stats

            return job

        ident = call.model.identifier
        runs = [model.stream(job_for(i)) for i in range(n)]
        if call.body.get("stream") is True:
            return _chat_stream(runs, ident, _include_usage(call.body), tools)
        answers = []
        for events in runs:
            answer = await _collect(events, call.ctx)
            if tools is not None:
                content, calls = parse_calls(answer.text or "", tools)
                if calls:
                    answer = Answer(content, "tool_calls", answer.stats, calls)
            answers.append(answer)
        return chat_response(ident, answers)

    async def completion(self, call: InferenceCall) -> dict[str, Any] | ChunkStream:
        """A plain text completion (no template), as ``/v1/completions`` returns it."""
        _, model = self._model(call)
        n, top = sample_count(call.body), text_top_logprobs(call.body)
        kwargs = completion_kwargs(call.body, self._config.default_max_tokens, 1 << 30)
        prompt_text: str = kwargs.pop("prompt")
        echo = kwargs.pop("echo", False)
        kwargs.pop("logprobs", None)

        def job_for(sample: int) -> Job:
            def job(runner: Any, cancel: Any, emit: Any) -> GenerationStats:
                if echo:
                    emit({"choices": [{"text": prompt_text, "finish_reason": None}]})
                stats: GenerationStats = runner.generate(
                    runner.text_prompt(prompt_text), _reseeded(kwargs, sample), cancel, emit, top
                )
                return stats

            return job

        ident = call.model.identifier
        runs = [model.stream(job_for(i)) for i in range(n)]
        if call.body.get("stream") is True:
            return _text_stream(runs, ident, _include_usage(call.body))
        answers = [await _collect(events, call.ctx) for events in runs]
        return text_response(ident, answers, len(prompt_text) if echo else 0)

    async def embeddings(self, call: InferenceCall) -> dict[str, Any]:
        """Not offered: chat-model vectors are poor for search (see the provider's docs)."""
        raise InvalidRequest(
            f"model {call.model.identifier!r} is a chat model; embeddings come from an embedding "
            "model such as sentence-transformers/all-MiniLM-L6-v2",
            code="wrong_model_type",
        )

    async def list_models(self) -> list[DiscoveredModel]:
        """The configured models, with their context window and capabilities."""
        out = []
        for name, (spec, _) in self._models.items():
            meta: dict[str, Any] = {
                "context_length": spec.n_ctx,
                "embedded": True,
                "capabilities": ["chat", "completion"] if spec.chat else ["completion"],
            }
            out.append(DiscoveredModel(name, model_type="llm", metadata=meta))
        return out

    async def shutdown(self) -> None:
        """Stop every model thread."""
        for _, model in self._models.values():
            await model.shutdown()


def _include_usage(body: dict[str, Any]) -> bool:
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


async def _collect(events: Events, ctx: RequestContext) -> Answer:
    """Join a generation's text; stop generating when the client disconnects."""
    parts: list[str] = []
    finish = "stop"
    stats = GenerationStats(prompt_tokens=0)
    next_poll = time.monotonic() + DISCONNECT_POLL_SECONDS
    async with aclosing(events):
        async for chunk, final in events:
            if final is not None:
                stats = final
                break
            assert chunk is not None
            text, reason = piece(chunk)
            parts.append(text)
            finish = reason or finish
            if ctx.is_disconnected is not None and time.monotonic() >= next_poll:
                next_poll = time.monotonic() + DISCONNECT_POLL_SECONDS
                if await ctx.is_disconnected():
                    # Leaving the block closes `events`, which stops the model.
                    raise ClientDisconnected("the client went away during generation")
    return Answer("".join(parts), finish, stats)


def _reseeded(kwargs: dict[str, Any], sample: int) -> dict[str, Any]:
    """The arguments of the `sample`-th answer: a set seed moves on, so answers differ."""
    if sample == 0 or kwargs.get("seed") is None:
        return kwargs
    return {**kwargs, "seed": kwargs["seed"] + sample}


async def _chat_stream(
    runs: list[Events], ident: str, include_usage: bool, tools: ToolPlan | None
) -> AsyncIterator[bytes]:
    # Nothing is sent before the model produced its first piece, so a full queue
    # or a prompt that does not fit is still an HTTP error rather than a broken stream.
    # Samples follow one another, each with its own choice index.
    shaper = ChatChunks(ident)
    done: list[GenerationStats] = []
    for index, events in enumerate(runs):
        async for out in _chat_sample(shaper, index, events, tools, done):
            yield out
    if include_usage:
        yield orjson.dumps(shaper.usage(done))


async def _chat_sample(
    shaper: ChatChunks,
    index: int,
    events: Events,
    tools: ToolPlan | None,
    done: list[GenerationStats],
) -> AsyncIterator[bytes]:
    calls = StreamedCalls(tools) if tools is not None else None
    finish = "stop"
    async with aclosing(events):
        first = await anext(events)
        yield orjson.dumps(shaper.role(index))
        async for chunk, stats in _prepend(first, events):
            if stats is not None:
                if calls is not None:
                    rest, made = calls.finish()
                    if rest:
                        yield orjson.dumps(shaper.content(rest, index))
                    for call_index, made_call in enumerate(made):
                        yield orjson.dumps(shaper.tool_call(call_index, made_call, index))
                    finish = "tool_calls" if made else finish
                yield orjson.dumps(shaper.finish(finish, index, stats))
                done.append(stats)
                return
            assert chunk is not None
            text, reason = piece(chunk)
            finish = reason or finish
            if calls is not None:
                text = calls.feed(text)
            if text:
                yield orjson.dumps(shaper.content(text, index))


async def _text_stream(runs: list[Events], ident: str, include_usage: bool) -> AsyncIterator[bytes]:
    shaper = TextChunks(ident)
    done: list[GenerationStats] = []
    for index, events in enumerate(runs):
        finish = "stop"
        async with aclosing(events):
            async for chunk, stats in events:
                if stats is not None:
                    yield orjson.dumps(shaper.chunk("", finish, index, stats))
                    done.append(stats)
                    break
                assert chunk is not None
                text, reason = piece(chunk)
                finish = reason or finish
                if text:
                    yield orjson.dumps(shaper.chunk(text, None, index))
    if include_usage:
        yield orjson.dumps(shaper.usage(done))


async def _prepend(first: T, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    yield first
    async for item in rest:
        yield item
