"""`RouterSpec`: how one API's router is built, connected and stopped; also its typed key.

A router module declares one ``RouterSpec`` (e.g. ``INFERENCE``) and
`corral.core.routers.ROUTERS` lists them. The `Stack` builds routers in two
explicit phases: *build*, API by API in dependency order (a router may use the
routers of the APIs its providers depend on, which already exist), then
*connect*, once every router exists (for links that point the other way, such
as the chat guard of the inference router calling the safety router). The spec
is also the `ApiKey` the router is read with, so ``routers.require(INFERENCE)``
is an `InferenceRouter` to the type checker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from corral.apis.spec import SINGLE_PROVIDER_APIS, Api, ApiKey, ProviderStartupError, Routers
from corral.auth.access_policy import AccessPolicy
from corral.config.loader import LoadedConfig
from corral.core.resources import ResourceRegistry
from corral.storage.manager import StorageManager

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance


@runtime_checkable
class Stoppable(Protocol):
    """What the stack needs of every router (and of a provider that holds resources)."""

    async def shutdown(self) -> None:
        """Release what the router owns (its providers stop on their own)."""
        ...


R = TypeVar("R", bound=Stoppable)
P = TypeVar("P")


@dataclass(frozen=True)
class RouterContext:
    """What a router is built from: the config, the stack's shared services, earlier routers."""

    loaded: LoadedConfig
    resources: ResourceRegistry
    access: AccessPolicy
    storage: StorageManager
    routers: Routers


@dataclass(frozen=True, eq=False)
class RouterSpec(ApiKey[R]):
    """One API's router: its build step, its optional connect step, and its key."""

    build: Callable[[RouterContext, list[ProviderInstance]], Awaitable[R]]
    """Build the router from the API's provider instances (phase 1)."""
    connect: Callable[[R, RouterContext], None] | None = None
    """Link the router to routers built after it (phase 2, every router exists)."""

    async def start(self, ctx: RouterContext, instances: list[ProviderInstance]) -> None:
        """Phase 1: build the router and add it to ``ctx.routers``."""
        ctx.routers.add(self, await self.build(ctx, instances))

    def link(self, ctx: RouterContext) -> None:
        """Phase 2: run the connect step, if any."""
        router = ctx.routers.get(self)
        if router is not None and self.connect is not None:
            self.connect(router, ctx)

    async def stop(self, routers: Routers) -> None:
        """Shut the router down, if it was built."""
        router = routers.get(self)
        if router is not None:
            await router.shutdown()


class AnyRouterSpec(Protocol):
    """A `RouterSpec` of any router type (what the stack iterates over)."""

    @property
    def api(self) -> Api:
        """The API whose router this is."""
        ...

    async def start(self, ctx: RouterContext, instances: list[ProviderInstance]) -> None:
        """Phase 1."""
        ...

    def link(self, ctx: RouterContext) -> None:
        """Phase 2."""
        ...

    async def stop(self, routers: Routers) -> None:
        """Shutdown."""
        ...


def implementations(instances: Sequence[ProviderInstance], kind: type[P]) -> dict[str, P]:
    """The instances' implementations by provider id, each checked against the API's Protocol.

    `kind` is a ``runtime_checkable`` Protocol; a provider that lacks one of its
    methods is a startup error naming it, not an ``AttributeError`` on the
    first request.
    """
    out: dict[str, P] = {}
    for inst in instances:
        impl = inst.impl
        if not isinstance(impl, kind):
            raise ProviderStartupError(
                f"provider {inst.provider_id!r} ({inst.provider_type}) does not implement "
                f"{kind.__name__}"
            )
        out[inst.provider_id] = impl
    return out


def single_provider(api: Api, kind: type[R]) -> RouterSpec[R]:
    """The spec of an API whose one provider is its router (no resource to route on).

    The API must be in `SINGLE_PROVIDER_APIS`, so the config's static checks
    refuse a second provider; the provider must implement `kind`.
    """
    if api not in SINGLE_PROVIDER_APIS:
        raise ValueError(f"{api} is not declared in SINGLE_PROVIDER_APIS")

    async def build(ctx: RouterContext, instances: list[ProviderInstance]) -> R:
        (only,) = implementations(instances, kind).values()
        return only

    return RouterSpec(api, build)
