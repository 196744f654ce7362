"""Hide secrets before a config is shown anywhere (``config show``, /v1/providers, logs).

A field is secret when its model lists it in `secret_fields` or when its name
looks like a credential (api_key, password, secret, token, ...). Secret values
are replaced by ``********``; ``${env.X}`` expressions are kept as written only
in the raw (unresolved) view, never their values.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

from corral.config.base import ConfigModel

REDACTED = "********"
# "token" only as a whole snake_case word: `api_token` is a secret, `max_tokens` is not.
_SECRET_NAME = re.compile(
    r"(api_?key|password|passwd|secret|credential|private_?key|(^|_)token($|_))", re.I
)


def is_secret_name(name: str) -> bool:
    """True when a field name looks like it holds a credential."""
    return bool(_SECRET_NAME.search(name))


def redacted(value: Any) -> Any:
    """A JSON-ready copy of `value` (model, dict, list, scalar) with secrets hidden."""
    if isinstance(value, BaseModel):
        secret = value.secret_fields if isinstance(value, ConfigModel) else frozenset()
        out = {}
        for name in type(value).model_fields:
            item = getattr(value, name)
            hide = name in secret or is_secret_name(name)
            out[name] = REDACTED if hide and item is not None else redacted(item)
        return out
    if isinstance(value, dict):
        return {
            k: REDACTED if is_secret_name(str(k)) and v is not None else redacted(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redacted(v) for v in value]
    return value
