"""Log records carry the request id; the text and JSON formats; the access logger.

`RequestIdFilter` stamps every record with the id of the request being served
(``-`` outside one). The access log (`ACCESS_LOGGER`) is written through a
queue by a background thread, so a slow stderr never holds up a request.
"""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

from corral.observe.context import CURRENT

ACCESS_LOGGER = "corral.access"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
#: LogRecord attributes that are not extra fields of a JSON line.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
}


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (the current request's, or ``-``) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record; never drops one."""
        if not hasattr(record, "request_id"):
            current = CURRENT.get()
            record.request_id = "-" if current is None else current.request_id
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def formatter(fmt: str) -> logging.Formatter:
    """The formatter for ``--log-format`` (`text` or `json`)."""
    return JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT)


def queued_handler(
    target: logging.Handler,
) -> tuple[logging.Handler, logging.handlers.QueueListener]:
    """A handler that only enqueues, and the started listener thread that writes to `target`."""
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    listener = logging.handlers.QueueListener(records, target, respect_handler_level=False)
    listener.start()
    return logging.handlers.QueueHandler(records), listener


def configure_logging(level: str = "info", fmt: str = "text") -> None:
    """Timestamped logs on stderr, each line with its request id; `fmt` is `text` or `json`.

    Called once per process: by the CLI, and by each worker process of
    ``server.workers > 1``. The access log (``corral.access``) goes through a
    queue to a background thread, so writing it never blocks a request.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    access_target = logging.StreamHandler(sys.stderr)
    access_target.setFormatter(formatter(fmt))
    queued, listener = queued_handler(access_target)
    # The id is stamped here, in the request's context, not in the writer thread.
    queued.addFilter(RequestIdFilter())
    access = logging.getLogger(ACCESS_LOGGER)
    access.handlers[:] = [queued]
    access.propagate = False
    access.setLevel(logging.INFO)
    atexit.register(listener.stop)
