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

Two keys switch off the mapping they belong to instead of being dropped:

* an *identifier* (``provider_id``, ``model_id``, ``shield_id``, ...) that
  resolves to None becomes ``__disabled__``, so the whole entry is switched off
  rather than left without its id: ``provider_id: ${env.OLLAMA_URL:+ollama}``
  starts the provider only when ``OLLAMA_URL`` is set;
* a ``type`` that resolves to None makes the whole mapping None (a list drops
  it): ``provider_config: {type: ${env.AUTH_PROVIDER:+oauth2_token}, ...}``
  turns authentication off.

The rest of a switched-off mapping is still substituted but never *demands* a
variable: ``jwks.uri: ${env.KEYCLOAK_URL}/certs`` beside a disabled ``type`` is
not an error when ``KEYCLOAK_URL`` is unset, since the block is not used.

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
    {
        "provider_id",
        "model_id",
        "shield_id",
        "vector_store_id",
        "vector_db_id",
        "toolgroup_id",
        "connector_id",
    }
)

_EXPR = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?:(:=|:\+|:)([^}]*))?\}")
_MALFORMED = re.compile(r"\$\{env\.[^}]*\}|\$\{env\.[^}]*$")


#: What a mapping switched off by its ``type`` becomes in a list: nothing.
_SWITCHED_OFF = object()


def substitute_env(data: Any, env: Mapping[str, str]) -> tuple[Any, list[ConfigIssue]]:
    """A copy of `data` with every ``${env...}`` expression resolved, and the problems found.

    A required variable that is missing resolves to None (its key is dropped) so
    that later stages can still report their own problems in the same pass.
    """
    issues: list[ConfigIssue] = []
    result = _walk(data, (), _Scope(env, issues, demanding=True))
    return (None if result is _SWITCHED_OFF else result), issues


class _Scope:
    """The environment, where problems go, and whether missing variables are errors here."""

    def __init__(self, env: Mapping[str, str], issues: list[ConfigIssue], demanding: bool) -> None:
        self.env = env
        self.issues = issues
        self.demanding = demanding

    def lenient(self) -> _Scope:
        """Inside a switched-off mapping: missing variables resolve to None silently."""
        return self if not self.demanding else _Scope(self.env, [], demanding=False)


def _walk(value: Any, path: Path, scope: _Scope) -> Any:
    if isinstance(value, dict):
        return _walk_mapping(value, path, scope)
    if isinstance(value, list):
        items = [(item, _walk(item, path + (i,), scope)) for i, item in enumerate(value)]
        return [
            res
            for raw, res in items
            if res is not _SWITCHED_OFF and (res is not None or not _is_expression(raw))
        ]
    if isinstance(value, str) and "${" in value:
        return _resolve_string(value, path, scope)
    return value


def _walk_mapping(value: dict[str, Any], path: Path, scope: _Scope) -> Any:
    switch = _switch_key(value, path, scope)
    if switch == "type":
        return _SWITCHED_OFF
    inner = scope.lenient() if switch is not None else scope
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == switch:
            out[key] = DISABLED
            continue
        resolved = _walk(item, path + (key,), inner)
        if resolved is _SWITCHED_OFF:
            out[key] = None
        elif resolved is None and key in _ID_KEYS and _is_expression(item):
            out[key] = DISABLED  # a missing required id (reported): the entry is off
        elif resolved is not None or not _is_expression(item):
            out[key] = resolved
    return out


def _switch_key(value: dict[str, Any], path: Path, scope: _Scope) -> str | None:
    """The identifier or ``type`` key whose *optional* expression resolves to None.

    Only ``:+`` and ``:=`` (or ``:``) switch an entry off: a required
    ``${env.X}`` identifier that is missing is an error, reported by the walk.
    """
    quiet = _Scope(scope.env, [], demanding=False)
    for key in (*sorted(_ID_KEYS), "type"):
        raw = value.get(key)
        match = _EXPR.fullmatch(raw) if isinstance(raw, str) else None
        if match is not None and match.group(2) is not None:
            if _evaluate(match, path + (key,), quiet) is None:
                return key
    return None


def _is_expression(value: Any) -> bool:
    return isinstance(value, str) and "${env." in value


def _resolve_string(text: str, path: Path, scope: _Scope) -> str | None:
    whole = _EXPR.fullmatch(text)
    if whole is not None:
        return _evaluate(whole, path, scope)
    pieces: list[str] = []
    last = 0
    for match in _EXPR.finditer(text):
        pieces.append(text[last : match.start()])
        pieces.append(_evaluate(match, path, scope) or "")
        last = match.end()
    rest = text[last:]
    if _MALFORMED.search(rest):
        scope.issues.append(
            ConfigIssue(
                path,
                f"malformed environment expression in {text!r}",
                "write ${env.NAME}, ${env.NAME:=default} or ${env.NAME:+value}",
            )
        )
    pieces.append(rest)
    return "".join(pieces)


def _evaluate(match: re.Match[str], path: Path, scope: _Scope) -> str | None:
    name, operator, argument = match.group(1), match.group(2), match.group(3) or ""
    current = scope.env.get(name, "")
    if operator is None:
        if current == "":
            scope.issues.append(
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
