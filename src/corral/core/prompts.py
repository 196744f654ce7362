"""The prompts service: versioned templates in a KV store, owner-stamped.

Keys (in the store's own namespace): ``v1:<prompt_id>:<version>`` holds one
version as JSON, ``v1:<prompt_id>:default`` the default version number.
Updates of one prompt are serialised in this process (a new version must be
built on the latest one); across replicas two simultaneous updates of the
same prompt may both claim the next version and the later write wins.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import orjson

from corral.apis.context import RequestContext, User
from corral.apis.prompts.models import (
    PLACEHOLDER,
    CreatePromptRequest,
    UpdatePromptRequest,
)
from corral.apis.resources import Owner
from corral.apis.storage import KVStore
from corral.auth.access_policy import AccessPolicy
from corral.errors import Conflict, Forbidden, InvalidParameter, NotFound

PREFIX = "v1:"


def new_prompt_id() -> str:
    """``pmpt_`` and 48 hex digits, as Llama Stack mints them."""
    return "pmpt_" + secrets.token_hex(24)


def _owner(record: dict[str, Any]) -> Owner | None:
    principal = record.get("owner_principal")
    if not principal:
        return None
    return Owner(principal=principal, attributes=record.get("access_attributes") or {})


def _public(record: dict[str, Any], default_version: int | None) -> dict[str, Any]:
    return {
        "prompt_id": record["prompt_id"],
        "prompt": record["prompt"],
        "version": record["version"],
        "variables": record["variables"],
        "is_default": record["version"] == default_version,
    }


def variable_text(name: str, value: Any) -> str:
    """A variable's value as text: a string, or an ``input_text`` part."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("type") == "input_text":
        text = value.get("text")
        if isinstance(text, str):
            return text
    raise InvalidParameter(
        f"prompt.variables.{name}", "must be a string or an input_text part ({type, text})"
    )


