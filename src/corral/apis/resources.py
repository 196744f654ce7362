"""The resource record shared by every registry-backed API (models, shields, vector stores)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ResourceSource = Literal["config", "api", "provider"]


class Owner(BaseModel):
    """Who created a resource; checked by access_policy's ``user is owner``."""

    model_config = ConfigDict(frozen=True)

    principal: str
    attributes: dict[str, list[str]] = Field(default_factory=dict)


class Resource(BaseModel):
    """A registered resource, persisted in the metadata store.

    `identifier` is the public id (for models ``provider_id/provider_resource_id``).
    """

    model_config = ConfigDict(frozen=True)

    type: str
    identifier: str
    provider_id: str
    provider_resource_id: str
    source: ResourceSource = "api"
    owner: Owner | None = None
    created: int = 0
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def policy_id(self) -> str:
        """The name access_policy rules match, e.g. ``model::ollama/llama3``."""
        return f"{self.type}::{self.identifier}"

    @property
    def policy_ids(self) -> tuple[str, ...]:
        """Every name rules may use: the public id, and the config's own id when it differs."""
        alias = self.data.get("model_id") or self.data.get("shield_id")
        if isinstance(alias, str) and alias and alias != self.identifier:
            return (self.policy_id, f"{self.type}::{alias}")
        return (self.policy_id,)
