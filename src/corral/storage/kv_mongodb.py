r"""Key-value store in a MongoDB collection (``kv_mongodb``), via pymongo's async client.

Limits: no MongoDB server runs on corral's CI machines, so this backend is
exercised only where one is reachable (its contract tests skip otherwise).
Documents are ``{_id: "<namespace>\\x1f<key>", ns, key, value, expires_at}``;
the counter increment is one ``find_one_and_update`` with an aggregation
pipeline (atomic per document).
"""

from __future__ import annotations

import time
from typing import Any

from corral.config.storage import KVMongoDBBackend
from corral.errors import ServiceUnavailable

_SEP = "\x1f"


class MongoKVBackend:
    """One client and collection for every namespace of a ``kv_mongodb`` backend."""

    def __init__(self, name: str, config: KVMongoDBBackend) -> None:
        self.name = name
        self._config = config
        self.address = f"{config.host}:{config.port}/{config.db}"
        self._client: Any = None
        self.collection: Any = None

    async def open(self) -> None:
        """Connect (the `mongodb` extra provides pymongo) and check the server answers."""
        from pymongo import AsyncMongoClient

        c = self._config
        if c.connection_string:
            client: Any = AsyncMongoClient(c.connection_string, serverSelectionTimeoutMS=5000)
        else:
            client = AsyncMongoClient(
                host=c.host,
                port=c.port,
                username=c.user,
                password=c.password,
                serverSelectionTimeoutMS=5000,
            )
        await client.admin.command("ping")
        self._client = client
        self.collection = client[c.db][c.collection_name]

    async def close(self) -> None:
        """Close the client."""
        if self._client is not None:
            await self._client.close()
            self._client = None

    def store(self, namespace: str | None) -> MongoKVStore:
        """A store for one namespace."""
        return MongoKVStore(self, namespace or "")

    def unavailable(self, exc: Exception) -> ServiceUnavailable:
        """The 503 for a failed operation."""
        return ServiceUnavailable(f"storage backend {self.name!r} (mongodb {self.address}): {exc}")


class MongoKVStore:
    """One namespace of a `MongoKVBackend`."""

    def __init__(self, backend: MongoKVBackend, namespace: str) -> None:
        self._b = backend
        self._ns = namespace

    def _live(self) -> dict[str, Any]:
        return {"$or": [{"expires_at": None}, {"expires_at": {"$gt": time.time()}}]}

    async def get(self, key: str) -> str | None:
        """The live value or None."""
        doc = await self._b.collection.find_one({"_id": self._ns + _SEP + key, **self._live()})
        return None if doc is None else str(doc["value"])

    async def set(self, key: str, value: str, expires_in: float | None = None) -> None:
        """Insert or replace."""
        expires_at = time.time() + expires_in if expires_in is not None else None
        doc = {"ns": self._ns, "key": key, "value": value, "expires_at": expires_at}
        await self._b.collection.replace_one({"_id": self._ns + _SEP + key}, doc, upsert=True)

    async def delete(self, key: str) -> None:
        """Remove the key."""
        await self._b.collection.delete_one({"_id": self._ns + _SEP + key})

    async def items_with_prefix(self, prefix: str) -> list[tuple[str, str]]:
        """Live pairs whose key starts with `prefix`."""
        return [(k, v) for k, v in await self._all() if k.startswith(prefix)]

    async def items_in_range(self, start: str, end: str) -> list[tuple[str, str]]:
        """Live pairs with start <= key <= end."""
        return [(k, v) for k, v in await self._all() if start <= k <= end]

    async def _all(self) -> list[tuple[str, str]]:
        cursor = self._b.collection.find({"ns": self._ns, **self._live()})
        return sorted([(str(d["key"]), str(d["value"])) async for d in cursor])

    async def incr(self, key: str, expires_in: float) -> tuple[int, float]:
        """Atomic fixed-window counter (one document update with a pipeline)."""
        now = time.time()
        expired = {"$or": [{"$eq": ["$expires_at", None]}, {"$lte": ["$expires_at", now]}]}
        pipeline = [
            {
                "$set": {
                    "ns": self._ns,
                    "key": key,
                    "value": {
                        "$cond": [expired, "1", {"$toString": {"$add": [{"$toLong": "$value"}, 1]}}]
                    },
                    "expires_at": {"$cond": [expired, now + expires_in, "$expires_at"]},
                }
            }
        ]
        from pymongo import ReturnDocument

        doc = await self._b.collection.find_one_and_update(
            {"_id": self._ns + _SEP + key},
            pipeline,
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        return int(doc["value"]), max(0.0, float(doc["expires_at"]) - now)
