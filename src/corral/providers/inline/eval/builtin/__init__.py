"""``inline::builtin``: eval jobs run inside corral (Llama Stack's ``inline::meta-reference``).

A job generates an answer for each row of the benchmark's dataset (a model
candidate through the inference router, an agent candidate through the
Responses API), then scores them with the benchmark's scoring functions.
Jobs and generations are kept in SQL under a lease, so a job resumes after a
restart without generating finished rows again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.eval.builtin.config import BuiltinEvalConfig

if TYPE_CHECKING:
    from corral.providers.inline.eval.builtin.provider import BuiltinEval

SPEC = ProviderSpec(
    api=Api.eval,
    provider_type="inline::builtin",
    config=BuiltinEvalConfig,
    description="Runs a model (or an agent through the Responses API) over a benchmark's dataset "
    "and scores the answers; jobs persist and resume after a restart.",
    api_dependencies=(Api.inference, Api.datasetio, Api.scoring),
    optional_api_dependencies=(Api.responses,),
)

DEFAULT_TABLE = "eval_jobs"


async def create(config: BuiltinEvalConfig, deps: ProviderDeps) -> BuiltinEval:
    """Open the jobs tables and start looking for work."""
    from corral.core.routers.datasetio import DATASETIO
    from corral.core.routers.inference import INFERENCE
    from corral.core.routers.responses import RESPONSES
    from corral.core.routers.scoring import SCORING
    from corral.providers.inline.eval.builtin.generate import Generator
    from corral.providers.inline.eval.builtin.provider import BuiltinEval
    from corral.providers.inline.eval.builtin.store import JobStore

    sql, table = await deps.storage.sql_or_default(config.store, "eval", DEFAULT_TABLE)
    routers = deps.routers
    generator = Generator(routers.require(INFERENCE), routers.get(RESPONSES))
    provider = BuiltinEval(
        config,
        JobStore(sql, table, deps.access),
        generator,
        routers.require(DATASETIO),
        routers.require(SCORING),
    )
    await provider.start()
    return provider
