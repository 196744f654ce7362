"""The input file, read as a stream of lines, and the checks every line must pass.

The file is never held whole: it is read in chunks from the Files API and cut
at newlines, so memory stays flat however many lines it has. Lines are
numbered from 1 as they appear in the file (blank lines count but carry no
request). The checks are those of the online endpoints: the body must have the
endpoint's request shape (the same TypedDicts the edge validation uses,
strictly), must not stream, and must name a model the batch's creator may use.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import TypeAdapter, ValidationError

from corral.apis.batches.models import BatchError
from corral.apis.context import RequestContext, User
from corral.apis.files.api import FilesProvider
from corral.apis.inference.models import (
    ChatCompletionRequest,
    CompletionRequest,
    EmbeddingsRequest,
)
from corral.errors import CorralError

#: The shape of a line's body per endpoint, and the model type the endpoint needs.
_SHAPES: dict[str, tuple[type[Any], str]] = {
    "/v1/chat/completions": (ChatCompletionRequest, "llm"),
    "/v1/completions": (CompletionRequest, "llm"),
    "/v1/embeddings": (EmbeddingsRequest, "embedding"),
}


@dataclass(frozen=True)
class Line:
    """One request of the input: its line number, custom_id and body."""

    number: int
    custom_id: str
    body: dict[str, Any]


async def raw_lines(
    files: FilesProvider, file_id: str, ctx: RequestContext
) -> AsyncIterator[tuple[int, bytes]]:
    """(line number, bytes) of every non-blank line of the file, streamed."""
    number, rest = 0, b""
    async for chunk in files.iter_content(file_id, ctx):
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        for part in parts:
            number += 1
            if part.strip():
                yield number, part
    if rest.strip():
        yield number + 1, rest


class LineChecker:
    """Checks lines against one batch's endpoint, for its creator.

    `resolve_model` is the inference router's model lookup (raises when the
    creator may not use the model, or it has the wrong type).
    """

    def __init__(
        self,
        endpoint: str,
        user: User | None,
        resolve_model: Callable[[Any, User | None, str], object],
    ) -> None:
        shape, self._model_type = _SHAPES[endpoint]
        self._validate = TypeAdapter(shape).validator.validate_python
        self._endpoint = endpoint
        self._user = user
        self._resolve = resolve_model
        self._models: dict[str, BatchError | None] = {}
        self._seen_ids: set[bytes] = set()

    def models(self) -> list[str]:
        """The models the lines named that the creator may use."""
        return [m for m, problem in self._models.items() if problem is None]

    def check(self, number: int, raw: bytes) -> Line | BatchError:
        """The line's request, or the first thing wrong with it."""
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _error("invalid_json_line", number, "This line is not parseable as valid JSON.")
        if not isinstance(data, dict):
            return _error("invalid_request", number, "Each line must be a JSON object.")
        problem = self._envelope(number, data)
        if problem is not None:
            return problem
        body: dict[str, Any] = data["body"]
        problem = self._body(number, body)
        if problem is not None:
            return problem
        return Line(number, data["custom_id"], body)

    def _envelope(self, number: int, data: dict[str, Any]) -> BatchError | None:
        for name, kind, text in (
            ("custom_id", str, "a string"),
            ("method", str, "a string"),
            ("url", str, "a string"),
            ("body", dict, "a JSON object"),
        ):
            if name not in data:
                return _error(
                    "missing_required_parameter", number, f"Missing required parameter: {name}",
                    name,
                )  # fmt: skip
            if not isinstance(data[name], kind):
                return _error("invalid_request", number, f"{name} must be {text}", name)
        if data["method"] != "POST":
            return _error("invalid_request", number, "method must be POST", "method")
        if data["url"] != self._endpoint:
            return _error(
                "invalid_url", number,
                f"url {data['url']!r} does not match the batch's endpoint {self._endpoint}", "url",
            )  # fmt: skip
        digest = hashlib.blake2b(data["custom_id"].encode(), digest_size=12).digest()
        if digest in self._seen_ids:
            return _error(
                "duplicate_custom_id", number,
                f"custom_id {data['custom_id']!r} is used by an earlier line", "custom_id",
            )  # fmt: skip
        self._seen_ids.add(digest)
        return None

    def _body(self, number: int, body: dict[str, Any]) -> BatchError | None:
        if body.get("stream"):
            return _error(
                "streaming_unsupported", number, "Streaming is not supported in batches",
                "body.stream",
            )  # fmt: skip
        try:
            self._validate(body, strict=True)
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("#"))
            param = f"body.{where}" if where else "body"
            return _error("invalid_request", number, f"{param}: {first['msg']}", param)
        return self._model(number, body["model"])

    def _model(self, number: int, model: str) -> BatchError | None:
        if model not in self._models:
            try:
                self._resolve(model, self._user, self._model_type)
                self._models[model] = None
            except CorralError as exc:
                self._models[model] = BatchError(
                    code="model_not_found", message=exc.message, param="body.model"
                )
        found = self._models[model]
        return None if found is None else found.model_copy(update={"line": number})


def _error(code: str, line: int, message: str, param: str | None = None) -> BatchError:
    return BatchError(code=code, line=line, message=message, param=param)
