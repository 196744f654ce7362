"""Wire types of the connectors and tools routes (Llama Stack 0.7's shapes).

The routes build plain dicts; these models describe them for the OpenAPI
document.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class Connector(BaseModel):
    """A connector: an MCP server named in the run config."""

    connector_type: Literal["mcp"] = "mcp"
    connector_id: str
    url: str
    server_label: str | None = None
    server_name: str | None = None
    server_description: str | None = None
    server_version: str | None = None


class ConnectorList(BaseModel):
    """``GET /v1beta/connectors``."""

    data: list[Connector]


class ToolDef(BaseModel):
    """A tool: its group (connector or tool group), name and JSON Schema."""

    toolgroup_id: str | None = None
    name: str
    description: str | None = None
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class ToolDefList(BaseModel):
    """A list of tools."""

    data: list[ToolDef]
