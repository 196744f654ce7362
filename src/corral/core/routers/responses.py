"""The responses "router": the one configured responses provider.

A response is not a registered resource (there is nothing to route on), so
exactly one responses provider may be configured (a static check of the
config); the routes call it directly.
"""

from __future__ import annotations

from corral.apis.responses.api import ResponsesProvider
from corral.apis.spec import Api
from corral.core.routers.spec import RouterSpec, single_provider

RESPONSES: RouterSpec[ResponsesProvider] = single_provider(Api.responses, ResponsesProvider)
