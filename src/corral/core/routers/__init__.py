"""Routers: one per API, dispatching each call to the provider that owns the resource.

`ROUTERS` lists the `RouterSpec` of every API served through providers; the
`Stack` builds them in dependency order and reads them back through the same
specs (typed keys). `BUILTIN_ROUTERS` are the APIs corral serves itself
(conversations, prompts, connectors): built first, whatever the config, because providers
(the responses loop) use them. Adding an API with a router is one spec in its
router module plus one line here (docs/architecture.md, "Adding an API").
"""

from __future__ import annotations

from corral.core.routers.batches import BATCHES
from corral.core.routers.connectors import CONNECTORS
from corral.core.routers.conversations import CONVERSATIONS
from corral.core.routers.datasetio import DATASETIO
from corral.core.routers.eval import EVAL
from corral.core.routers.files import FILES
from corral.core.routers.inference import INFERENCE
from corral.core.routers.prompts import PROMPTS
from corral.core.routers.responses import RESPONSES
from corral.core.routers.safety import SAFETY
from corral.core.routers.scoring import SCORING
from corral.core.routers.spec import AnyRouterSpec
from corral.core.routers.tool_runtime import TOOL_RUNTIME
from corral.core.routers.vector_io import VECTOR_IO

ROUTERS: tuple[AnyRouterSpec, ...] = (
    INFERENCE,
    SAFETY,
    FILES,
    VECTOR_IO,
    RESPONSES,
    BATCHES,
    DATASETIO,
    SCORING,
    EVAL,
    TOOL_RUNTIME,
)
BUILTIN_ROUTERS: tuple[AnyRouterSpec, ...] = (CONVERSATIONS, PROMPTS, CONNECTORS)
