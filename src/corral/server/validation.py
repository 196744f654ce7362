"""Edge validation of JSON request bodies: a 400 naming the field, the body left as sent.

A route reads its body with ``await read_body(request, CHAT, limit)``, where
``CHAT = BodyShape(ChatCompletionRequest)`` is built once at import. The body
is parsed once (orjson), checked against the shape in pydantic's compiled
validator (strict: types, enums, ranges, required fields; unknown fields
pass unchecked), and the *parsed dict* is returned: nothing is re-serialised and
the validator's copy is thrown away, so a provider forwards exactly what the client
sent. The first problem becomes `InvalidParameter` with an OpenAI-style field
path (``messages[0].role``). The cost is measured in docs/performance.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request

from corral.errors import InvalidRequest
from corral.server.http import invalid_parameter, read_json


class BodyShape:
    """A request shape (a TypedDict of `corral.apis.shapes` style), compiled once."""

    def __init__(self, shape: type[Mapping[str, Any]]) -> None:
        self.shape = shape
        self._validate = TypeAdapter(shape).validator.validate_python

    def check(self, body: Any) -> dict[str, Any]:
        """`body` itself when it fits the shape; else `InvalidParameter` naming the field."""
        if not isinstance(body, dict):
            raise InvalidRequest("the request body must be a JSON object")
        try:
            self._validate(body, strict=True)
        except ValidationError as exc:
            raise invalid_parameter(exc, body) from None
        return body


async def read_body(request: Request, shape: BodyShape, limit: int | None) -> dict[str, Any]:
    """The JSON body of `request`, checked against `shape` (400 or 413 when it is not right)."""
    return shape.check(await read_json(request, limit))
