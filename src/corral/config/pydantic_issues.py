"""Turn pydantic validation errors into `ConfigIssue`s that point into the YAML.

Pydantic's error locations include union tags (``kv_sqlite``, ``CORSConfig``)
that are not keys of the file; they are dropped by walking the real data. For
unknown keys the allowed names at that place are looked up in the model so the
message can say "did you mean ...".
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from corral.config.issues import ConfigIssue, Path


def issues_from_validation(
    exc: ValidationError, data: Any, root: type[BaseModel], prefix: Path = ()
) -> list[ConfigIssue]:
    """One issue per pydantic error, with real data paths and helpful fixes."""
    out: list[ConfigIssue] = []
    seen: set[tuple[Path, str]] = set()
    located = [
        (err, _data_path(tuple(err["loc"]), data, err["type"]))
        for err in exc.errors(include_url=False)
    ]
    for err, path in located:
        if _superseded(err, path, located):
            continue
        problem, fix = _describe(err, path, data, root)
        key = (path, problem)
        if key not in seen:
            seen.add(key)
            out.append(ConfigIssue(prefix + path, problem, fix))
    return out


_TYPE_MISMATCH = frozenset(
    {
        "bool_type",
        "bool_parsing",
        "string_type",
        "int_type",
        "int_parsing",
        "float_type",
        "model_type",
        "dict_type",
        "list_type",
        "literal_error",
        "model_attributes_type",
    }
)


def _superseded(err: Any, path: Path, located: list[tuple[Any, Path]]) -> bool:
    """A union member's plain type mismatch, when another member explains the same place."""
    if err["type"] not in _TYPE_MISMATCH:
        return False
    return any(
        other is not err and other["type"] not in _TYPE_MISMATCH and p[: len(path)] == path
        for other, p in located
    )


def _data_path(loc: tuple[str | int, ...], data: Any, kind: str = "missing") -> Path:
    """Follow `loc` through `data`.

    Parts that are not keys are union tags, except the last one, which names a
    missing field (reported under its parent).
    """
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif index == len(loc) - 1 and kind in ("missing", "extra_forbidden"):
            path.append(part)
    return tuple(path)


def _describe(err: Any, path: Path, data: Any, root: type[BaseModel]) -> tuple[str, str]:
    kind = err["type"]
    if kind == "extra_forbidden":
        name = path[-1] if path else "?"
        allowed = allowed_keys(root, path[:-1], data)
        close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key {name!r}", f"did you mean {close[0]!r}?"
        listing = ", ".join(sorted(allowed)) if allowed else "none"
        return f"unknown key {name!r}", f"remove it (allowed here: {listing})"
    if kind == "missing":
        return "required field is missing", f"add `{path[-1] if path else 'it'}: ...`"
    if kind == "union_tag_invalid":
        ctx = err.get("ctx", {})
        return (
            f"unknown type {ctx.get('tag')!r}",
            f"use one of {ctx.get('expected_tags')}",
        )
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :], ""
    got = err.get("input")
    shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
    return f"{msg} (got {shown})", "fix the value"


def allowed_keys(root: type[BaseModel], path: Path, data: Any) -> list[str]:
    """The keys a config model accepts at `path` (following `data` through unions)."""
    candidates: list[Any] = [root]
    node = data
    for part in path:
        node = _child(node, part)
        candidates = [c for ann in candidates for c in _step(ann, part, node)]
    names: set[str] = set()
    for ann in candidates:
        for member in _members(ann):
            if isinstance(member, type) and issubclass(member, BaseModel):
                if _matches_type_tag(member, node):
                    for fname, finfo in member.model_fields.items():
                        names.add(finfo.alias or fname)
    return sorted(names)


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _matches_type_tag(model: type[BaseModel], node: Any) -> bool:
    field = model.model_fields.get("type")
    if field is None or not isinstance(node, dict) or "type" not in node:
        return True
    return node["type"] in typing.get_args(field.annotation)


def _members(ann: Any) -> list[Any]:
    origin = typing.get_origin(ann)
    if origin is typing.Annotated:
        return _members(typing.get_args(ann)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(ann) for m in _members(arg)]
    return [ann]


def _step(ann: Any, part: str | int, node: Any) -> list[Any]:
    out = []
    for member in _members(ann):
        origin = typing.get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            field = member.model_fields.get(str(part))
            if field is not None:
                out.append(field.annotation)
        elif origin is list and isinstance(part, int):
            out.extend(typing.get_args(member)[:1])
        elif origin is dict:
            out.extend(typing.get_args(member)[1:2])
    return out
