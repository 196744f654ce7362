"""``inline::builtin``: the Responses API's agent loop, run inside corral.

Llama Stack's older names load as the same provider: the ``agents`` API and
the ``inline::meta-reference`` type (``corral config migrate`` rewrites both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.responses.builtin.config import BuiltinResponsesConfig

if TYPE_CHECKING:
    from corral.providers.inline.responses.builtin.provider import BuiltinResponses

SPEC = ProviderSpec(
    api=Api.responses,
    provider_type="inline::builtin",
    config=BuiltinResponsesConfig,
    description="The OpenAI Responses API (agent loop with function, file_search, web_search "
    "and mcp tools) on corral's inference, vector stores, files and safety.",
    api_dependencies=(Api.inference,),
    optional_api_dependencies=(
        Api.vector_io,
        Api.safety,
        Api.files,
        Api.conversations,
        Api.prompts,
        Api.connectors,
        Api.tool_runtime,
    ),
)

DEFAULT_TABLE = "responses"


async def create(config: BuiltinResponsesConfig, deps: ProviderDeps) -> BuiltinResponses:
    """Open the responses table and wire the loop to the routers it uses."""
    from corral.core.routers.connectors import CONNECTORS
    from corral.core.routers.conversations import CONVERSATIONS
    from corral.core.routers.files import FILES
    from corral.core.routers.inference import INFERENCE
    from corral.core.routers.prompts import PROMPTS
    from corral.core.routers.safety import SAFETY
    from corral.core.routers.tool_runtime import TOOL_RUNTIME
    from corral.core.routers.vector_io import VECTOR_IO
    from corral.providers.inline.responses.builtin.prepare import Services
    from corral.providers.inline.responses.builtin.provider import BuiltinResponses
    from corral.providers.inline.responses.builtin.store import ResponsesStore

    own = config.persistence.responses if config.persistence else None
    sql, table = await deps.storage.sql_or_default(own, "responses", DEFAULT_TABLE)
    store = ResponsesStore(
        sql,
        table,
        deps.access,
        durable=config.durable_writes,
        max_backlog=own.max_write_queue_size if own is not None else 10000,
    )
    routers = deps.routers
    services = Services(
        inference=routers.require(INFERENCE),
        store=store,
        conversations=routers.get(CONVERSATIONS),
        prompts=routers.get(PROMPTS),
        vector_io=routers.get(VECTOR_IO),
        safety=routers.get(SAFETY),
        files=routers.get(FILES),
        connectors=routers.get(CONNECTORS),
        tool_runtime=routers.get(TOOL_RUNTIME),
        vector_settings=deps.vector_stores,
    )
    provider = BuiltinResponses(services, config.max_infer_iters, config.background_lease_seconds)
    await provider.start()
    return provider
