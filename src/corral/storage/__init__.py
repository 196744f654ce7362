"""Storage: the named KV and SQL backends of ``storage.backends`` and the stores built on them.

`StorageManager` opens every declared backend once at startup (one pool each),
hands out namespaced KV stores and table-scoped SQL stores to the server and to
providers, and closes everything on shutdown. This layer knows nothing about
HTTP or providers.
"""
