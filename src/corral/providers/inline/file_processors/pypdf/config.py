"""Config of ``inline::pypdf`` (Llama Stack's ``PyPDFFileProcessorConfig`` field names)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from corral.config.base import ConfigModel

MIB = 1024 * 1024


class PyPDFFileProcessorConfig(ConfigModel):
    """Text of PDF (and plain-text, Markdown, HTML) files, cut into token-sized chunks."""

    default_chunk_size_tokens: int = Field(800, ge=100, le=4096)
    """Chunk size when the request's chunking strategy is `auto` or absent."""
    default_chunk_overlap_tokens: int = Field(400, ge=0, le=2048)
    """Tokens shared by neighbouring chunks (at most half the chunk size)."""
    max_file_size_bytes: int = Field(100 * MIB, ge=1)
    """Largest upload accepted (413 beyond it), 100 MiB by default."""
    extract_metadata: bool = True
    """Report the PDF's page count, title, author and dates in the response metadata."""
    clean_text: bool = True
    """Collapse runs of spaces and blank lines in the extracted text."""

    @model_validator(mode="after")
    def _overlap_fits(self) -> PyPDFFileProcessorConfig:
        if self.default_chunk_overlap_tokens > self.default_chunk_size_tokens // 2:
            raise ValueError("default_chunk_overlap_tokens must be at most half the chunk size")
        return self

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"default_chunk_size_tokens": 800, "default_chunk_overlap_tokens": 400}
