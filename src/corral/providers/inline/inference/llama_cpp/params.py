"""Translate an OpenAI request body into llama-cpp-python keyword arguments.

Only parameters llama.cpp honours are passed on; each is checked so a bad
value is a 400 naming the parameter, not an exception deep in the sampler.
Fields llama.cpp cannot honour and that change the meaning of the request
(image content, ``n`` above `MAX_N`) are refused; harmless unknown fields are
ignored.
"""

from __future__ import annotations

from typing import Any

from corral.errors import InvalidParameter

_NUMBER_RANGES = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}


def sampling_kwargs(body: dict[str, Any], default_max_tokens: int, n_ctx: int) -> dict[str, Any]:
    """The sampling parameters shared by chat and text completions."""
    out: dict[str, Any] = {}
    for name, (low, high) in _NUMBER_RANGES.items():
        value = body.get(name)
        if value is None:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            raise InvalidParameter(name, f"must be a number between {low} and {high}")
        out[name] = float(value)
    out["max_tokens"] = _max_tokens(body, default_max_tokens, n_ctx)
    stop = body.get("stop")
    if stop is not None:
        if isinstance(stop, str):
            stop = [stop]
        if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop) or len(stop) > 4:
            raise InvalidParameter("stop", "must be a string or a list of up to 4 strings")
        out["stop"] = stop
    seed = body.get("seed")
    if seed is not None:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InvalidParameter("seed", "must be an integer")
        out["seed"] = seed
    logit_bias = body.get("logit_bias")
    if logit_bias:
        out["logit_bias"] = _logit_bias(logit_bias)
    return out


#: Most samples one request may ask for (they run one after another on the model's thread).
MAX_N = 8
MAX_TOP_LOGPROBS = 20


def sample_count(body: dict[str, Any]) -> int:
    """``n``: how many answers to generate (1 to `MAX_N`)."""
    n = body.get("n")
    if n is None:
        return 1
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_N:
        raise InvalidParameter("n", f"must be an integer from 1 to {MAX_N}")
    return n


def chat_top_logprobs(body: dict[str, Any]) -> int | None:
    """None, or how many alternatives each token's logprob entry lists (chat's fields)."""
    wanted, top = body.get("logprobs"), body.get("top_logprobs")
    if top is not None:
        if not isinstance(top, int) or isinstance(top, bool) or not 0 <= top <= MAX_TOP_LOGPROBS:
            raise InvalidParameter(
                "top_logprobs", f"must be an integer from 0 to {MAX_TOP_LOGPROBS}"
            )
        if wanted is not True:
            raise InvalidParameter("top_logprobs", "needs logprobs: true")
    if wanted not in (None, True, False):
        raise InvalidParameter("logprobs", "must be a boolean")
    return (top or 0) if wanted is True else None


def text_top_logprobs(body: dict[str, Any]) -> int | None:
    """None, or the legacy completions' ``logprobs`` count (0 to 5)."""
    value = body.get("logprobs")
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 5:
        raise InvalidParameter("logprobs", "must be an integer from 0 to 5")
    return value


def chat_kwargs(body: dict[str, Any], default_max_tokens: int, n_ctx: int) -> dict[str, Any]:
    """Arguments of ``Llama.create_chat_completion``."""
    out = sampling_kwargs(body, default_max_tokens, n_ctx)
    out["messages"] = [_message(m, i) for i, m in enumerate(body["messages"])]
    response_format = body.get("response_format")
    if response_format is not None:
        out["response_format"] = _response_format(response_format)
    for name in ("tools", "tool_choice", "logprobs", "top_logprobs"):
        if body.get(name) is not None:
            out[name] = body[name]
    return out


def completion_kwargs(body: dict[str, Any], default_max_tokens: int, n_ctx: int) -> dict[str, Any]:
    """Arguments of ``Llama.create_completion``."""
    # OpenAI's /v1/completions defaults to 16 tokens; keep that when the client sets none.
    defaulted = {**body, "max_tokens": body.get("max_tokens") or 16}
    out = sampling_kwargs(defaulted, default_max_tokens, n_ctx)
    prompt = body["prompt"]
    if isinstance(prompt, list):
        if len(prompt) != 1 or not isinstance(prompt[0], str):
            raise InvalidParameter("prompt", "send one prompt string (batches are not supported)")
        prompt = prompt[0]
    out["prompt"] = prompt
    if body.get("echo") is not None:
        out["echo"] = bool(body["echo"])
    if body.get("logprobs") is not None:
        out["logprobs"] = body["logprobs"]
    return out


def _max_tokens(body: dict[str, Any], default: int, n_ctx: int) -> int:
    value = body.get("max_completion_tokens", body.get("max_tokens"))
    if value is None:
        return min(default, n_ctx)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InvalidParameter("max_tokens", "must be a positive integer")
    if value > n_ctx:
        raise InvalidParameter(
            "max_tokens", f"{value} is larger than the model's context window ({n_ctx} tokens)"
        )
    return value


def _message(message: Any, index: int) -> dict[str, Any]:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise InvalidParameter(f"messages[{index}]", "each message needs a role")
    content = message.get("content")
    if isinstance(content, list):
        texts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise InvalidParameter(
                    f"messages[{index}].content", "the embedded model accepts text parts only"
                )
            texts.append(str(part.get("text", "")))
        return {**message, "content": "".join(texts)}
    if content is not None and not isinstance(content, str):
        raise InvalidParameter(f"messages[{index}].content", "must be a string or a list of parts")
    return message


def _response_format(value: Any) -> dict[str, Any]:
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return {"type": "text"}
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        schema = (value.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise InvalidParameter("response_format", "json_schema.schema must be an object")
        return {"type": "json_object", "schema": schema}
    raise InvalidParameter("response_format", "type must be text, json_object or json_schema")


def _logit_bias(value: Any) -> dict[int, float]:
    if not isinstance(value, dict):
        raise InvalidParameter("logit_bias", "must map token ids to numbers")
    try:
        return {int(k): float(v) for k, v in value.items()}
    except (TypeError, ValueError):
        raise InvalidParameter("logit_bias", "must map token ids to numbers") from None
