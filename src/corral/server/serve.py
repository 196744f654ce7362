"""Run the app under uvicorn: TLS, workers, graceful shutdown.

With ``server.workers > 1`` uvicorn starts each worker from an import string,
so the worker rebuilds the app from the config path in ``CORRAL_CONFIG_PATH``
(the environment, including ``--env`` overrides, is inherited).
"""

from __future__ import annotations

import os
import shutil
import ssl
import tempfile
from typing import Any

import uvicorn

from corral.config.loader import LoadedConfig, load_config
from corral.core.registry import load_provider_registry
from corral.observe.logs import configure_logging
from corral.observe.metrics import MULTIPROC_ENV
from corral.server.app import CorralApp, create_app
from corral.server.protocol import CorralHttpProtocol

CONFIG_PATH_ENV = "CORRAL_CONFIG_PATH"
LOG_ENV = "CORRAL_WORKER_LOGGING"
GRACEFUL_SHUTDOWN_SECONDS = 30


def app_from_environment() -> CorralApp:
    """Uvicorn worker factory: load the config named by ``CORRAL_CONFIG_PATH``."""
    level, _, fmt = os.environ.get(LOG_ENV, "info:text").partition(":")
    configure_logging(level, fmt or "text")
    loaded = load_config(os.environ[CONFIG_PATH_ENV], load_provider_registry())
    return create_app(loaded)


def serve(
    loaded: LoadedConfig,
    host: str,
    port: int,
    log_level: str = "info",
    app: CorralApp | None = None,
    *,
    log_format: str = "text",
) -> None:
    """Serve `app` (built from `loaded` when not given) until SIGINT/SIGTERM.

    In-flight requests finish before pools close. With several workers each
    builds its own app from the config file.
    """
    server = loaded.run.server
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "access_log": False,
        "http": CorralHttpProtocol,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "timeout_keep_alive": server.limits.keep_alive_timeout_seconds,
        "server_header": False,
        # X-Forwarded-For is trusted only where corral is told to (quota's trusted_proxies).
        "proxy_headers": False,
        "log_config": None,
    }
    if server.tls_certfile and server.tls_keyfile:
        options["ssl_certfile"] = os.path.expanduser(server.tls_certfile)
        options["ssl_keyfile"] = os.path.expanduser(server.tls_keyfile)
        if server.tls_cafile:
            options["ssl_ca_certs"] = os.path.expanduser(server.tls_cafile)
            options["ssl_cert_reqs"] = ssl.CERT_REQUIRED
    if _has_uvloop():
        options["loop"] = "uvloop"
    if server.workers > 1:
        os.environ[CONFIG_PATH_ENV] = loaded.source
        os.environ[LOG_ENV] = f"{log_level}:{log_format}"
        # Workers write their metrics to files here; any worker's /metrics merges them all.
        given = os.environ.get(MULTIPROC_ENV)
        metrics_dir = given or tempfile.mkdtemp(prefix="corral-metrics-")
        os.environ[MULTIPROC_ENV] = metrics_dir
        try:
            uvicorn.run(
                "corral.server.serve:app_from_environment",
                factory=True,
                workers=server.workers,
                **options,
            )
        finally:
            if not given:
                shutil.rmtree(metrics_dir, ignore_errors=True)
    else:
        uvicorn.run(app or create_app(loaded), **options)


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True
