"""The files "router": the one configured files provider.

Files are not an auto-routed resource (a file id does not name a provider), so
exactly one files provider may be configured (a static check of the config);
the vector_io providers and the routes use it directly.
"""

from __future__ import annotations

from corral.apis.files.api import FilesProvider
from corral.apis.spec import Api
from corral.core.routers.spec import RouterSpec, single_provider

FILES: RouterSpec[FilesProvider] = single_provider(Api.files, FilesProvider)
