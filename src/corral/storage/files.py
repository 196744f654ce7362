"""`StoreFiles`: notice when a SQLite file under a running server vanishes or is replaced.

A SQLite connection keeps writing to the file it opened even after that file
is deleted (or replaced by another): every write looks fine and is gone at the
next start. The manager records each file's identity (device, inode) when its
backend opens; `problems()` compares the path with it again, and checks the
file and its folder can still be written. The health route calls it (a few
``stat`` calls) and reports the backend; each new problem is logged once.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

log = logging.getLogger("corral.storage")


@dataclass(frozen=True)
class _Watched:
    backend: str
    path: str
    identity: tuple[int, int]


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


class StoreFiles:
    """The SQLite files of one stack's backends, and what went wrong with them since."""

    def __init__(self) -> None:
        self._watched: list[_Watched] = []
        self._reported: set[tuple[str, str]] = set()

    def add(self, backend: str, path: str) -> None:
        """Watch `path` (just opened by `backend`); in-memory databases are skipped."""
        if path in ("", ":memory:") or path.startswith("file::memory:"):
            return
        identity = _identity(path)
        if identity is not None:
            self._watched.append(_Watched(backend, path, identity))

    def problems(self) -> dict[str, str]:
        """Backend name → what is wrong with its file (empty when all is well)."""
        out: dict[str, str] = {}
        for watched in self._watched:
            problem = _problem(watched)
            if problem is not None:
                out[watched.backend] = problem
                if (watched.backend, problem) not in self._reported:
                    self._reported.add((watched.backend, problem))
                    log.error("storage backend %s: %s", watched.backend, problem)
        return out


def _problem(watched: _Watched) -> str | None:
    identity = _identity(watched.path)
    if identity is None:
        return (
            f"its SQLite file {watched.path} has vanished; what is written now is lost at "
            "restart (restore the file or restart the server)"
        )
    if identity != watched.identity:
        return (
            f"its SQLite file {watched.path} was replaced by another file; the server still "
            "writes to the old one (restart the server)"
        )
    folder = os.path.dirname(watched.path) or "."
    if not os.access(watched.path, os.W_OK) or not os.access(folder, os.W_OK):
        return f"its SQLite file {watched.path} (or its folder) cannot be written"
    return None
