"""Property tests of the config path: whatever the file holds, a valid config or FILE:LINE errors.

Hypothesis builds env expressions (well- and ill-formed), environments, and run
configs mutated from a valid one (values swapped for expressions, odd types,
unknown keys, lists where mappings belong); the loader must never raise
anything but `ConfigError`, and every line of that error must point at a line.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corral.config.envsubst import substitute_env
from corral.config.issues import ConfigError
from corral.config.loader import load_config
from corral.core.registry import load_provider_registry

#: Hundreds of generated configs: run with the whole suite, not the quick loop.
pytestmark = pytest.mark.slow

REGISTRY = load_provider_registry(plugins=False)
LINE = re.compile(r"^run\.yaml:\d+ ")
NAMES = st.sampled_from(["A", "B", "HOME_DIR", "X_1"])

expressions = st.one_of(
    st.builds(lambda n: f"${{env.{n}}}", NAMES),
    st.builds(lambda n, v: f"${{env.{n}:={v}}}", NAMES, st.sampled_from(["", "1", "x", "true"])),
    st.builds(
        lambda n, v: f"${{env.{n}:+{v}}}", NAMES, st.sampled_from(["", "on", "oauth2_token"])
    ),
    st.builds(lambda n: f"${{env.{n}:old}}", NAMES),
    st.sampled_from(["${env.", "${env.A", "${}", "${env.1A}", "$${env.A}", "${env.A:-x}", "}"]),
)
texts = st.one_of(
    expressions,
    st.builds(lambda a, b: f"{a}/x/{b}", expressions, expressions),
    st.text(max_size=12),
)
scalars = st.one_of(texts, st.integers(), st.booleans(), st.none(), st.floats(allow_nan=False))
keys = st.one_of(
    st.sampled_from(["provider_id", "model_id", "type", "config", "url", "shield_id", "port"]),
    st.text(min_size=1, max_size=8),
)
data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=20,
)
environments = st.dictionaries(NAMES, st.sampled_from(["", "1", "x", "http://h:1"]), max_size=4)


@settings(max_examples=300, deadline=None)
@given(data, environments)
def test_env_substitution_never_raises_and_every_issue_has_a_path(
    value: Any, env: dict[str, str]
) -> None:
    _, issues = substitute_env(value, env)
    for issue in issues:
        assert isinstance(issue.path, tuple) and issue.problem


BASE = {
    "version": 2,
    "providers": {
        "inference": [
            {
                "provider_id": "main",
                "provider_type": "remote::openai-compatible",
                "config": {"base_url": "http://127.0.0.1:9/v1", "max_retries": 1},
            },
            {
                "provider_id": "${env.A:+ollama}",
                "provider_type": "remote::ollama",
                "config": {"url": "${env.B}"},
            },
        ],
        "vector_io": [
            {
                "provider_id": "faiss",
                "provider_type": "inline::faiss",
                "config": {"persistence": {"backend": "kv", "namespace": "v"}},
            }
        ],
    },
    "storage": {
        "backends": {"kv": {"type": "kv_sqlite", "db_path": "/tmp/corral-fuzz.db"}},
        "stores": {"metadata": {"backend": "kv", "namespace": "registry"}},
    },
    "models": [{"model_id": "m", "provider_id": "main"}],
    "server": {
        "port": 8321,
        "auth": {
            "provider_config": {
                "type": "${env.A:+oauth2_token}",
                "jwks": {"uri": "${env.B}/certs"},
            },
            "route_policy": [{"permit": {"paths": "*"}}],
        },
    },
}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, value)}
    copy = list(node)
    copy[head] = _replace(copy[head], rest, value)
    return copy


@st.composite
def mutated_configs(draw: st.DrawFn) -> str:
    config: Any = BASE
    paths = _paths(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths))
        config = _replace(config, path, draw(data))
        paths = _paths(config)
    text = yaml.safe_dump(config, sort_keys=False)
    if draw(st.booleans()):  # a textual slip as well: a deleted character
        at = draw(st.integers(0, max(0, len(text) - 1)))
        text = text[:at] + text[at + 1 :]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_configs(), environments)
def test_the_loader_gives_a_config_or_file_line_errors(text: str, env: dict[str, str]) -> None:
    try:
        load_config("run.yaml", REGISTRY, env=env, text=text)
    except ConfigError as err:
        lines = err.render().splitlines()
        assert lines
        for line in lines:
            assert LINE.match(line), line
