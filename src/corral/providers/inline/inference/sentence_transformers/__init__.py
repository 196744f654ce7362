"""``inline::sentence-transformers``: offline sentence embeddings (all-MiniLM-L6-v2, 384 dims)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.inline.inference.sentence_transformers.config import (
    SentenceTransformersConfig,
)
from corral.providers.inline.packaged_models import require_module

if TYPE_CHECKING:
    from corral.providers.inline.inference.sentence_transformers.provider import (
        SentenceTransformersProvider,
    )

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="inline::sentence-transformers",
    config=SentenceTransformersConfig,
    description=(
        "Sentence embeddings in-process with all-MiniLM-L6-v2 (384 dimensions), shipped in "
        "PyPI packages: no download, no GPU."
    ),
    extras=("embedded",),
)


async def create(
    config: SentenceTransformersConfig, deps: ProviderDeps
) -> SentenceTransformersProvider:
    """Check the libraries are installed, then start loading the model in the background."""
    if config.backend == "torch":
        require_module("sentence_transformers", "embeddings-torch")
    else:
        require_module("onnxruntime", "embedded")
        require_module("tokenizers", "embedded")
    from corral.providers.inline.inference.sentence_transformers.encoders import MINILM
    from corral.providers.inline.inference.sentence_transformers.provider import (
        SentenceTransformersProvider,
    )

    MINILM.check_installed(config.backend)
    return SentenceTransformersProvider(config)
