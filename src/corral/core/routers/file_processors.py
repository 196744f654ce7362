"""The file_processors "router": the one configured file processor."""

from __future__ import annotations

from corral.apis.file_processors.api import FileProcessorsProvider
from corral.apis.spec import Api
from corral.core.routers.spec import RouterSpec, single_provider

FILE_PROCESSORS: RouterSpec[FileProcessorsProvider] = single_provider(
    Api.file_processors, FileProcessorsProvider
)
