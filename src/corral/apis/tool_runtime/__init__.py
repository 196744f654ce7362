"""The tool_runtime API: server-side tools served by providers (web search)."""
