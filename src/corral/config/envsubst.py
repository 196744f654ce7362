"""``${env.X}`` substitution, exactly as the run-config reference documents it.

Forms (inside any string value):

* ``${env.X}``            required: a missing X is an error naming X and where it is used;
* ``${env.X:=default}``   X if set and non-empty, else `default` (an empty default gives None);
* ``${env.X:default}``    older spelling of ``:=``, still found in existing files;
* ``${env.X:+value}``     `value` if X is set and non-empty, else None.

A string that is exactly one expression takes the expression's value, which may
be None; a None value drops the mapping key or list item it belongs to, so the
field falls back to its default (this is what lets
``type: ${env.AUTH_PROVIDER:+oauth2_token}`` switch authentication off).
Expressions embedded in longer strings are joined as text (None joins as "").

One exception to dropping: an *identifier* (``provider_id``, ``model_id``,
``shield_id``, ...) that resolves to None becomes ``__disabled__``, so the whole
entry is switched off rather than left without its id. This is what makes
``provider_id: ${env.OLLAMA_URL:+ollama}`` start the provider only when
``OLLAMA_URL`` is set.

The pass is schema-agnostic: values stay strings and pydantic converts them to
the int/float/bool a field asks for. Paths are preserved, so later errors still
point at the right line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from corral.config.issues import ConfigIssue, Path

DISABLED = "__disabled__"

#: Keys whose None value disables the entry they identify (instead of dropping the key).
_ID_KEYS = frozenset(
    {"provider_id", "model_id", "shield_id", "vector_store_id", "vector_db_id", "toolgroup_id"}
)

_EXPR = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?:(:=|:\+|:)([^}]*))?\}")
_MALFORMED = re.compile(r"\$\{env\.[^}]*\}|\$\{env\.[^}]*$")


def substitute_env(data: Any, env: Mapping[str, str]) -> tuple[Any, list[ConfigIssue]]:
    """A copy of `data` with every ``${env...}`` expression resolved, and the problems found.

    A required variable that is missing resolves to None (its key is dropped) so
    that later stages can still report their own problems in the same pass.
    """
    issues: list[ConfigIssue] = []
    result = _walk(data, (), env, issues)
    return result, issues


def _walk(value: Any, path: Path, env: Mapping[str, str], issues: list[ConfigIssue]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            resolved = _walk(item, path + (key,), env, issues)
            if resolved is None and key in _ID_KEYS and _is_expression(item):
                out[key] = DISABLED
            elif resolved is not None or not _is_expression(item):
                out[key] = resolved
        return out
    if isinstance(value, list):
        items = [(item, _walk(item, path + (i,), env, issues)) for i, item in enumerate(value)]
        return [res for raw, res in items if res is not None or not _is_expression(raw)]
    if isinstance(value, str) and "${" in value:
        return _resolve_string(value, path, env, issues)
    return value


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and "${env." in value


def _resolve_string(
    text: str, path: Path, env: Mapping[str, str], issues: list[ConfigIssue]
) -> str | None:
    whole = _EXPR.fullmatch(text)
    if whole is not None:
        return _evaluate(whole, path, env, issues)
    pieces: list[str] = []
    last = 0
    for match in _EXPR.finditer(text):
        pieces.append(text[last : match.start()])
        pieces.append(_evaluate(match, path, env, issues) or "")
        last = match.end()
    rest = text[last:]
    if _MALFORMED.search(rest):
        issues.append(
            ConfigIssue(
                path,
                f"malformed environment expression in {text!r}",
                "write ${env.NAME}, ${env.NAME:=default} or ${env.NAME:+value}",
            )
        )
    pieces.append(rest)
    return "".join(pieces)


def _evaluate(
    match: re.Match[str], path: Path, env: Mapping[str, str], issues: list[ConfigIssue]
) -> str | None:
    name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
    current = env.get(name, "")
    if operator is None:
        if current == "":
            issues.append(
                ConfigIssue(
                    path,
                    f"environment variable {name} is required but not set",
                    f"export {name}=..., pass --env {name}=..., or write ${{env.{name}:=default}}",
                )
            )
            return None
        return current
    if operator == ":+":
        return (argument or None) if current != "" else None
    # ":=" and the older ":" spelling
    if current != "":
        return current
    return argument or None
