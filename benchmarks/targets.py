"""The servers under test: corral, and llama-stack for ``--compare llama-stack``.

Both get the same run config in spirit: one OpenAI-compatible remote provider
(``up``) pointing at the fake upstream, the models ``up/bench-model`` and
``up/bench-embed``, the default SQLite stores (registry + inference store), and
per variant the same custom auth endpoint (the fake's ``/validate``) and a
request quota counted in SQLite or Redis.

llama-stack is installed once into its own Python 3.12 virtualenv under
``benchmarks/.work/`` (a stamp file marks a finished install, so an interrupted
one is redone).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
LLAMA_STACK_VERSION = "0.7.3"
# mcp>=2 breaks llama-stack 0.7.3's imports; redis is its kv_redis backend's client.
LLAMA_STACK_PACKAGES = [f"llama-stack=={LLAMA_STACK_VERSION}", "mcp<2", "redis"]
INSTALL_TIMEOUT_S = 1200

VARIANTS = ("plain", "auth+quota sqlite", "auth+quota redis")
MODEL = "up/bench-model"
EMBED_MODEL = "up/bench-embed"


@dataclass(frozen=True)
class Target:
    """How to start one server under test."""

    name: str
    args: list[str]
    env: dict[str, str]


def redis_namespace(work: Path, server: str) -> str:
    """The quota namespace of one server in this run (`forget_redis_keys` deletes it)."""
    return f"corral-bench-{work.name}-{server}"


def forget_redis_keys(work: Path) -> None:
    """Delete the quota counters this run left in the local Redis (best effort)."""
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=6379, socket_timeout=5)
        for key in client.scan_iter(match=f"corral-bench-{work.name}-*", count=1000):
            client.delete(key)
        client.close()
    except Exception as exc:  # the numbers are measured; a leftover key is not worth a failure
        print(f"note: could not delete the benchmark's Redis keys: {exc}", flush=True)


def slug(variant: str) -> str:
    """A file-name-safe form of a variant name."""
    return variant.replace(" ", "_").replace("+", "_")


# --- corral ----------------------------------------------------------------------------------


def corral_target(
    upstream: str, work: Path, variant: str, port: int, source: Path | None = None
) -> Target:
    """corral serving `variant` on `port`, data files under `work`.

    With `source` (another checkout), that tree's ``src`` is imported instead of
    the installed corral: the A/B baseline of ``--baseline``.
    """
    name = "corral" if source is None else "baseline"
    path = work / f"{name}-{slug(variant)}.yaml"
    path.write_text(corral_config(upstream, work, variant, name))
    args = [sys.executable, "-m", "corral", "run", str(path), "--port", str(port)]
    env = {} if source is None else {"PYTHONPATH": str(source.resolve() / "src")}
    return Target(name, [*args, "--log-level", "warning"], env)


def corral_config(upstream: str, work: Path, variant: str, name: str = "corral") -> str:
    """corral's run config for one variant (`name` keeps two corrals' files apart)."""
    redis = variant.endswith("redis")
    backends = f"""    kv_default: {{type: kv_sqlite, db_path: "{work}/{name}-kv.db"}}
    sql_default: {{type: sql_sqlite, db_path: "{work}/{name}-sql.db"}}
"""
    if redis:
        backends += "    kv_redis: {type: kv_redis, host: 127.0.0.1, port: 6379}\n"
    text = f"""version: 2
apis: [inference]
providers:
  inference:
  - provider_id: up
    provider_type: remote::openai-compatible
    config: {{base_url: "{upstream}/v1", max_retries: 0}}
storage:
  backends:
{backends}  stores:
    metadata: {{backend: kv_default, namespace: registry}}
    inference: {{backend: sql_default, table_name: inference_store}}
models:
- {{model_id: bench-model, provider_id: up}}
- {{model_id: bench-embed, provider_id: up, model_type: embedding}}
"""
    if variant == "plain":
        return text
    store = (
        f'{{backend: kv_redis, namespace: "{redis_namespace(work, name)}"}}'
        if redis
        else f'{{type: sqlite, db_path: "{work}/{name}-quota.db"}}'
    )
    return (
        text
        + f"""server:
  auth:
    provider_config: {{type: custom, endpoint: "{upstream}/validate"}}
  quota:
    kvstore: {store}
    authenticated_max_requests: 100000000
