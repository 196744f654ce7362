"""remote::bedrock against a loopback stub of Bedrock Runtime's ApplyGuardrail (SigV4-checked)."""

from __future__ import annotations

import httpx
import openai
import pytest

from tests.fixtures import fake_bedrock
from tests.fixtures.fake_bedrock import RunningBedrock
from tests.fixtures.server import RunningServer
from tests.safety.conftest import run_shield

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow


def test_intervention_is_a_violation_with_the_guardrails_message(
    server: RunningServer, bedrock: RunningBedrock
) -> None:
    r = run_shield(server, "guardrail", ("user", "I hate everyone"))
    violation = r.json()["violation"]
    assert violation["violation_level"] == "error"
    assert violation["user_message"] == fake_bedrock.BLOCKED_MESSAGE
    assert violation["metadata"]["action"] == "GUARDRAIL_INTERVENED"
    filters = violation["metadata"]["assessments"][0]["contentPolicy"]["filters"]
    assert filters[0]["type"] == "HATE"
    sent = bedrock.state.requests[-1]
    assert sent["guardrail"] == ("gr-1", "1")
    assert sent["body"] == {"source": "INPUT", "content": [{"text": {"text": "I hate everyone"}}]}
    # signed with the configured credentials, for Bedrock's signing name and region
    assert sent["scope"]["service"] == "bedrock" and sent["scope"]["region"] == "us-west-2"
    assert bedrock.state.bad_signatures == 0


def test_no_intervention_and_the_answer_side(
    server: RunningServer, bedrock: RunningBedrock
) -> None:
    r = run_shield(server, "guardrail", ("user", "hi"), ("assistant", "Hello, how can I help?"))
    assert r.json() == {"violation": None}
    assert bedrock.state.requests[-1]["body"]["source"] == "OUTPUT"


def test_moderations_map_guardrail_assessments(client: openai.OpenAI) -> None:
    result = client.moderations.create(
        model="guardrail", input=["I hate you", "write to me at jo@example.com", "hello"]
    )
    hate, pii, fine = result.results
    assert hate.flagged and hate.categories.hate and not hate.categories.violence
    assert pii.flagged and pii.model_dump()["categories"]["pii"] is True
    assert not fine.flagged


def test_aws_errors_become_upstream_errors(server: RunningServer) -> None:
    throttled = run_shield(server, "guardrail", ("user", "throttle me"))
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "1"
    missing = run_shield(server, "gr-missing", ("user", "hi"))
    assert missing.status_code == 502
    assert "ResourceNotFoundException" in missing.json()["error"]["message"]


def test_credentials_are_redacted(server: RunningServer) -> None:
    text = httpx.get(f"{server.base_url}/v1/providers").text
    assert fake_bedrock.SECRET_KEY not in text and fake_bedrock.ACCESS_KEY not in text
    bedrock = httpx.get(f"{server.base_url}/v1/providers/bedrock").json()
    assert bedrock["config"]["aws_secret_access_key"] == "********"
    assert bedrock["config"]["region_name"] == "us-west-2"
