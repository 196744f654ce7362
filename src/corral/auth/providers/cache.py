"""A bounded LRU cache of validated identities, keyed by a hash of the token (never the token)."""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable

from corral.apis.context import User

MAX_ENTRIES = 10000


def token_key(token: str) -> str:
    """The cache (and quota) key of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


class IdentityCache:
    """Token hash → (user, expiry); oldest entries go first when full."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._items: OrderedDict[str, tuple[User, float]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    def get(self, key: str) -> User | None:
        """The cached user, or None when absent or expired."""
        found = self._items.get(key)
        if found is None:
            return None
        user, expires = found
        if expires <= self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return user

    def put(self, key: str, user: User, ttl: float) -> None:
        """Remember `user` for `ttl` seconds."""
        if ttl <= 0:
            return
        self._items[key] = (user, self._clock() + ttl)
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)
