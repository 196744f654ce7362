"""The ``ssl`` argument asyncpg takes, from libpq's ``sslmode`` and ``sslrootcert`` settings.

Both PostgreSQL backends (``kv_postgres`` through asyncpg, ``sql_postgres``
through SQLAlchemy on asyncpg) connect with it. A mode alone is passed as
asyncpg reads it; a CA file builds a context that verifies the server's
certificate against it (and its host name too under ``verify-full``), as libpq
does when ``sslrootcert`` is given.
"""

from __future__ import annotations

import ssl
from pathlib import Path


def asyncpg_ssl(mode: str | None, ca_cert_path: str | None) -> str | ssl.SSLContext | None:
    """None (asyncpg's default), a mode name, or a verifying context."""
    if ca_cert_path is None or mode in ("disable", "allow"):
        return mode
    context = ssl.create_default_context(cafile=str(Path(ca_cert_path).expanduser()))
    context.check_hostname = mode == "verify-full"
    return context