class PromptsService:
    """`PromptsApi` on a KV store."""

    def __init__(self, kv: KVStore, access: AccessPolicy) -> None:
        self._kv = kv
        self._access = access
        self._locks: dict[str, asyncio.Lock] = {}

    def _check(self, user: User | None, action: str, prompt_id: str, owner: Owner | None) -> bool:
        return self._access.is_allowed(user, action, f"prompt::{prompt_id}", owner)

    async def _versions(self, prompt_id: str) -> tuple[list[dict[str, Any]], int | None]:
        """Every stored version of a prompt, oldest first, and the default version."""
        pairs = await self._kv.items_with_prefix(f"{PREFIX}{prompt_id}:")
        default: int | None = None
        versions = []
        for key, value in pairs:
            if key.endswith(":default"):
                default = int(value)
            else:
                versions.append(orjson.loads(value))
        versions.sort(key=lambda r: r["version"])
        return versions, default

    async def _visible(
        self, prompt_id: str, ctx: RequestContext, action: str = "read"
    ) -> tuple[list[dict[str, Any]], int | None]:
        """The versions of a prompt the caller may see; a 404 (never a 403) otherwise."""
        if not prompt_id.startswith("pmpt_"):
            raise InvalidParameter("prompt_id", "a prompt id starts with 'pmpt_'")
        versions, default = await self._versions(prompt_id)
        if not versions or not self._check(ctx.user, "read", prompt_id, _owner(versions[0])):
            raise NotFound(f"Prompt '{prompt_id}' not found.", code="prompt_not_found")
        if action != "read" and not self._check(ctx.user, action, prompt_id, _owner(versions[0])):
            raise Forbidden(f"you may not {action} prompt {prompt_id!r}")
        return versions, default

    async def _put(self, record: dict[str, Any]) -> None:
        key = f"{PREFIX}{record['prompt_id']}:{record['version']}"
        await self._kv.set(key, orjson.dumps(record).decode())

    async def _set_default(self, prompt_id: str, version: int) -> None:
        await self._kv.set(f"{PREFIX}{prompt_id}:default", str(version))

    async def list_prompts(self, ctx: RequestContext) -> dict[str, Any]:
        """The default version of every prompt the caller may read, newest id first."""
        by_id: dict[str, dict[str, Any]] = {}
        defaults: dict[str, int] = {}
        for key, value in await self._kv.items_with_prefix(PREFIX):
            prompt_id, _, version = key[len(PREFIX) :].rpartition(":")
            if version == "default":
                defaults[prompt_id] = int(value)
            else:
                record = orjson.loads(value)
                by_id.setdefault(prompt_id, {})[version] = record
        out = []
        for prompt_id, versions in by_id.items():
            first = versions.get("1") or next(iter(versions.values()))
            if not self._check(ctx.user, "read", prompt_id, _owner(first)):
                continue
            default = defaults.get(prompt_id)
            chosen = versions.get(str(default)) if default is not None else None
            if chosen is None:
                chosen = max(versions.values(), key=lambda r: r["version"])
            out.append(_public(chosen, default))
        out.sort(key=lambda p: p["prompt_id"], reverse=True)
        return {"data": out}

    async def create(self, request: CreatePromptRequest, ctx: RequestContext) -> dict[str, Any]:
        """A new prompt at version 1, the default."""
        prompt_id = new_prompt_id()
        user = ctx.user
        if not self._check(
            user, "create", prompt_id, Owner(principal=user.principal) if user else None
        ):
            raise Forbidden("you may not create prompts")
        record = {
            "prompt_id": prompt_id,
            "prompt": request.prompt,
            "version": 1,
            "variables": request.variables or [],
            "owner_principal": user.principal if user else None,
            "access_attributes": dict(user.attributes) if user else None,
        }
        await self._put(record)
        await self._set_default(prompt_id, 1)
        return _public(record, 1)

    async def get(
        self, prompt_id: str, ctx: RequestContext, version: int | None = None
    ) -> dict[str, Any]:
        """One version (the default when `version` is None)."""
        versions, default = await self._visible(prompt_id, ctx)
        wanted = version if version is not None else default or versions[-1]["version"]
        for record in versions:
            if record["version"] == wanted:
                return _public(record, default)
        raise NotFound(
            f"prompt {prompt_id!r} has no version {wanted}", code="prompt_version_not_found"
        )

    async def update(
        self, prompt_id: str, request: UpdatePromptRequest, ctx: RequestContext
    ) -> dict[str, Any]:
        """A new version built on the latest one."""
        async with self._locks.setdefault(prompt_id, asyncio.Lock()):
            versions, default = await self._visible(prompt_id, ctx, "update")
            latest = versions[-1]
            if request.version != latest["version"]:
                raise Conflict(
                    f"version {request.version} is not the latest version of prompt "
                    f"{prompt_id!r}; update version {latest['version']}",
                    code="prompt_version_conflict",
                )
            record = {
                **latest,
                "prompt": request.prompt,
                "version": latest["version"] + 1,
                "variables": request.variables or [],
            }
            await self._put(record)
            if request.set_as_default:
                await self._set_default(prompt_id, record["version"])
                default = record["version"]
            return _public(record, default)

    async def delete(self, prompt_id: str, ctx: RequestContext) -> None:
        """Delete every version."""
        async with self._locks.setdefault(prompt_id, asyncio.Lock()):
            versions, _ = await self._visible(prompt_id, ctx, "delete")
            for record in versions:
                await self._kv.delete(f"{PREFIX}{prompt_id}:{record['version']}")
            await self._kv.delete(f"{PREFIX}{prompt_id}:default")
        self._locks.pop(prompt_id, None)

    async def set_default_version(
        self, prompt_id: str, version: int, ctx: RequestContext
    ) -> dict[str, Any]:
        """Make an existing version the default."""
        async with self._locks.setdefault(prompt_id, asyncio.Lock()):
            versions, _ = await self._visible(prompt_id, ctx, "update")
            for record in versions:
                if record["version"] == version:
                    await self._set_default(prompt_id, version)
                    return _public(record, version)
        raise NotFound(
            f"prompt {prompt_id!r} has no version {version}", code="prompt_version_not_found"
        )

    async def list_versions(self, prompt_id: str, ctx: RequestContext) -> dict[str, Any]:
        """Every version, oldest first."""
        versions, default = await self._visible(prompt_id, ctx)
        return {"data": [_public(r, default) for r in versions]}

    async def render(
        self,
        prompt_id: str,
        version: int | None,
        variables: dict[str, Any],
        ctx: RequestContext,
    ) -> tuple[str, dict[str, Any]]:
        """The template with every ``{{ name }}`` replaced; a missing value is a 400."""
        prompt = await self.get(prompt_id, ctx, version)
        values = {name: variable_text(name, value) for name, value in variables.items()}
        missing = [n for n in prompt["variables"] if n not in values]
        if missing:
            raise InvalidParameter(
                "prompt.variables",
                f"prompt {prompt_id!r} needs values for: {', '.join(sorted(missing))}",
            )
        text = PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), prompt["prompt"] or "")
        return text, prompt

    async def shutdown(self) -> None:
        """Nothing to release: the stores belong to the storage manager."""
