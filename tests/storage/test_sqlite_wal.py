"""SQLite files opened by several processes at once: the switch to WAL survives the race.

Server workers (or replicas) opening the same new file together sometimes got
"database is locked" from ``PRAGMA journal_mode = WAL`` at once, busy_timeout or
not (seen in CI on the two-process counter test, and reproduced here: about 3%
of simultaneous opens). `enable_wal` retries it; every SQLite backend uses it.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from corral.storage.sqlite_wal import enable_wal

PROCESSES = 3
ROUNDS = 100  # 300 simultaneous opens: without the retry, some fail on almost every run


def _open_like_a_backend(path: str, barrier: Barrier, errors: Any) -> None:
    barrier.wait()
    try:
        conn = sqlite3.connect(path, timeout=5, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 5000")
        enable_wal(conn.execute)
        conn.execute("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT)")
        conn.close()
    except Exception as exc:
        errors.put(str(exc))


@pytest.mark.slow  # starts several processes
def test_processes_opening_a_new_file_together_all_get_wal(tmp_path: Path) -> None:
    fork = multiprocessing.get_context("fork")
    errors = fork.Queue()
    for round_ in range(ROUNDS):
        path = str(tmp_path / f"db{round_}.sqlite")
        barrier = fork.Barrier(PROCESSES)
        procs = [
            fork.Process(target=_open_like_a_backend, args=(path, barrier, errors))
            for _ in range(PROCESSES)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(30)
        assert all(proc.exitcode == 0 for proc in procs)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    with sqlite3.connect(tmp_path / "db0.sqlite") as check:
        assert check.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@contextmanager
def locked_for(path: Path, seconds: float) -> Iterator[None]:
    """Another connection holds an exclusive lock on `path` for `seconds` (or the block)."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE IF NOT EXISTS t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(seconds, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        yield
    finally:
        release.cancel()
        release.join()
        holder.close()


def test_a_lock_that_is_never_released_still_fails_after_the_deadline(tmp_path: Path) -> None:
    path = tmp_path / "stuck.db"
    with locked_for(path, 30.0):
        conn = sqlite3.connect(path, isolation_level=None, timeout=0.1)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                enable_wal(conn.execute, timeout_s=0.3)
        finally:
            conn.close()
