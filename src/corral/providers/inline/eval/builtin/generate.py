"""One row of a benchmark's dataset → the candidate's answer.

What the candidate is asked, by the row's columns (first found):
``chat_completion_input`` (a list of messages, or that list as a JSON string;
only its system and user messages are sent), ``completion_input`` (a prompt),
``input_query`` (one user message). A model candidate's ``system_message``
comes first. Sampling: ``max_tokens``, ``stop``; strategy ``greedy`` is
temperature 0, ``top_p`` sends its ``temperature`` and ``top_p``. The answer
is ``{"generated_answer": text}``; a row whose call fails gets
``generated_answer: ""`` and the ``error`` (it is scored, and counted, as wrong).
"""

from __future__ import annotations

from typing import Any

import orjson

from corral.apis.context import RequestContext
from corral.apis.eval.models import AgentCandidate, ModelCandidate
from corral.apis.responses.api import ResponsesProvider
from corral.apis.responses.models import CreateResponseRequest
from corral.core.routers.inference import InferenceRouter
from corral.errors import CorralError, InvalidParameter


def _messages(row: dict[str, Any]) -> list[dict[str, Any]] | None:
    raw = row.get("chat_completion_input")
    if raw is not None:
        messages = orjson.loads(raw) if isinstance(raw, str) else raw
        return [m for m in messages if m.get("role") in ("system", "user")]
    if "input_query" in row:
        return [{"role": "user", "content": str(row["input_query"])}]
    return None


def _sampling(candidate: ModelCandidate) -> dict[str, Any]:
    params = candidate.sampling_params
    out: dict[str, Any] = {}
    strategy = params.strategy or {}
    if strategy.get("type", "greedy") == "greedy":
        out["temperature"] = 0
    else:
        for key in ("temperature", "top_p"):
            if strategy.get(key) is not None:
                out[key] = strategy[key]
    if params.max_tokens is not None:
        out["max_tokens"] = params.max_tokens
    if params.stop:
        out["stop"] = params.stop
    return out


class Generator:
    """Asks the candidate about one row."""

    def __init__(self, inference: InferenceRouter, responses: ResponsesProvider | None) -> None:
        self._inference = inference
        self._responses = responses

    def check(self, candidate: ModelCandidate | AgentCandidate, ctx: RequestContext) -> None:
        """Refuse up front a candidate that cannot run (unknown model, no Responses API)."""
        if isinstance(candidate, ModelCandidate):
            self._inference.models.resolve(candidate.model, ctx.user, "llm")
            return
        if self._responses is None:
            raise InvalidParameter("eval_candidate", "agent candidates need a responses provider")
        if not candidate.config.get("model"):
            raise InvalidParameter("eval_candidate.config.model", "required")

    async def answer(
        self, row: dict[str, Any], candidate: ModelCandidate | AgentCandidate, ctx: RequestContext
    ) -> dict[str, Any]:
        """``{"generated_answer": ...}`` (with ``error`` when the call failed)."""
        try:
            if isinstance(candidate, AgentCandidate):
                text = await self._agent(row, candidate, ctx)
            else:
                text = await self._model(row, candidate, ctx)
        except CorralError as exc:
            return {"generated_answer": "", "error": exc.message}
        return {"generated_answer": text}

    async def _model(
        self, row: dict[str, Any], candidate: ModelCandidate, ctx: RequestContext
    ) -> str:
        body: dict[str, Any] = {"model": candidate.model, **_sampling(candidate)}
        messages = _messages(row)
        if messages is None:
            if "completion_input" not in row:
                raise InvalidParameter(
                    "dataset", "a row needs chat_completion_input, completion_input or input_query"
                )
            prompt = row["completion_input"]
            body["prompt"] = orjson.loads(prompt) if _is_json_string(prompt) else prompt
            answer = await self._inference.completion(body, ctx)
            assert isinstance(answer, dict)  # not streamed
            return str(answer["choices"][0].get("text") or "")
        if candidate.system_message:
            messages = [candidate.system_message, *messages]
        body["messages"] = messages
        reply = await self._inference.chat_completion(body, ctx, store=False)
        assert isinstance(reply, dict)  # not streamed
        return str(reply["choices"][0]["message"].get("content") or "")

    async def _agent(
        self, row: dict[str, Any], candidate: AgentCandidate, ctx: RequestContext
    ) -> str:
        assert self._responses is not None
        messages = _messages(row) or [{"role": "user", "content": str(row.get("completion_input"))}]
        config = candidate.config
        request = CreateResponseRequest.model_validate(
            {
                "model": config["model"],
                "input": [{"type": "message", **m} for m in messages],
                "instructions": config.get("instructions"),
                "tools": config.get("tools"),
                "max_infer_iters": config.get("max_infer_iters"),
                "store": False,
            }
        )
        response = await self._responses.create_response(request, ctx)
        assert isinstance(response, dict)  # not streamed
        return "".join(
            part.get("text", "")
            for item in response.get("output", [])
            if item.get("type") == "message"
            for part in item.get("content", [])
            if part.get("type") == "output_text"
        )


def _is_json_string(value: Any) -> bool:
    return isinstance(value, str) and value[:1] in ('"', "[")
