"""The top-level ``connectors:`` section: MCP servers registered at startup.

A connector names a remote MCP server once, so a request can say
``{"type": "mcp", "connector_id": "docs"}`` instead of repeating its URL, and so
``GET /v1beta/connectors`` and ``GET /v1/tools`` can list it. The fields are the
ones Llama Stack's ``connectors:`` list has (``connector_type``, ``connector_id``,
``url``, ``server_label``). Checks that need the whole config (ids used twice)
are in `connector_issues`, so each problem points at its own line.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from corral.config.base import ConfigModel
from corral.config.envsubst import DISABLED
from corral.config.issues import ConfigIssue


class ConnectorEntry(ConfigModel):
    """One connector: a named MCP server."""

    connector_type: Literal["mcp"] = "mcp"
    """`mcp` (the only kind of connector)."""
    connector_id: str = Field(min_length=1)
    """The id requests and routes use (`/v1beta/connectors/{connector_id}`); `__disabled__`
    switches the connector off.
    """
    url: str = Field(pattern=r"^https?://[^\s/]+")
    """The MCP server's endpoint: `http(s)://host[:port]/path` (streamable HTTP; a path ending in
    `/sse` is spoken to over SSE).
    """
    server_label: str | None = None
    """Label shown in `mcp_list_tools`/`mcp_call` items; defaults to the connector id."""

    @model_validator(mode="before")
    @classmethod
    def _switched_off_entry_is_not_checked(cls, data: Any) -> Any:
        # `connector_id: ${env.DOCS_MCP:+docs}` switches the entry off; its url may then name
        # an unset variable, so only the id is kept (the entry keeps its index for messages).
        if isinstance(data, dict) and data.get("connector_id") == DISABLED:
            return {"connector_id": DISABLED, "url": "http://disabled.invalid"}
        return data

    def is_disabled(self) -> bool:
        """True when the config switched this connector off."""
        return self.connector_id == DISABLED

    @property
    def label(self) -> str:
        """The server label, or the connector id when none is set."""
        return self.server_label or self.connector_id

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of one entry."""
        return {
            "connector_type": "mcp",
            "connector_id": "docs",
            "url": "${env.DOCS_MCP_URL:=https://mcp.example.com/mcp}",
            "server_label": "docs",
        }


def connector_issues(connectors: list[ConnectorEntry]) -> list[ConfigIssue]:
    """A connector id used twice (the second use is the one reported)."""
    out = []
    seen: set[str] = set()
    for index, entry in enumerate(connectors):
        if entry.is_disabled():
            continue
        if entry.connector_id in seen:
            out.append(
                ConfigIssue(
                    ("connectors", index, "connector_id"),
                    f"connector_id {entry.connector_id!r} is used twice",
                    "give each connector its own id",
                )
            )
        seen.add(entry.connector_id)
    return out
