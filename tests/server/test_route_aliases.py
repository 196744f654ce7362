"""Every alias and spelling of every route is judged as its canonical route (issue 15, item 1).

The cases are generated from the app's own route table, so a new route or
alias is covered without touching this file. A server runs with a
route_policy that forbids every route by its canonical path and permits
everything else; each spelling must then be refused (403), or be no route at
all (404 ``route_not_found``). A handler's answer (2xx, or a 4xx of its own)
means a policy was bypassed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral.core.registry import load_provider_registry
from corral.server.app import create_app
from corral.server.routing import RouteTable, normalise_path
from tests.fixtures import raw_http
from tests.fixtures.server import RunningServer, run_server
from tests.responses.conftest import responses_config

#: Starts corral servers or other processes (scripts/test -m "not slow" skips them).
pytestmark = pytest.mark.slow

UPSTREAM = "http://127.0.0.1:9/v1"


def _table(tmp: Path) -> RouteTable:
    text = responses_config(UPSTREAM)
    from corral.config.loader import load_config

    loaded = load_config("run.yaml", load_provider_registry(), {"SQLITE_STORE_DIR": str(tmp)}, text)
    table: RouteTable = create_app(loaded).state.route_table
    return table


def _fill(template: str) -> str:
    """A concrete path for a template: ``{model_id:path}`` gets a value with a slash."""
    return re.sub(
        r"\{(\w+)(:\w+)?\}", lambda m: "up/model-1" if m.group(2) == ":path" else "x1", template
    )


def _spellings(path: str) -> dict[str, str]:
    """The ways a client can write `path` that must all reach (or miss) the same route."""
    first = re.search(r"[a-z]", path[3:])
    assert first is not None
    at = 3 + first.start()
    return {
        "declared": path,
        "trailing-slash": path + "/",
        "double-slash": path.replace("/", "//", 2).replace("///", "//"),
        "leading-double-slash": "/" + path,
        "percent-encoded": path[:at] + f"%{ord(path[at]):02X}" + path[at + 1 :],
        "upper-case": path.upper(),
    }


def _cases() -> Iterator[tuple[str, str, str, str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        table = _table(Path(tmp))
    for method, spelling, template in sorted(set(table.spellings())):
        if method == "HEAD":
            continue
        for kind, target in _spellings(_fill(spelling)).items():
            yield method, kind, target, _fill(template)


CASES = list(_cases())


@pytest.fixture(scope="module")
def denied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    tmp = tmp_path_factory.mktemp("aliases")
    canonical = sorted({c[3] for c in CASES})
    paths = ", ".join(f'"{p}"' for p in canonical)
    policy = f"""server:
  auth:
    route_policy:
    - forbid: {{paths: [{paths}]}}
    - permit: {{paths: "*"}}
"""
    with run_server(responses_config(UPSTREAM, extra=policy), tmp, timeout=60) as server:
        yield server


def test_the_table_covers_aliases_and_parameters() -> None:
    kinds = {(c[0], c[3]) for c in CASES}
    assert ("POST", "/v1/chat/completions") in kinds
    assert ("GET", "/v1/models/up/model-1") in kinds
    assert any("/v1/openai/v1/" in c[2] for c in CASES)
    assert len(CASES) > 100


@pytest.mark.parametrize(("method", "kind", "target", "canonical"), CASES)
def test_every_spelling_is_judged_as_its_canonical_route(
    denied: RunningServer, method: str, kind: str, target: str, canonical: str
) -> None:
    response = raw_http.request(denied.port, method, target)
    assert response is not None, f"{method} {target}: connection closed without an answer"
    code = response.json()["error"]["code"] if response.status >= 400 else None
    if kind == "upper-case":  # not a route: 404 from the router, never a handler's answer
        assert (response.status, code) == (404, "route_not_found"), (method, target)
        return
    assert (response.status, code) == (403, "route_forbidden"), (
        f"{method} {target} (a spelling of {canonical}) reached its handler: "
        f"{response.status} {response.body[:200]!r}"
    )


def test_normalise_path() -> None:
    assert normalise_path("/v1//models///") == "/v1/models"
    assert normalise_path("/") == "/"
    assert normalise_path("//") == "/"
    assert normalise_path("/v1/models") == "/v1/models"
