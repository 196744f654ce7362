"""``inline::builtin``: the Responses API's agent loop, run inside corral.

Llama Stack's older names load as the same provider: the ``agents`` API and
the ``inline::meta-reference`` type (``corral config migrate`` rewrites both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.auth.access_policy import AccessPolicy
from corral.config.storage import InferenceStoreReference, SqlReference
from corral.core.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.responses.builtin.config import BuiltinResponsesConfig

if TYPE_CHECKING:
    from corral.providers.inline.responses.builtin.provider import BuiltinResponses

SPEC = ProviderSpec(
    api=Api.responses,
    provider_type="inline::builtin",
    config=BuiltinResponsesConfig,
    description="The OpenAI Responses API (agent loop with function and file_search tools) "
    "on corral's inference, vector stores, files and safety.",
    api_dependencies=(Api.inference,),
    optional_api_dependencies=(
        Api.vector_io,
        Api.safety,
        Api.files,
        Api.conversations,
        Api.prompts,
    ),
)

DEFAULT_TABLE = "responses"


async def create(config: BuiltinResponsesConfig, deps: ProviderDeps) -> BuiltinResponses:
    """Open the responses table and wire the loop to the routers it uses."""
    from corral.providers.inline.responses.builtin.prepare import Services
    from corral.providers.inline.responses.builtin.provider import BuiltinResponses
    from corral.providers.inline.responses.builtin.store import ResponsesStore

    own = config.persistence.responses if config.persistence else None
    ref: SqlReference | None = own or deps.storage.stores.responses
    sql = await deps.storage.sql_or_default(ref, DEFAULT_TABLE, "responses")
    table = ref.table_name if ref is not None else DEFAULT_TABLE
    backlog = ref.max_write_queue_size if isinstance(ref, InferenceStoreReference) else 10000
    store = ResponsesStore(
        sql,
        table,
        deps.access or AccessPolicy(),
        durable=config.durable_writes,
        max_backlog=backlog,
    )
    services = Services(
        inference=deps.apis[Api.inference],
        store=store,
        conversations=deps.apis.get(Api.conversations),
        prompts=deps.apis.get(Api.prompts),
        vector_io=deps.apis.get(Api.vector_io),
        safety=deps.apis.get(Api.safety),
        files=deps.apis.get(Api.files),
    )
    provider = BuiltinResponses(services, config.max_infer_iters, config.background_lease_seconds)
    await provider.start()
    return provider
