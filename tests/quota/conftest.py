"""Service fixtures for the quota tests."""

from tests.fixtures.services import postgres_db, redis_prefix

__all__ = ["postgres_db", "redis_prefix"]
