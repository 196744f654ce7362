"""What a safety provider implements.

A provider judges one conversation with one shield and answers with a
`Violation` or None. The router has already resolved the shield, checked
access and normalised the messages to `ShieldMessage` (role + text), so a
provider never parses wire formats. By convention a shield assesses the *last*
message; earlier messages are context (Llama Guard uses them, pattern shields
do not).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from corral.apis.context import RequestContext

ViolationLevel = Literal["info", "warn", "error"]

#: Order of severity; a guard blocks on ``error`` only.
LEVEL_RANK: dict[str, int] = {"info": 0, "warn": 1, "error": 2}


@dataclass(frozen=True)
class ShieldTarget:
    """The shield a call is for, as the provider needs to see it."""

    #: Public id clients use (``shield_id``).
    identifier: str
    #: The id inside the provider: a model for Llama Guard, a guardrail id for Bedrock.
    provider_shield_id: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ShieldMessage:
    """One message reduced to what shields read: its role and its text."""

    role: str
    text: str


@dataclass(frozen=True)
class ShieldCall:
    """One check routed to a provider."""

    shield: ShieldTarget
    messages: tuple[ShieldMessage, ...]
    #: The shield's registered params overlaid with the request's own ``params``.
    params: dict[str, Any]
    ctx: RequestContext


@dataclass(frozen=True)
class Violation:
    """What a shield found."""

    level: ViolationLevel
    user_message: str
    #: Provider details safe to return to the caller (never the matched secret itself).
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Moderation category names this violation flags (OpenAI names where one fits).
    categories: tuple[str, ...] = ()


@runtime_checkable
class SafetyProvider(Protocol):
    """A safety backend: an in-process rule set, a guard model, a cloud guardrail."""

    async def register_shield(self, shield: ShieldTarget) -> None:
        """Check a shield before it is registered; raise `InvalidParameter` when it cannot work."""
        ...

    async def run_shield(self, call: ShieldCall) -> Violation | None:
        """Judge the last message of ``call.messages``."""
        ...

    async def shutdown(self) -> None:
        """Release clients and threads."""
        ...
