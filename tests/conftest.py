"""Shared pytest configuration: the `services` marker is derived, `slow` is set per module.

``scripts/test -m "not slow"`` is the quick loop (config, architecture, units:
well under a minute); modules that start a corral server or other processes set
``pytestmark = pytest.mark.slow``. A test is marked ``services`` when it needs
the local PostgreSQL, Redis or MongoDB (its fixtures, or a parametrisation on
those backends), so ``-m "not services"`` runs without them.
"""

from __future__ import annotations

import pytest

_SERVICE_FIXTURES = frozenset({"postgres_db", "redis_prefix"})
_SERVICE_WORDS = ("postgres", "redis", "mongo", "pgvector")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need a local database service."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & _SERVICE_FIXTURES or any(w in item.name.lower() for w in _SERVICE_WORDS):
            item.add_marker(pytest.mark.services)
