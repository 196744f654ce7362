"""OpenAI search filters on file attributes: comparison and compound filters.

``{"type": "eq"|"ne"|"gt"|"gte"|"lt"|"lte"|"in"|"nin", "key", "value"}`` and
``{"type": "and"|"or", "filters": [...]}``. A malformed filter is a 400 naming
what is wrong; a comparison of a missing attribute is false (``ne``/``nin``
true), and ordering comparisons between a number and a string are false.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from corral.apis.vector_io.models import Attributes
from corral.errors import InvalidParameter

Predicate = Callable[[Attributes], bool]

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def compile_filter(spec: Any, where: str = "filters") -> Predicate:
    """A predicate on a file's attributes; raises `InvalidParameter` for bad filters."""
    if not isinstance(spec, dict):
        raise InvalidParameter(where, "a filter must be an object with a 'type'")
    kind = spec.get("type")
    if kind in ("and", "or"):
        parts = spec.get("filters")
        if not isinstance(parts, list) or not parts:
            raise InvalidParameter(where, f"an '{kind}' filter needs a non-empty 'filters' list")
        compiled = [compile_filter(p, f"{where}.filters[{i}]") for i, p in enumerate(parts)]
        combine = all if kind == "and" else any
        return lambda attrs: combine(p(attrs) for p in compiled)
    key, value = spec.get("key"), spec.get("value")
    if not isinstance(key, str) or not key:
        raise InvalidParameter(where, "a comparison filter needs a string 'key'")
    if kind in ("eq", "ne"):
        equal = kind == "eq"
        return lambda attrs: (key in attrs and _same(attrs[key], value)) == equal
    if kind in ("in", "nin"):
        if not isinstance(value, list):
            raise InvalidParameter(where, f"an '{kind}' filter needs a list 'value'")
        inside = kind == "in"
        return lambda attrs: (key in attrs and any(_same(attrs[key], v) for v in value)) == inside
    if kind in _ORDER:
        compare = _ORDER[kind]
        return lambda attrs: key in attrs and _ordered(compare, attrs[key], value)
    raise InvalidParameter(
        where, f"unknown filter type {kind!r}; use eq, ne, gt, gte, lt, lte, in, nin, and, or"
    )


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return float(a) == float(b)
    return type(a) is type(b) and bool(a == b)


def _ordered(compare: Callable[[Any, Any], bool], a: Any, b: Any) -> bool:
    if _number(a) and _number(b):
        return compare(float(a), float(b))
    if isinstance(a, str) and isinstance(b, str):
        return compare(a, b)
    return False
