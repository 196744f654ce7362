"""``inline::pypdf``: the file_processors API on pypdf and corral's own text chunker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.file_processors.pypdf.config import PyPDFFileProcessorConfig

if TYPE_CHECKING:
    from corral.providers.inline.file_processors.pypdf.processor import PyPDFProcessor

SPEC = ProviderSpec(
    api=Api.file_processors,
    provider_type="inline::pypdf",
    config=PyPDFFileProcessorConfig,
    description="Extracts the text of PDF, text, Markdown and HTML files (pypdf for PDF) and "
    "cuts it into token-sized chunks ready for a vector store.",
    optional_api_dependencies=(Api.files,),
    extras=("pdf",),
)


async def create(config: PyPDFFileProcessorConfig, deps: ProviderDeps) -> PyPDFProcessor:
    """The processor, reading ``file_id`` inputs through the files API when there is one."""
    from corral.core.routers.files import FILES
    from corral.providers.inline.file_processors.pypdf.processor import PyPDFProcessor

    return PyPDFProcessor(config, deps.routers.get(FILES))
