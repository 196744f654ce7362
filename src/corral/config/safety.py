"""``safety:``: the default moderation shield and the shields that guard chat completions.

Shields named here must be defined in the run config's ``shields`` (or
``registered_resources.shields``): guarding is server policy and must not
depend on resources registered (or deleted) at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from corral.config.base import ConfigModel
from corral.config.issues import ConfigIssue

if TYPE_CHECKING:
    from corral.config.run import RunConfig


class SafetyConfig(ConfigModel):
    """Server-wide safety settings."""

    default_shield_id: str | None = None
    """Shield used by `POST /v1/moderations` when the request names no `model`."""
    input_shields: list[str] = Field(default_factory=list)
    """Shields run on every chat completion's messages before the model is called; a violation at
    level `error` answers 400 with the shield's message.
    """
    output_shields: list[str] = Field(default_factory=list)
    """Shields run on every chat completion's answer before it is returned (streams are buffered
    until the answer is complete, then checked).
    """

    @classmethod
    def sample_config(cls) -> dict[str, object]:
        """An example of this section."""
        return {
            "default_shield_id": "content-safety",
            "input_shields": ["content-safety"],
            "output_shields": [],
        }


def safety_issues(run: RunConfig) -> list[ConfigIssue]:
    """Every shield the safety section or a model names must be a shield of the config."""
    known = {s.shield_id for s in run.all_shields()}
    fix = f"define it under shields (defined: {', '.join(sorted(known)) or 'none'})"
    out = []
    named: list[tuple[tuple[str | int, ...], str]] = []
    default = run.safety.default_shield_id
    if default and default not in _switched_off(run):
        named.append((("safety", "default_shield_id"), default))
    for key in ("input_shields", "output_shields"):
        named += [(("safety", key, i), s) for i, s in enumerate(getattr(run.safety, key))]
    for prefix, models in (
        (("models",), run.models),
        (("registered_resources", "models"), run.registered_resources.models),
    ):
        for index, model in enumerate(models):
            if model.is_disabled():
                continue
            for key in ("input_shields", "output_shields"):
                shields = getattr(model, key)
                named += [((*prefix, index, key, i), s) for i, s in enumerate(shields)]
    for path, shield_id in named:
        if shield_id not in known:
            out.append(ConfigIssue(path, f"shield {shield_id!r} is not defined", fix))
    return out


def _switched_off(run: RunConfig) -> set[str]:
    """Shields the config defines but switches off (``provider_id: ${env.X:+id}`` unset)."""
    defined = run.shields + run.registered_resources.shields
    return {s.shield_id for s in defined if s.is_disabled()}


def safety_warnings(run: RunConfig) -> list[str]:
    """The default moderation shield may be switched off (Llama Stack's starter does it)."""
    default = run.safety.default_shield_id
    if default and default in _switched_off(run):
        return [
            f"safety.default_shield_id: shield {default!r} is switched off in this config, so "
            "POST /v1/moderations must name a model"
        ]
    return []
