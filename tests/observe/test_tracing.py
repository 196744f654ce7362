"""Traces through a real `corral run`, received by an OTLP/HTTP endpoint on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from tests.fixtures.aiohttp_thread import serve_in_thread
from tests.fixtures.fake_openai import run_fake_openai
from tests.fixtures.server import run_server
from tests.observe.conftest import upstream_config

pytestmark = pytest.mark.slow

CLIENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
CLIENT_SPAN = "b7ad6b7169203331"
CHAT = {"model": "fake/fake-chat", "messages": [{"role": "user", "content": "secret prompt"}]}


@dataclass
class Received:
    spans: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _value(attr: Any) -> Any:
    kind = attr.value.WhichOneof("value")
    if kind == "array_value":
        return [_value(type("A", (), {"value": v})) for v in attr.value.array_value.values]
    return getattr(attr.value, kind)


@contextmanager
def otlp_receiver() -> Iterator[tuple[str, Received]]:
    """A loopback OTLP/HTTP (protobuf) trace endpoint that decodes what it is sent."""
    received = Received()

    async def traces(request: web.Request) -> web.Response:
        assert request.content_type == "application/x-protobuf"
        message = ExportTraceServiceRequest.FromString(await request.read())
        for resource in message.resource_spans:
            service = {a.key: _value(a) for a in resource.resource.attributes}["service.name"]
            for scope in resource.scope_spans:
                for span in scope.spans:
                    with received.lock:
                        received.spans.append({
                            "service": service,
                            "name": span.name,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "kind": span.kind,
                            "attributes": {a.key: _value(a) for a in span.attributes},
                            "events": [e.name for e in span.events],
                        })  # fmt: skip
        body = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=body, content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    with serve_in_thread(app) as port:
        yield f"http://127.0.0.1:{port}", received


def wait_for(received: Received, names: dict[str, int]) -> list[dict[str, Any]]:
    """The spans received once they include `names` (name: how many), or after 15 s."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with received.lock:
            spans = list(received.spans)
        found = [s["name"] for s in spans]
        if all(found.count(name) >= n for name, n in names.items()):
            return spans
        time.sleep(0.1)
    return spans


def test_request_span_tree_genai_attributes_and_traceparent_to_the_upstream(
    tmp_path: Path,
) -> None:
    with otlp_receiver() as (collector, received), run_fake_openai() as fake:
        extra = f"telemetry:\n  enabled: true\n  service_name: corral-test\n  otel_exporter_otlp_endpoint: {collector}\n"
        env = {"OTEL_BSP_SCHEDULE_DELAY": "100"}
        with run_server(upstream_config(fake.url, extra), tmp_path, env=env) as server:
            traceparent = f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"
            response = httpx.post(f"{server.base_url}/v1/chat/completions", json=CHAT,
                                  headers={"traceparent": traceparent, "X-Request-ID": "r1"})  # fmt: skip
            assert response.status_code == 200
            rid = response.headers["x-request-id"]  # the client's id is not trusted here
            upstream_headers = {k.lower(): v for k, v in fake.state.requests[-1]["headers"].items()}
            spans = wait_for(received, {"POST /v1/chat/completions": 1, "chat fake/fake-chat": 1})
    by_name = {s["name"]: s for s in spans}
    request = by_name["POST /v1/chat/completions"]
    call = by_name["chat fake/fake-chat"]
    assert "handler" not in by_name  # no auth or quota stages: the request span is the handler's
    assert {s["trace_id"] for s in (request, call)} == {CLIENT_TRACE}
    assert request["parent"] == CLIENT_SPAN and request["service"] == "corral-test"
    assert call["parent"] == request["span_id"]
    assert request["attributes"]["http.route"] == "/v1/chat/completions"
    assert request["attributes"]["http.response.status_code"] == 200
    assert request["attributes"]["corral.request_id"] == rid
    attrs = call["attributes"]
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.request.model"] == "fake/fake-chat"
    assert attrs["gen_ai.provider.name"] == "fake"
    assert attrs["gen_ai.response.model"] == "fake/fake-chat"
    assert attrs["gen_ai.usage.input_tokens"] == 5 and attrs["gen_ai.usage.output_tokens"] == 3
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    # The upstream's work is a child of corral's model-call span, in the client's trace.
    assert upstream_headers["traceparent"] == f"00-{CLIENT_TRACE}-{call['span_id']}-01"
    assert upstream_headers["x-request-id"] == rid
    # Prompts and answers are never recorded.
    assert not any("secret prompt" in str(s) for s in spans)


def test_auth_and_quota_stages_and_a_rejected_request(tmp_path: Path) -> None:
    from tests.auth.test_access_policy import USERS
    from tests.fixtures.identity_stubs import run_identity_stubs
    from tests.observe.test_metrics import authed

    with otlp_receiver() as (collector, received), run_fake_openai() as fake, \
            run_identity_stubs() as stubs:  # fmt: skip
        stubs.custom_users.update({t: {**u, "message": "ok"} for t, u in USERS.items()})
        extra = f"telemetry:\n  sinks: [otel_trace]\n  otel_exporter_otlp_endpoint: {collector}\n"
        env = {"OTEL_BSP_SCHEDULE_DELAY": "100"}
        config = upstream_config(fake.url, extra, server=authed(stubs.url))
        with run_server(config, tmp_path, env=env) as server:
            ok = httpx.post(f"{server.base_url}/v1/chat/completions", json=CHAT,
                            headers={"Authorization": "Bearer t-ann"})  # fmt: skip
            bad = httpx.get(f"{server.base_url}/v1/models", headers={"Authorization": "Bearer no"})
            assert (ok.status_code, bad.status_code) == (200, 401)
            names = {"GET /v1/models": 1, "POST /v1/chat/completions": 1, "auth": 2, "handler": 1}
            spans = wait_for(received, names)
    (ok_root,) = [s for s in spans if s["name"] == "POST /v1/chat/completions"]
    (bad_root,) = [s for s in spans if s["name"] == "GET /v1/models"]
    children = {s["name"]: s for s in spans if s["parent"] == ok_root["span_id"]}
    assert set(children) == {"auth", "quota", "handler"}
    (call,) = [s for s in spans if s["name"] == "chat fake/fake-chat"]
    assert call["parent"] == children["handler"]["span_id"]
    rejected = {s["name"] for s in spans if s["parent"] == bad_root["span_id"]}
    assert rejected == {"auth"}
    assert bad_root["attributes"]["error.type"] == "invalid_token"


def test_tracing_is_off_by_default_and_with_otel_sdk_disabled(tmp_path: Path) -> None:
    with otlp_receiver() as (collector, received), run_fake_openai() as fake:
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": collector, "OTEL_SDK_DISABLED": "true",
               "OTEL_BSP_SCHEDULE_DELAY": "100"}  # fmt: skip
        with run_server(upstream_config(fake.url), tmp_path, env=env) as server:
            httpx.post(f"{server.base_url}/v1/chat/completions", json=CHAT,
                       headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"})  # fmt: skip
            headers = {k.lower() for k in fake.state.requests[-1]["headers"]}
            time.sleep(0.5)
        assert received.spans == []
        assert "traceparent" not in headers  # not traced: not propagated either
