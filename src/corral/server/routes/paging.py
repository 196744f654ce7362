"""Query parameters of list routes: cursors, limits, order and ``include`` lists."""

from __future__ import annotations

from starlette.requests import Request

from corral.apis.responses.api import ListQuery
from corral.errors import InvalidParameter


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, "must be an integer") from None
    if not low <= value <= high:
        raise InvalidParameter(name, f"must be between {low} and {high}")
    return value


def list_query(request: Request, default_limit: int = 20, *, before: bool = True) -> ListQuery:
    """``after``, ``before``, ``limit`` (1..100) and ``order`` (``desc`` by default)."""
    q = request.query_params
    order = q.get("order", "desc")
    if order not in ("asc", "desc"):
        raise InvalidParameter("order", "must be 'asc' or 'desc'")
    return ListQuery(
        after=q.get("after") or None,
        before=(q.get("before") or None) if before else None,
        limit=int_param(request, "limit", default_limit, 1, 100),
        order="asc" if order == "asc" else "desc",
    )


def include_param(request: Request) -> list[str]:
    """``include`` given as repeated ``include=`` or ``include[]=`` parameters."""
    q = request.query_params
    return [*q.getlist("include"), *q.getlist("include[]")]
