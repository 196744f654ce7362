"""``remote::huggingface``: Hugging Face datasets, read from the local hub cache only.

Llama Stack's provider downloads with the ``datasets`` library at read time;
corral never downloads: a dataset must already be in the hub cache (fetch it
once with ``huggingface-cli download --repo-type dataset OWNER/NAME``), and
registering one that is not is a 400 saying so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec
from corral.providers.remote.datasetio.huggingface.config import HuggingfaceDatasetIOConfig

if TYPE_CHECKING:
    from corral.providers.remote.datasetio.huggingface.provider import HuggingfaceDatasetIO

SPEC = ProviderSpec(
    api=Api.datasetio,
    provider_type="remote::huggingface",
    config=HuggingfaceDatasetIOConfig,
    description="Hugging Face datasets (huggingface://datasets/OWNER/NAME?split=...) read from "
    "the local hub cache: Parquet, JSONL or CSV files of the split, streamed; never downloads.",
)


async def create(config: HuggingfaceDatasetIOConfig, deps: ProviderDeps) -> HuggingfaceDatasetIO:
    """Point at the cache."""
    from corral.providers.remote.datasetio.huggingface.provider import HuggingfaceDatasetIO

    return HuggingfaceDatasetIO(config.cache_dir)
