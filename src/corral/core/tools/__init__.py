"""Server-side tools' shared machinery: the outbound URL policy and the MCP client.

Used by the connectors registry (core) and by providers that run tools for a
request (the responses loop); it holds no per-request state of its own.
"""
