"""A loaded GGUF model and the blocking generation loop, run on the model's own thread.

A ``llama_cpp.Llama`` is not thread-safe, so each model gets one thread that
loads it and runs every generation in turn. Chat prompts are rendered with the
chat template stored in the GGUF file (through llama-cpp-python's Jinja
formatter) and tokenised here, so the prompt's token count is exact; the
completion is generated token by token with a stopping check that also
notices when the client has gone away.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from corral.errors import InvalidParameter, InvalidRequest
from corral.providers.inline.inference.llama_cpp.logprobs import LogprobRecorder, TokenLogprob

log = logging.getLogger("corral.llama_cpp")

Chunk = dict[str, Any]


@dataclass
class GenerationStats:
    """Token counts of one generation."""

    prompt_tokens: int
    completion_tokens: int = 0
    cancelled: bool = False
    #: The generated tokens' logprobs, when the request asked for them.
    logprobs: list[TokenLogprob] | None = None


class ContextOverflow(InvalidRequest):
    """The prompt does not fit the model's context window."""

    code = "context_length_exceeded"


class GGUFRunner:
    """One llama.cpp model; every method runs on the model's thread."""

    def __init__(
        self, path: Path, n_ctx: int, n_threads: int, n_batch: int, chat_template: str | None
    ) -> None:
        import llama_cpp
        from llama_cpp import llama_chat_format

        self._llama_cpp = llama_cpp
        self.llm = llama_cpp.Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            n_batch=min(n_batch, n_ctx),
            verbose=False,
        )
        self.n_ctx = n_ctx
        template = chat_template or self.llm.metadata.get("tokenizer.chat_template")
        self.formatter = None
        #: The template renders a ``tools`` list itself (else corral describes the tools).
        self.supports_tools = bool(template) and "tools" in str(template)
        if template:
            eos = self.llm.token_eos()
            bos = self.llm.token_bos()
            self.formatter = llama_chat_format.Jinja2ChatFormatter(
                template=template,
                eos_token=self.llm._model.token_get_text(eos) if eos != -1 else "",
                bos_token=self.llm._model.token_get_text(bos) if bos != -1 else "",
            )
            self.eos_text = self.llm._model.token_get_text(eos) if eos != -1 else ""

    def chat_prompt(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
    ) -> tuple[list[int], list[str]]:
        """Render `messages` (and `tools`, for a template that has a tool section)."""
        if self.formatter is None:
            raise InvalidRequest(
                "this model has no chat template; use /v1/completions with a plain prompt",
                code="chat_not_supported",
            )
        try:
            result = self.formatter(messages=cast(Any, messages), tools=cast(Any, tools))
        except Exception as exc:  # the template's own raise_exception, or a jinja error
            raise InvalidParameter(
                "messages", f"the model's chat template refused them: {exc}"
            ) from None
        tokens = self.llm.tokenize(
            result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True
        )
        stops = result.stop if isinstance(result.stop, list) else [result.stop or ""]
        return tokens, [s for s in stops if s]

    def text_prompt(self, prompt: str) -> list[int]:
        """Tokenise a plain completion prompt."""
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=False)

    def grammar(self, response_format: dict[str, Any] | None) -> Any:
        """A JSON grammar for ``response_format`` (None for plain text)."""
        if not response_format or response_format.get("type") != "json_object":
            return None
        import json

        from llama_cpp import llama_grammar

        schema = response_format.get("schema")
        if schema is None:
            return llama_grammar.LlamaGrammar.from_string(llama_grammar.JSON_GBNF, verbose=False)
        try:
            return llama_grammar.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        except Exception as exc:
            raise InvalidParameter("response_format", f"unusable JSON schema: {exc}") from None

    def schema_grammar(self, schema: dict[str, Any]) -> Any:
        """A grammar that only lets through JSON matching `schema`."""
        import json

        from llama_cpp import llama_grammar

        try:
            return llama_grammar.LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        except Exception as exc:
            raise InvalidParameter("tools", f"unusable parameters schema: {exc}") from None

    def generate(
        self,
        prompt: list[int],
        kwargs: dict[str, Any],
        cancel: threading.Event,
        emit: Callable[[Chunk], None],
        top_logprobs: int | None = None,
    ) -> GenerationStats:
        """Stream completion chunks to `emit` until done, the limit, or `cancel` is set.

        With `top_logprobs` set (0 or more alternatives), the stats carry each generated
        token's logprob.
        """
        if len(prompt) >= self.n_ctx:
            raise ContextOverflow(
                f"the prompt is {len(prompt)} tokens; this model's context window is "
                f"{self.n_ctx} tokens (prompt + completion); shorten the conversation"
            )
        stats = GenerationStats(prompt_tokens=len(prompt))

        def should_stop(input_ids: Any, logits: Any) -> bool:
            # llama.cpp calls this after each sampled token with the tokens evaluated so far
            # (the newest sampled one is not evaluated yet), and once more at the end with the
            # same count: so this is the number of tokens the model sampled, end token included.
            stats.completion_tokens = max(stats.completion_tokens, len(input_ids) - len(prompt) + 1)
            return cancel.is_set()

        recorder = None
        if top_logprobs is not None:
            recorder = LogprobRecorder(len(prompt), top_logprobs)
            kwargs = {**kwargs, "logits_processor": self._llama_cpp.LogitsProcessorList([recorder])}
        stream = cast(
            Iterator[Chunk],
            self.llm.create_completion(
                prompt=prompt,
                stream=True,
                stopping_criteria=self._llama_cpp.StoppingCriteriaList([should_stop]),
                **kwargs,
            ),
        )
        text: list[str] = []
        try:
            for chunk in stream:
                emit(chunk)
                text.append(chunk["choices"][0].get("text") or "")
                if cancel.is_set():
                    break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        stats.cancelled = cancel.is_set()
        if recorder is not None:
            stats.logprobs = recorder.entries(self.llm, "".join(text))
        return stats
