"""HTTP routes, one module per API; each exports ``routes(stack) -> list[ApiRoute]``.

`ROUTE_MODULES` is the list the app is built from; a module's routes are only
mounted when the stack serves its API (the module decides).
"""

from __future__ import annotations

from corral.core.stack import Stack
from corral.server.http import ApiRoute
from corral.server.routes import (
    access,
    batches,
    connectors,
    conversations,
    datasets,
    evaluation,
    files,
    inference,
    models,
    prompts,
    responses,
    safety,
    scoring,
    shields,
    system,
    vector_stores,
)

ROUTE_MODULES = (
    system,
    models,
    inference,
    access,
    shields,
    safety,
    files,
    vector_stores,
    responses,
    conversations,
    prompts,
    batches,
    datasets,
    scoring,
    evaluation,
    connectors,
)


def collect_routes(stack: Stack) -> list[ApiRoute]:
    """Every route of every module, checking that no (method, path) is declared twice."""
    seen: dict[tuple[str, str], str] = {}
    out: list[ApiRoute] = []
    for module in ROUTE_MODULES:
        for route in module.routes(stack):
            for path in (route.path, *route.aliases):
                key = (route.method, path)
                if key in seen:
                    raise RuntimeError(
                        f"route {route.method} {path} is declared by {seen[key]} and "
                        f"{module.__name__}"
                    )
                seen[key] = module.__name__
            out.append(route)
    return out