"""
    )


# --- llama-stack -----------------------------------------------------------------------------


def llama_stack_target(llama: Path, upstream: str, work: Path, variant: str, port: int) -> Target:
    """llama-stack serving `variant` on `port` from its own virtualenv."""
    path = work / f"llama-stack-{slug(variant)}.yaml"
    path.write_text(llama_stack_config(upstream, work, variant, port))
    home = work / "llama-home"
    home.mkdir(exist_ok=True)
    # HOME keeps its ~/.llama out of the real home. JSON is its production log format: the
    # default Rich console renders every logged traceback with syntax highlighting, which
    # under load (its SQLite inference store reports "database is locked") stalled it for
    # seconds at a time - measuring its logger, not its serving.
    env = {"HOME": str(home), "LLAMA_STACK_LOG_FORMAT": "json"}
    return Target("llama-stack", [str(llama), "stack", "run", str(path), "--port", str(port)], env)


def llama_stack_config(upstream: str, work: Path, variant: str, port: int) -> str:
    """llama-stack's run config: one ``remote::openai`` provider and its default SQLite stores.

    Its quota middleware runs before its authentication middleware (Starlette's
    ``add_middleware`` order), so it counts every caller by IP against
    ``anonymous_max_requests``; both limits are set out of reach so the counting
    still happens on every request but never refuses one.
    """
    redis = variant.endswith("redis")
    data = work / f"llama-stack-{slug(variant)}"
    data.mkdir(exist_ok=True)
    redis_backend = "    kv_redis: {type: kv_redis, host: 127.0.0.1, port: 6379}\n" if redis else ""
    text = f"""version: 2
distro_name: corral-bench
apis: [inference]
providers:
  inference:
  - provider_id: up
    provider_type: remote::openai
    config: {{api_key: bench-key, base_url: "{upstream}/v1"}}
storage:
  backends:
    kv_default: {{type: kv_sqlite, db_path: "{data}/kvstore.db"}}
    sql_default: {{type: sql_sqlite, db_path: "{data}/sql_store.db"}}
{redis_backend}  stores:
    metadata: {{namespace: registry, backend: kv_default}}
    inference: {{table_name: inference_store, backend: sql_default, max_write_queue_size: 10000, num_writers: 4}}
    conversations: {{table_name: openai_conversations, backend: sql_default}}
    prompts: {{namespace: prompts, backend: kv_default}}
    connectors: {{namespace: connectors, backend: kv_default}}
registered_resources:
  models:
  - {{model_id: bench-model, provider_id: up, provider_model_id: bench-model, model_type: llm}}
  - model_id: bench-embed
    provider_id: up
    provider_model_id: bench-embed
    model_type: embedding
    metadata: {{embedding_dimension: 384}}
server:
  port: {port}
"""
    if variant == "plain":
        return text
    store = "kv_redis" if redis else "kv_default"
    return (
        text
        + f"""  auth:
    provider_config: {{type: custom, endpoint: "{upstream}/validate"}}
  quota:
    kvstore: {{backend: {store}, namespace: "{redis_namespace(work, "llama-stack")}"}}
    authenticated_max_requests: 100000000
    anonymous_max_requests: 100000000
    period: day
"""
    )


def ensure_llama_stack(python: str | None = None) -> Path:
    """The ``llama`` CLI of a cached llama-stack virtualenv, created on first use."""
    venv = WORK / f"llama-stack-{LLAMA_STACK_VERSION}"
    llama = venv / "bin" / "llama"
    stamp = venv / ".installed"
    wanted = "\n".join(LLAMA_STACK_PACKAGES)
    if stamp.exists() and stamp.read_text() == wanted and llama.exists():
        return llama
    interpreter = python or find_python312()
    print(f"installing {' '.join(LLAMA_STACK_PACKAGES)} into {venv} (once) ...", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    WORK.mkdir(exist_ok=True)
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", *LLAMA_STACK_PACKAGES],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT_S,
        check=False,
    )
    if pip.returncode != 0:
        raise RuntimeError(f"installing llama-stack failed:\n{pip.stdout}\n{pip.stderr}")
    stamp.write_text(wanted)
    return llama


def find_python312() -> str:
    """A working Python 3.12: one installed by pyenv, else ``python3.12`` on PATH."""
    root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = sorted(glob.glob(f"{root}/versions/3.12*/bin/python3.12"), reverse=True)
    on_path = shutil.which("python3.12")
    for candidate in [*candidates, *([on_path] if on_path else [])]:
        check = subprocess.run([candidate, "-c", "pass"], capture_output=True, timeout=30)
        if check.returncode == 0:  # a pyenv shim without that version installed fails here
            return candidate
    raise RuntimeError(
        "llama-stack 0.7.3 needs Python 3.12: install one (e.g. pyenv install 3.12) "
        "or pass --llama-stack-python"
    )
