"""`LlamaGuardShield`: ask a Llama Guard model, served by any inference provider, for a verdict.

The shield's ``provider_shield_id`` names the model, either by its full
``provider_id/provider_model_id`` id or by its bare ``model_id`` (as the
reference's ``shield_id: ${env.SAFETY_MODEL}`` example writes it). The model is
resolved through the inference router with the shield's authority (the
caller's access was checked on the shield) and called on its provider
directly, so guard prompts are never recorded as the caller's completions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from corral.apis.inference.api import InferenceCall
from corral.apis.safety.api import ShieldCall, ShieldTarget, Violation
from corral.errors import (
    InvalidParameter,
    InvalidRequest,
    NotFound,
    ServiceUnavailable,
    UpstreamError,
)
from corral.providers.inline.safety.llama_guard.config import LlamaGuardConfig, check_codes
from corral.providers.inline.safety.llama_guard.prompt import (
    CATEGORIES,
    MODERATION_CATEGORIES,
    build_prompt,
    parse_verdict,
)

if TYPE_CHECKING:
    from corral.core.routers.inference import InferenceRouter
    from corral.core.routing_tables.models import RoutedModel

#: Enough for ``unsafe`` and all fourteen codes.
MAX_TOKENS = 64


class LlamaGuardShield:
    """The ``inline::llama-guard`` safety provider."""

    def __init__(self, config: LlamaGuardConfig, inference: InferenceRouter) -> None:
        self.config = config
        self.inference = inference

    async def register_shield(self, shield: ShieldTarget) -> None:
        """The shield's model must be served, and its params valid."""
        self._excluded(shield.params)
        try:
            self.inference.models.resolve(shield.provider_shield_id, None, want="llm")
        except NotFound:
            raise InvalidParameter(
                "provider_shield_id",
                f"Llama Guard shield {shield.identifier!r} needs the chat model "
                f"{shield.provider_shield_id!r}, which is not registered (or is ambiguous: use "
                "its full provider_id/model id); register it under models",
            ) from None
        except InvalidRequest as exc:  # e.g. an embedding model
            raise InvalidParameter("provider_shield_id", exc.message) from None

    async def run_shield(self, call: ShieldCall) -> Violation | None:
        """Classify the last message with the guard model."""
        excluded = self._excluded(call.params)
        routed = self._model(call.shield)
        prompt = build_prompt(call.messages, excluded)
        body: dict[str, Any] = {
            "model": routed.target.identifier,
            "messages": [{"role": "user", "content": prompt}],
            "stream": False,
            "temperature": 0.0,
            "max_tokens": MAX_TOKENS,
        }
        result = await routed.provider.chat_completion(InferenceCall(routed.target, body, call.ctx))
        text = _answer(result, routed.target.identifier)
        verdict = parse_verdict(text)
        if verdict is None:
            raise UpstreamError(
                f"Llama Guard model {routed.target.identifier!r} answered {text[:200]!r}, which is "
                "neither 'safe' nor 'unsafe' with S1-S14 categories; is it a Llama Guard 3 model?",
                code="shield_unparseable_output",
            )
        codes = [c for c in verdict.codes if c not in excluded]
        if not verdict.unsafe or (verdict.codes and not codes):
            return None
        return _violation(codes, routed.target.identifier)

    def _excluded(self, params: dict[str, Any]) -> set[str]:
        extra = params.get("excluded_categories", [])
        if not isinstance(extra, list) or not all(isinstance(c, str) for c in extra):
            raise InvalidParameter("params.excluded_categories", "must be a list of codes S1-S14")
        try:
            check_codes(extra)
        except ValueError as exc:
            raise InvalidParameter("params.excluded_categories", str(exc)) from None
        return set(self.config.excluded_categories) | set(extra)

    def _model(self, shield: ShieldTarget) -> RoutedModel:
        try:
            return self.inference.models.resolve(shield.provider_shield_id, None, want="llm")
        except NotFound:
            raise ServiceUnavailable(
                f"shield {shield.identifier!r} needs the model {shield.provider_shield_id!r}, "
                "which is no longer registered",
                code="shield_model_not_found",
            ) from None

    async def shutdown(self) -> None:
        """Nothing to release (the inference provider owns the connection)."""


def _answer(result: Any, model: str) -> str:
    try:
        content = result["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        content = None
    if not isinstance(content, str):
        raise UpstreamError(
            f"Llama Guard model {model!r} returned no message content",
            code="shield_unparseable_output",
        )
    return content


def _violation(codes: list[str], model: str) -> Violation:
    names = [CATEGORIES[c] for c in codes]
    shown = ", ".join(f"{c} {n}" for c, n in zip(codes, names, strict=True))
    flagged = tuple(dict.fromkeys(m for c in codes for m in MODERATION_CATEGORIES[c]))
    return Violation(
        level="error",
        user_message=(
            "I can't help with that: the content was flagged as unsafe"
            + (f" ({shown})." if shown else ".")
        ),
        metadata={
            "violation_type": ",".join(codes),
            "categories": codes,
            "category_names": names,
            "model": model,
        },
        categories=flagged or ("unsafe",),
    )
