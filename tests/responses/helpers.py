"""Test helpers: SDK objects as plain dicts (what the server sent, checked key by key)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def as_dict(obj: Any) -> dict[str, Any]:
    """An SDK object (a response, an item, an event) as the JSON the server sent."""
    dumped: dict[str, Any] = obj.model_dump(mode="json", exclude_unset=True)
    return dumped


def event_dicts(stream: Iterable[Any]) -> list[dict[str, Any]]:
    """Every event of a streamed response, as dicts."""
    return [as_dict(event) for event in stream]


def texts(page: Any) -> list[str]:
    """The first text part of every message item of a page."""
    return [str(as_dict(item)["content"][0]["text"]) for item in page.data]
