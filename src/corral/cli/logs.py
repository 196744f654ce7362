"""Logging setup, done once by the CLI (library code only calls logging.getLogger)."""

from __future__ import annotations

from corral.observe.logs import configure_logging

LOG_FORMATS = ("text", "json")


def setup_logging(level: str = "info", fmt: str = "text") -> None:
    """Logs on stderr with request ids, as text or JSON (`corral.observe.logs`)."""
    configure_logging(level, fmt)
