"""The run-config layouts of Llama Stack 0.7.x's distributions load, validate and serve on corral.

One test per layout (fixtures in tests/fixtures/llama_stack/, written for these
tests with the same sections as the distribution configs): `corral config
validate` accepts it, `corral run` starts it with the variables it needs (a stub
OpenAI-compatible upstream where it has a remote model), ``/v1/models`` answers,
and the startup warnings name exactly the entries corral ignores.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from corral.config.loader import load_config
from corral.core.registry import load_provider_registry
from tests.fixtures.fake_openai import run_fake_openai
from tests.fixtures.server import corral_command, run_server
from tests.fixtures.services import PostgresDB, postgres_db

__all__ = ["postgres_db"]

pytestmark = pytest.mark.slow

LAYOUTS = Path(__file__).resolve().parents[1] / "fixtures" / "llama_stack"


@dataclass(frozen=True)
class Layout:
    name: str
    #: ``provider_id (provider_type)`` of every entry the startup warnings must name as ignored.
    ignored: tuple[str, ...]
    #: Ids /v1/models must list.
    models: tuple[str, ...]
    postgres: bool = False
    #: Variables the layout needs besides the stub's URL.
    env: dict[str, str] = field(default_factory=dict)


COMMON_UNSERVED_APIS = ("telemetry", "post_training")
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
FILE_SEARCH = "file-search (inline::file-search)"
MCP = "model-context-protocol (remote::model-context-protocol)"
STARTER_IGNORED = (
    "bedrock (remote::bedrock)",
    "anthropic (remote::anthropic)",
    "transformers (inline::transformers)",
    "code-scanner (inline::code-scanner)",
    FILE_SEARCH,
    MCP,
)
NEEDS_INFERENCE = ("faiss (inline::faiss)", "builtin (inline::builtin)")
NVIDIA = "nvidia (remote::nvidia)"

LAYOUT_CASES = [
    Layout("starter", STARTER_IGNORED, (MINILM,)),
    Layout("starter-postgres", STARTER_IGNORED, (MINILM,), postgres=True),
    Layout(
        "ci-tests",
        (*STARTER_IGNORED, "model bedrock/openai.gpt-oss-20b"),
        (MINILM, "openai/gpt-4o"),
    ),
    # its inference, safety, eval and datasetio providers are all remote::nvidia, all "nvidia"
    Layout("nvidia", (NVIDIA, NVIDIA, NVIDIA, NVIDIA, FILE_SEARCH, *NEEDS_INFERENCE), ()),
    Layout(
        "oci",
        # datasetio's huggingface is served (from the local cache); everything that needs
        # inference is ignored with it
        (
            "oci (remote::oci)",
            FILE_SEARCH,
            "llama-guard (inline::llama-guard)",
            "faiss (inline::faiss)",
            "builtin (inline::builtin)",
            "builtin (inline::builtin)",
        ),
        (),
    ),  # fmt: skip
    Layout(
        "open-benchmark",
        (
            "anthropic (remote::anthropic)",
            "gemini (remote::gemini)",
            "model claude-3-5-sonnet-latest",
            "model gemini/gemini-1.5-flash",
        ),
        ("openai/gpt-4o", "groq/groq/llama-3.3-70b-versatile"),
    ),
    Layout(
        "postgres-demo",
        ("transformers (inline::transformers)", MCP, "model Qwen/Qwen3-Reranker-0.6B"),
        ("vllm-inference/stub-llm",),
        postgres=True,
        env={"INFERENCE_MODEL": "stub-llm"},
    ),
    Layout(
        "watsonx",
        (
            "watsonx (remote::watsonx)",
            FILE_SEARCH,
            "llama-guard (inline::llama-guard)",
            "faiss (inline::faiss)",
            "builtin (inline::builtin)",
            "builtin (inline::builtin)",
        ),
        (),
    ),  # fmt: skip
]


def _named(warnings: list[str], wanted: str) -> bool:
    if wanted.startswith("model "):
        name = wanted.removeprefix("model ")
        return any(f"({name}): its provider" in w and "is ignored" in w for w in warnings)
    provider_id, provider_type = wanted.removesuffix(")").split(" (")
    return any(f"({provider_id}, {provider_type})" in w for w in warnings)


def _ignored_lines(warnings: list[str]) -> list[str]:
    return [w for w in warnings if "is ignored" in w or "are all ignored" in w]


@pytest.fixture
def layout_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    case: Layout = request.param
    env = {
        "SQLITE_STORE_DIR": str(tmp_path / "store"),
        "FILES_STORAGE_DIR": str(tmp_path / "files"),
        **case.env,
    }
    if case.postgres:
        db: PostgresDB = request.getfixturevalue("postgres_db")
        env |= {
            "POSTGRES_HOST": db.host,
            "POSTGRES_PORT": str(db.port),
            "POSTGRES_DB": db.db,
            "POSTGRES_USER": db.user,
        }
    return env


@pytest.mark.parametrize(
    ("case", "layout_env"),
    [(c, c) for c in LAYOUT_CASES],
    ids=[c.name for c in LAYOUT_CASES],
    indirect=["layout_env"],
)
def test_layout_validates_starts_and_serves_models(
    case: Layout, layout_env: dict[str, str], tmp_path: Path
) -> None:
    path = LAYOUTS / f"{case.name}.yaml"
    with run_fake_openai() as stub:
        env = {**layout_env, "OPENAI_BASE_URL": stub.url, "VLLM_URL": stub.url}
        loaded = load_config(str(path), load_provider_registry(plugins=False), env=env)
        for wanted in case.ignored:
            assert _named(loaded.warnings, wanted), (wanted, loaded.warnings)
        # every ignored entry is expected: nothing is dropped that the test does not name
        assert len(_ignored_lines(loaded.warnings)) == len(case.ignored), loaded.warnings
        assert any("vector_dbs is the older name" in w for w in loaded.warnings)
        for api in COMMON_UNSERVED_APIS:
            if api in loaded.run.apis:
                assert any(f"the {api} API" in w for w in loaded.warnings), api

        if case.name == "starter":  # `validate` runs the same checks `run` does; once is enough
            check = subprocess.run(
                corral_command("config", "validate", str(path)),
                env={**_base_env(), **env},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert check.returncode == 0, check.stderr
            assert f"{path}: OK" in check.stdout

        with run_server(path, tmp_path, env=env, timeout=90) as server:
            models = httpx.get(f"{server.base_url}/v1/models", timeout=10).json()["data"]
            assert {m["id"] for m in models} >= set(case.models), models
            for wanted in case.ignored:  # named once per entry
                needle = _log_needle(wanted)
                assert server.log().count(needle) == case.ignored.count(wanted), needle


def _log_needle(wanted: str) -> str:
    if wanted.startswith("model "):
        return f"({wanted.removeprefix('model ')}): its provider"
    provider_id, provider_type = wanted.removesuffix(")").split(" (")
    return f"({provider_id}, {provider_type})"


def _base_env() -> dict[str, str]:
    import os

    return dict(os.environ)


def test_every_layout_of_the_distributions_loads() -> None:
    """The count the issue measures: 8 of the 8 Llama Stack 0.7 distribution layouts load."""
    registry = load_provider_registry(plugins=False)
    loaded = 0
    for case in LAYOUT_CASES:
        env = {"VLLM_URL": "http://127.0.0.1:9/v1", "POSTGRES_DB": "x", **case.env}
        load_config(str(LAYOUTS / f"{case.name}.yaml"), registry, env=env)
        loaded += 1
    assert (loaded, len(LAYOUT_CASES)) == (8, 8)
