"""Switch a SQLite database to WAL mode safely when several processes open it at once.

Changing the journal mode needs an exclusive lock, and SQLite answers
"database is locked" at once - without waiting for ``busy_timeout`` - when
another connection holds a lock at that moment: two server workers (or two
replicas) opening the same new file together hit exactly that. So the switch
is retried with a short backoff until a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable

WAL_TIMEOUT_S = 5.0


def enable_wal(execute: Callable[[str], object], timeout_s: float = WAL_TIMEOUT_S) -> None:
    """Run ``PRAGMA journal_mode = WAL`` through `execute`, retrying while the file is locked."""
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        try:
            execute("PRAGMA journal_mode = WAL")
            return
        except Exception as exc:  # sqlite3's, sqlean's or SQLAlchemy's OperationalError
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
