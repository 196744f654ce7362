"""Wire types of ``/v1/shields``, ``/v1/safety/run-shield`` and ``/v1/moderations``.

Request models accept unknown fields (clients send what their SDK version
sends); responses follow Llama Stack's shapes (shields, run-shield) and
OpenAI's (moderations), so both SDKs parse them unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from corral.apis.resources import Resource
from corral.apis.safety.api import Violation

#: The categories every OpenAI moderation result carries (the SDK requires them).
OPENAI_CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class RegisterShieldRequest(BaseModel):
    """``POST /v1/shields``: register a shield served by a configured safety provider."""

    model_config = ConfigDict(extra="forbid")

    shield_id: str = Field(min_length=1)
    provider_id: str | None = None
    provider_shield_id: str | None = None
    params: dict[str, Any] | None = None


class Shield(BaseModel):
    """A registered shield (Llama Stack's ``Shield`` resource)."""

    identifier: str
    provider_id: str
    provider_resource_id: str
    type: Literal["shield"] = "shield"
    params: dict[str, Any] = Field(default_factory=dict)


class ShieldList(BaseModel):
    """``GET /v1/shields``."""

    data: list[Shield]


class RunShieldRequest(_Open):
    """``POST /v1/safety/run-shield``."""

    shield_id: str = Field(min_length=1)
    messages: list[dict[str, Any]] = Field(min_length=1)
    params: dict[str, Any] | None = None


class SafetyViolation(BaseModel):
    """A violation as run-shield reports it."""

    violation_level: Literal["info", "warn", "error"]
    user_message: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class RunShieldResponse(BaseModel):
    """``{"violation": null}`` or the violation found."""

    violation: SafetyViolation | None = None


class ModerationRequest(_Open):
    """``POST /v1/moderations`` (OpenAI format); ``model`` names a shield."""

    input: str | list[Any]
    model: str | None = None


class ModerationResult(BaseModel):
    """One input's result, OpenAI's fields plus Llama Stack's ``user_message``/``metadata``."""

    flagged: bool
    categories: dict[str, bool]
    category_scores: dict[str, float]
    category_applied_input_types: dict[str, list[str]]
    user_message: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class ModerationResponse(BaseModel):
    """``POST /v1/moderations`` answer: one result per input, in order."""

    id: str
    model: str
    results: list[ModerationResult]


def shield_payload(resource: Resource) -> dict[str, Any]:
    """The wire form of a registered shield."""
    return {
        "identifier": resource.identifier,
        "provider_id": resource.provider_id,
        "provider_resource_id": resource.provider_resource_id,
        "type": "shield",
        "params": resource.data.get("params", {}),
    }


def violation_payload(violation: Violation | None) -> dict[str, Any] | None:
    """The run-shield form of a violation."""
    if violation is None:
        return None
    return {
        "violation_level": violation.level,
        "user_message": violation.user_message,
        "metadata": violation.metadata,
    }


def moderation_result(violation: Violation | None) -> dict[str, Any]:
    """One OpenAI moderation result; scores are 1.0/0.0 since shields give verdicts, not odds.

    Categories outside OpenAI's list (``pii``, ``prompt_injection``, Llama Guard's
    ``custom/...``) are added as extra keys when flagged.
    """
    flagged = set(violation.categories) if violation is not None else set()
    names = list(OPENAI_CATEGORIES) + sorted(flagged - set(OPENAI_CATEGORIES))
    result: dict[str, Any] = {
        "flagged": violation is not None,
        "categories": {name: name in flagged for name in names},
        "category_scores": {name: 1.0 if name in flagged else 0.0 for name in names},
        "category_applied_input_types": {
            name: ["text"] if name in flagged else [] for name in names
        },
    }
    if violation is not None:
        result["user_message"] = violation.user_message
        result["metadata"] = violation.metadata
    return result
