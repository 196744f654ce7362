"""The internals the fast paths rely on are still there, in a version they were measured with.

corral subclasses uvicorn's httptools protocol (`server/protocol.py`) and
matches routes itself with Starlette's path compiler (`server/routing.py`, `RouteTable`).
Both reach below the libraries' public APIs, so pyproject.toml pins them below
their next minor release and this test fails loudly, naming what moved, when an
installed version is outside the pins or an internal is gone.
"""

from __future__ import annotations

import inspect
import re
from importlib import metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet
from starlette.routing import compile_path
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

ROOT = Path(__file__).resolve().parents[2]


def _pins() -> dict[str, SpecifierSet]:
    text = (ROOT / "pyproject.toml").read_text()
    found = re.findall(r'"(starlette|uvicorn)([<>=!,.0-9]+)"', text)
    return {name: SpecifierSet(spec) for name, spec in found}


def test_installed_versions_are_inside_the_pins() -> None:
    pins = _pins()
    assert set(pins) == {"starlette", "uvicorn"}
    for name, spec in pins.items():
        assert "<" in str(spec), f"{name} must be pinned below its next minor release"
        version = metadata.version(name)
        assert version in spec, (
            f"{name} {version} is outside {spec}: re-check the fast path that uses its "
            "internals (docs/performance.md, Fast paths) and move the pin"
        )


def test_uvicorn_protocol_internals_are_there() -> None:
    """CorralHttpProtocol wraps the transport in connection_made and relies on these."""
    params = list(inspect.signature(HttpToolsProtocol.connection_made).parameters)
    assert params == ["self", "transport"], params
    hooks = (
        "data_received",
        "connection_lost",
        "eof_received",
        "on_response_complete",
        "on_header",
        "on_headers_complete",
        "on_body",
        "on_message_complete",
        "send_400_response",
    )
    for name in hooks:
        assert callable(getattr(HttpToolsProtocol, name, None)), f"HttpToolsProtocol.{name} is gone"
    init = list(inspect.signature(HttpToolsProtocol.__init__).parameters)
    assert init == ["self", "config", "server_state", "app_state", "_loop"], init


def test_uvicorn_cycle_and_flow_internals_are_there() -> None:
    """server.limits refuses a request mid-body through the cycle's and flow's state."""
    cycle = inspect.signature(RequestResponseCycle.__init__).parameters
    assert "message_event" in cycle and "keep_alive" in cycle
    source = inspect.getsource(RequestResponseCycle.__init__)
    for attribute in ("self.disconnected", "self.response_started", "self.response_complete"):
        assert attribute in source, f"RequestResponseCycle lost {attribute}"
    assert "self.more_body" in source
    assert "self.read_paused" in inspect.getsource(FlowControl.__init__)


def test_starlette_path_compiler_is_there() -> None:
    """RouteTable compiles paths with Starlette's compile_path (regex, format, convertors)."""
    regex, fmt, convertors = compile_path("/v1/x/{model_id:path}")
    assert fmt == "/v1/x/{model_id}"
    found = regex.match("/v1/x/a/b")
    assert found is not None and found.groupdict() == {"model_id": "a/b"}
    assert convertors["model_id"].convert("a/b") == "a/b"
    assert compile_path("/v1/x")[2] == {}
