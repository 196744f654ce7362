"""Routers: one per auto-routed API, dispatching each call to the provider that owns the resource.

`ROUTER_FACTORIES` maps an API to the function that builds its router from the
API's provider instances and the stack's shared services. An API without an
entry has no router; its single provider is called directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from corral.core.spec import Api

if TYPE_CHECKING:
    from corral.core.resolver import ProviderInstance
    from corral.core.stack import Stack

RouterFactory = Callable[["Stack", list["ProviderInstance"]], Awaitable[Any]]


async def _inference(stack: Stack, instances: list[ProviderInstance]) -> Any:
    from corral.core.routers.inference import create_inference_router

    return await create_inference_router(stack, instances)


async def _safety(stack: Stack, instances: list[ProviderInstance]) -> Any:
    from corral.core.routers.safety import create_safety_router

    return await create_safety_router(stack, instances)


async def _files(stack: Stack, instances: list[ProviderInstance]) -> Any:
    from corral.core.routers.files import create_files_router

    return await create_files_router(stack, instances)


async def _vector_io(stack: Stack, instances: list[ProviderInstance]) -> Any:
    from corral.core.routers.vector_io import create_vector_io_router

    return await create_vector_io_router(stack, instances)


async def _responses(stack: Stack, instances: list[ProviderInstance]) -> Any:
    from corral.core.routers.responses import create_responses_router

    return await create_responses_router(stack, instances)


ROUTER_FACTORIES: Mapping[Api, RouterFactory] = {
    Api.inference: _inference,
    Api.safety: _safety,
    Api.files: _files,
    Api.vector_io: _vector_io,
    Api.responses: _responses,
}
