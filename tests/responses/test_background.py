"""Background responses: answered at once as queued, finished by the server, cancellable."""

from __future__ import annotations

import time

import httpx
import openai
import pytest


def _wait_for(
    client: openai.OpenAI, response_id: str, statuses: set[str], timeout: float = 20
) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = client.responses.retrieve(response_id).status or ""
        if status in statuses:
            return status
        time.sleep(0.05)
    pytest.fail(f"response {response_id} stayed {status!r}")


def test_background_response_finishes_on_its_own(client: openai.OpenAI) -> None:
    created = client.responses.create(model="script/echo", input="later", background=True)
    assert created.status in ("queued", "in_progress")
    assert created.background is True
    assert _wait_for(client, created.id, {"completed"}) == "completed"
    assert client.responses.retrieve(created.id).output_text == "You said: later"
    with pytest.raises(openai.ConflictError):
        client.responses.cancel(created.id)


def test_cancel_stops_a_background_response(client: openai.OpenAI) -> None:
    created = client.responses.create(model="script/slow-words", input="talk", background=True)
    _wait_for(client, created.id, {"in_progress"})
    cancelled = client.responses.cancel(created.id)
    assert cancelled.status == "cancelled"
    assert client.responses.cancel(created.id).status == "cancelled"  # idempotent
    time.sleep(0.3)  # the worker must not overwrite the cancellation when it stops
    assert client.responses.retrieve(created.id).status == "cancelled"


def test_only_background_responses_can_be_cancelled(client: openai.OpenAI) -> None:
    plain = client.responses.create(model="script/echo", input="now")
    with pytest.raises(openai.ConflictError) as raised:
        client.responses.cancel(plain.id)
    assert "background" in str(raised.value)


def test_background_stream_sends_events(client: openai.OpenAI) -> None:
    events = list(
        client.responses.create(model="script/echo", input="bg", background=True, stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds[0] == "response.queued" and kinds[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_cancel_of_unknown_response_is_404(client: openai.OpenAI) -> None:
    response = httpx.post(f"{client.base_url}responses/resp_nope/cancel", timeout=10)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "response_not_found"
