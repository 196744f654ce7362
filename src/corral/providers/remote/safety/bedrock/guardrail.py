"""`BedrockGuardrails`: run an Amazon Bedrock guardrail on the last message (ApplyGuardrail).

boto3 is synchronous, so every call runs in a worker thread. A shield's
``provider_shield_id`` is the guardrail id (or ARN) and its params carry
``guardrailVersion``; the last message is sent as ``INPUT`` unless it is the
assistant's answer (``OUTPUT``); a ``source`` param overrides that. AWS errors
become corral's upstream errors (a throttled call is a 429 with Retry-After).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from corral.apis.safety.api import ShieldCall, ShieldTarget, Violation
from corral.errors import InvalidParameter, UpstreamError, UpstreamRateLimited, UpstreamTimeout

#: Bedrock content-filter types → moderation category names.
FILTER_CATEGORIES = {
    "HATE": "hate",
    "INSULTS": "harassment",
    "SEXUAL": "sexual",
    "VIOLENCE": "violence",
    "MISCONDUCT": "illicit",
    "PROMPT_ATTACK": "prompt_injection",
}
DEFAULT_MESSAGE = "This content was blocked by a guardrail."


@dataclass(frozen=True)
class AwsErrors:
    """The botocore exception classes (passed in: botocore is imported lazily)."""

    client: type[Exception]
    connect: type[Exception]
    read_timeout: type[Exception]
    other: type[Exception]


class BedrockGuardrails:
    """The ``remote::bedrock`` safety provider."""

    def __init__(self, client: Any, errors: AwsErrors) -> None:
        self.client = client
        self.errors = errors

    async def register_shield(self, shield: ShieldTarget) -> None:
        """A guardrail shield needs its version."""
        _version(shield.params)

    async def run_shield(self, call: ShieldCall) -> Violation | None:
        """Apply the guardrail to the last message."""
        last = call.messages[-1]
        source = call.params.get("source") or ("OUTPUT" if last.role == "assistant" else "INPUT")
        if source not in ("INPUT", "OUTPUT"):
            raise InvalidParameter("params.source", "must be INPUT or OUTPUT")
        request = {
            "guardrailIdentifier": call.shield.provider_shield_id,
            "guardrailVersion": _version(call.params),
            "source": source,
            "content": [{"text": {"text": last.text}}],
        }
        try:
            response = await asyncio.to_thread(self.client.apply_guardrail, **request)
        except Exception as exc:
            mapped = self._upstream(exc)
            if mapped is exc:
                raise
            raise mapped from exc
        if response.get("action") != "GUARDRAIL_INTERVENED":
            return None
        return _violation(response)

    def _upstream(self, exc: Exception) -> Exception:
        if isinstance(exc, self.errors.client):
            answer: dict[str, Any] = getattr(exc, "response", {})
            error = answer.get("Error", {})
            status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code, message = error.get("Code", "Error"), error.get("Message", "")
            text = f"Bedrock ApplyGuardrail failed: {code}: {message}"
            if code == "ThrottlingException" or status == 429:
                return UpstreamRateLimited(text, upstream_status=429, headers={"Retry-After": "1"})
            return UpstreamError(text, upstream_status=status, code="guardrail_error")
        if isinstance(exc, self.errors.read_timeout):
            return UpstreamTimeout("Bedrock ApplyGuardrail timed out")
        if isinstance(exc, self.errors.connect):
            return UpstreamError(f"cannot reach Bedrock: {exc}", code="upstream_unreachable")
        if isinstance(exc, self.errors.other):
            return UpstreamError(f"Bedrock ApplyGuardrail failed: {exc}", code="guardrail_error")
        return exc

    async def shutdown(self) -> None:
        """Close the client's connection pool."""
        await asyncio.to_thread(self.client.close)


def _version(params: dict[str, Any]) -> str:
    version = params.get("guardrailVersion")
    if isinstance(version, int) and not isinstance(version, bool):
        version = str(version)
    if not isinstance(version, str) or not version:
        raise InvalidParameter(
            "params.guardrailVersion",
            "a Bedrock shield needs the guardrail version (e.g. '1' or 'DRAFT') in its params",
        )
    return version


def _violation(response: dict[str, Any]) -> Violation:
    outputs = [o.get("text", "") for o in response.get("outputs") or [] if isinstance(o, dict)]
    assessments = response.get("assessments") or []
    metadata: dict[str, Any] = {"action": response["action"], "assessments": assessments}
    if response.get("actionReason"):
        metadata["actionReason"] = response["actionReason"]
    return Violation(
        level="error",
        user_message=" ".join(t for t in outputs if t) or DEFAULT_MESSAGE,
        metadata=metadata,
        categories=tuple(dict.fromkeys(c for a in assessments for c in _categories(a))),
    )


def _categories(assessment: Any) -> list[str]:
    """Moderation categories of one assessment: content filters, topics, PII, words."""
    if not isinstance(assessment, dict):
        return []
    out = []
    for item in (assessment.get("contentPolicy") or {}).get("filters", []):
        if item.get("action") == "BLOCKED":
            out.append(FILTER_CATEGORIES.get(item.get("type", ""), str(item.get("type")).lower()))
    for item in (assessment.get("topicPolicy") or {}).get("topics", []):
        if item.get("action") == "BLOCKED":
            out.append(f"topic/{item.get('name')}")
    sensitive = assessment.get("sensitiveInformationPolicy") or {}
    if any(
        i.get("action") in ("BLOCKED", "ANONYMIZED")
        for k in ("piiEntities", "regexes")
        for i in sensitive.get(k, [])
    ):
        out.append("pii")
    words = assessment.get("wordPolicy") or {}
    if any(
        i.get("action") == "BLOCKED"
        for k in ("customWords", "managedWordLists")
        for i in words.get(k, [])
    ):
        out.append("blocked_words")
    return out
