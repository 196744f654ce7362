"""Logging setup, done once by the CLI (library code only calls logging.getLogger)."""

from __future__ import annotations

import logging

from corral.config.run import LoggingConfig
from corral.observe.logs import configure_logging

LOG_FORMATS = ("text", "json")

#: Llama Stack's logging categories → the corral loggers they set (``all``: every one).
CATEGORY_LOGGERS: dict[str, tuple[str, ...]] = {
    "all": ("corral",),
    "core": ("corral.stack", "corral.resolver", "corral.registry", "corral.resources"),
    "server": ("corral.server", "corral.auth", "corral.access", "corral.route_policy"),
    "router": ("corral.guard",),
    "inference": ("corral.inference", "corral.upstream", "corral.llama_cpp", "corral.embedded"),
    "agents": ("corral.responses",),
    "openai_responses": ("corral.responses",),
    "openai_conversations": ("corral.conversations",),
    "safety": ("corral.shields", "corral.guard"),
    "models": ("corral.models",),
    "files": ("corral.files",),
    "file_processors": ("corral.file_processors",),
    "vector_io": ("corral.vector_io", "corral.vector_stores"),
    "providers": ("corral.providers",),
}


def setup_logging(level: str = "info", fmt: str = "text") -> None:
    """Logs on stderr with request ids, as text or JSON (`corral.observe.logs`)."""
    configure_logging(level, fmt)


def apply_category_levels(config: LoggingConfig | None) -> None:
    """Set the levels of the run config's ``logging.category_levels`` (``all`` first)."""
    if config is None:
        return
    levels = sorted(config.category_levels.items(), key=lambda kv: kv[0] != "all")
    for category, level in levels:
        for name in CATEGORY_LOGGERS.get(category, (f"corral.{category}",)):
            logging.getLogger(name).setLevel(level.upper())
