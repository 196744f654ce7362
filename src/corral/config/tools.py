"""The ``tools:`` section: limits and the outbound URL policy of server-side tools.

Server-side tools make corral open connections a *request* chose (an MCP
``server_url``, a connector's URL): without a policy a client could make the
server reach its own loopback, the private network or a cloud metadata
endpoint. The defaults refuse every address that is not globally routable; an
operator opens exactly what is needed with `OutboundPolicyConfig`.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import Field, field_validator

from corral.config.base import ConfigModel


class OutboundPolicyConfig(ConfigModel):
    """Which addresses server-side tools may connect to (checked after DNS, on every hop)."""

    allow_networks: list[str] = Field(default_factory=list)
    """CIDR blocks allowed although not globally routable, e.g. `10.0.0.0/8` for an internal
    MCP server or `127.0.0.0/8` in tests. Every other loopback, private, link-local (including
    cloud metadata at 169.254.169.254), CGNAT, multicast or reserved address is refused.
    """
    allow_hosts: list[str] = Field(default_factory=list)
    """Host names allowed whatever they resolve to (`mcp.internal`, or `*.corp.example` for a
    domain and its subdomains). Use sparingly: the address is then not checked.
    """
    allowed_schemes: list[str] = Field(default_factory=lambda: ["https", "http"])
    """URL schemes tools may use."""

    @field_validator("allow_networks")
    @classmethod
    def _networks_parse(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not a CIDR block (e.g. 10.0.0.0/8)") from None
        return value

    @field_validator("allowed_schemes")
    @classmethod
    def _known_schemes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - {"http", "https"})
        if unknown:
            raise ValueError(f"unsupported scheme(s) {unknown}; use http and/or https")
        return value


class McpClientConfig(ConfigModel):
    """How corral talks to MCP servers."""

    timeout_seconds: float = Field(30.0, gt=0, le=3600)
    """Longest wait for one MCP request (connect, initialise, list or call); beyond it the
    `mcp_call` item carries an error and the response goes on.
    """
    connect_timeout_seconds: float = Field(10.0, gt=0, le=600)
    """Longest wait to open the TCP/TLS connection."""
    list_tools_cache_seconds: float = Field(300.0, ge=0)
    """How long a server's tool list is reused (per URL and credentials); 0 lists every time."""
    max_sessions: int = Field(32, ge=1, le=4096)
    """MCP sessions kept open for reuse; the least recently used closes beyond it."""
    session_idle_seconds: float = Field(120.0, gt=0)
    """An unused session closes after this long."""


class ToolsConfig(ConfigModel):
    """Server-side tools (MCP, connectors, web search): outbound policy and limits."""

    outbound: OutboundPolicyConfig = Field(default_factory=OutboundPolicyConfig)
    """Which addresses tools may reach."""
    mcp: McpClientConfig = Field(default_factory=McpClientConfig)
    """MCP client timeouts, caching and session pool."""
    max_result_bytes: int = Field(1_000_000, ge=1024, le=64_000_000)
    """Largest tool result (UTF-8 bytes) fed to the model; longer ones are cut with a note."""
    max_fetch_bytes: int = Field(20_000_000, ge=1024, le=1_000_000_000)
    """Largest file fetched from a URL for a request (`input_file.file_url`); larger is a 400."""
    fetch_timeout_seconds: float = Field(30.0, gt=0, le=600)
    """Longest wait for such a file."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "outbound": {"allow_networks": ["10.20.0.0/16"], "allow_hosts": ["mcp.internal"]},
            "mcp": {"timeout_seconds": 30, "list_tools_cache_seconds": 300},
            "max_result_bytes": 1000000,
        }
