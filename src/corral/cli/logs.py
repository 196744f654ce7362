"""Logging setup, done once by the CLI (library code only calls logging.getLogger)."""

from __future__ import annotations

import logging
import sys


def setup_logging(level: str = "info") -> None:
    """Plain, timestamped logs on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
