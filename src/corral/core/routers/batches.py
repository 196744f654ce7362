"""The batches "router": the one configured batches provider.

A batch names no provider (there is nothing to route on), so exactly one
batches provider may be configured (a static check of the config); the routes
call it directly.
"""

from __future__ import annotations

from corral.apis.batches.api import BatchesProvider
from corral.apis.spec import Api
from corral.core.routers.spec import RouterSpec, single_provider

BATCHES: RouterSpec[BatchesProvider] = single_provider(Api.batches, BatchesProvider)
