"""Config of datasetio's ``remote::huggingface``: where the local Hugging Face cache is."""

from __future__ import annotations

from typing import Any

from corral.config.base import ConfigModel
from corral.config.storage import KVReference


class HuggingfaceDatasetIOConfig(ConfigModel):
    """Hugging Face datasets read from the local hub cache (nothing is downloaded)."""

    cache_dir: str = "~/.cache/huggingface/hub"
    """The hub cache (`HF_HUB_CACHE`; `$HF_HOME/hub` when you set HF_HOME) that
    `huggingface-cli download --repo-type dataset OWNER/NAME` fills."""
    kvstore: KVReference | None = None
    """Accepted for Llama Stack compatibility; datasets are kept in the resource registry."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"cache_dir": "${env.HF_HUB_CACHE:=~/.cache/huggingface/hub}"}
