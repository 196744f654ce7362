"""Wire types of ``/v1/prompts`` (Llama Stack's versioned prompt templates).

A prompt is a template with ``{{ variable }}`` placeholders; every placeholder
must be declared in ``variables``. Each update makes a new version; one version
is the default (the one used when a caller names no version).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

PLACEHOLDER = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}")


def undeclared(template: str, variables: list[str]) -> list[str]:
    """Placeholders of `template` missing from `variables`, sorted."""
    return sorted(set(PLACEHOLDER.findall(template)) - set(variables))


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: str
    variables: list[str] | None = None

    @model_validator(mode="after")
    def _declared(self) -> _Request:
        missing = undeclared(self.prompt, self.variables or [])
        if missing:
            raise ValueError(f"the prompt uses undeclared variables: {', '.join(missing)}")
        return self


class CreatePromptRequest(_Request):
    """``POST /v1/prompts``."""


class UpdatePromptRequest(_Request):
    """``PUT /v1/prompts/{id}``: a new version on top of `version` (the latest)."""

    version: int = Field(ge=1)
    set_as_default: bool = True


class SetDefaultVersionRequest(BaseModel):
    """``PUT /v1/prompts/{id}/set-default-version``."""

    model_config = ConfigDict(extra="ignore")
    version: int = Field(ge=1)


class PromptObject(BaseModel):
    """One version of a prompt."""

    prompt_id: str
    prompt: str | None
    version: int
    variables: list[str]
    is_default: bool


class PromptList(BaseModel):
    """Prompts (the default version of each), or a prompt's versions."""

    data: list[PromptObject]
