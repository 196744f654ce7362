"""What the prompts service offers: the HTTP API, and rendering for the agent loop.

Prompts are owner-stamped and checked against access_policy as
``prompt::<prompt_id>``; another user's prompt is a 404.
"""

from __future__ import annotations

from typing import Any, Protocol

from corral.apis.context import RequestContext
from corral.apis.prompts.models import CreatePromptRequest, UpdatePromptRequest


class PromptsApi(Protocol):
    """Versioned prompt templates."""

    async def list_prompts(self, ctx: RequestContext) -> dict[str, Any]:
        """The default version of every prompt the caller may read."""
        ...

    async def create(self, request: CreatePromptRequest, ctx: RequestContext) -> dict[str, Any]:
        """A new prompt at version 1."""
        ...

    async def get(
        self, prompt_id: str, ctx: RequestContext, version: int | None = None
    ) -> dict[str, Any]:
        """A version of a prompt (the default one when `version` is None)."""
        ...

    async def update(
        self, prompt_id: str, request: UpdatePromptRequest, ctx: RequestContext
    ) -> dict[str, Any]:
        """A new version (409 unless `request.version` is the latest)."""
        ...

    async def delete(self, prompt_id: str, ctx: RequestContext) -> None:
        """Delete a prompt and every version."""
        ...

    async def set_default_version(
        self, prompt_id: str, version: int, ctx: RequestContext
    ) -> dict[str, Any]:
        """Make `version` the default."""
        ...

    async def list_versions(self, prompt_id: str, ctx: RequestContext) -> dict[str, Any]:
        """Every version of a prompt, oldest first."""
        ...

    async def render(
        self,
        prompt_id: str,
        version: int | None,
        variables: dict[str, str],
        ctx: RequestContext,
    ) -> tuple[str, dict[str, Any]]:
        """The template filled with `variables` (400 when one is missing), and its record."""
        ...
