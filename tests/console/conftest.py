"""One chromium for the console tests, and a corral in front of loopback upstreams.

The browser is Debian's chromium driven by Playwright (``executable_path``: no
browser download). Without chromium or Playwright the tests skip with the
reason, or fail under ``CORRAL_REQUIRE_SERVICES=1``. The one server (started
once: server start-up is most of these tests' time) requires a bearer token,
checked by the custom identity stub, and serves a scripted chat upstream
(``echo``, ``slow-words``, ``searcher``), the bag-of-words embedding stub,
localfs files, sqlite-vec, the rules shield, the Responses API and stored chat
completions. Each test gets a new tab (its own sessionStorage) in one browser
context; `tab` starts with the token stored as the token box stores it,
`bare_tab` without one.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.fixtures.fake_embeddings import DIMENSION, RunningEmbedder, run_fake_embeddings
from tests.fixtures.identity_stubs import IdentityStubs, run_identity_stubs
from tests.fixtures.scripted_llm import RunningScript, run_scripted_llm
from tests.fixtures.server import RunningServer, run_server
from tests.fixtures.services import unavailable

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

CHROMIUM = os.environ.get("CORRAL_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
#: Set to a folder (e.g. docs/console) to also write the documentation's screenshots there.
SCREENSHOT_DIR = os.environ.get("CORRAL_CONSOLE_SCREENSHOTS")
TOKEN = "console-secret-1"


def console_config(llm_url: str, embed_url: str, *, server: str = "") -> str:
    """A run config with chat models, embeddings, files, a vector store provider and a shield."""
    chat = "\n".join(
        f"- {{model_id: {m}, provider_id: script}}"
        for m in ("echo", "slow-words", "searcher", "jsoner")
    )
    return f"""version: 2
providers:
  inference:
  - {{provider_id: script, provider_type: remote::openai-compatible, config: {{base_url: "{llm_url}", max_retries: 0}}}}
  - {{provider_id: emb, provider_type: remote::openai-compatible, config: {{base_url: "{embed_url}", max_retries: 0}}}}
  files:
  - provider_id: fs
    provider_type: inline::localfs
    config:
      storage_dir: "${{env.SQLITE_STORE_DIR}}/files"
      metadata_store: {{backend: sql_main, table_name: openai_files}}
  vector_io:
  - provider_id: vec
    provider_type: inline::sqlite-vec
    config: {{db_path: "${{env.SQLITE_STORE_DIR}}/vec.db", persistence: {{backend: kv_main, namespace: vec}}}}
  safety:
  - {{provider_id: rules, provider_type: inline::rules, config: {{}}}}
  responses:
  - {{provider_id: builtin, provider_type: inline::builtin, config: {{}}}}
shields:
- {{shield_id: rules, provider_id: rules}}
vector_stores:
  default_provider_id: vec
  default_embedding_model: {{provider_id: emb, model_id: bow-embed}}
storage:
  backends:
    kv_main: {{type: kv_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/kv.db"}}
    sql_main: {{type: sql_sqlite, db_path: "${{env.SQLITE_STORE_DIR}}/sql.db"}}
  stores:
    metadata: {{backend: kv_main, namespace: registry}}
    inference: {{backend: sql_main, table_name: inference_store}}
    responses: {{backend: sql_main, table_name: responses}}
    conversations: {{backend: sql_main, table_name: openai_conversations}}
models:
{chat}
- {{model_id: bow-embed, provider_id: emb, model_type: embedding, metadata: {{embedding_dimension: {DIMENSION}}}}}
{server}"""


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless chromium for this package (a tab per test).

    Package scope, not session: Playwright's sync API keeps an event loop running
    in the main thread while it is open, which async tests elsewhere cannot share.
    """
    if not Path(CHROMIUM).exists():
        unavailable(f"{CHROMIUM} is missing (scripts/test installs Debian's chromium as root)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="package")
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture(scope="package")
def stubs() -> Iterator[IdentityStubs]:
    with run_identity_stubs() as running:
        running.custom_users[TOKEN] = {"principal": "alice", "message": "ok"}
        yield running


@pytest.fixture(scope="package")
def llm() -> Iterator[RunningScript]:
    with run_scripted_llm() as running:
        yield running


@pytest.fixture(scope="package")
def embedder() -> Iterator[RunningEmbedder]:
    with run_fake_embeddings() as running:
        yield running


@pytest.fixture(scope="package")
def corral(
    llm: RunningScript,
    embedder: RunningEmbedder,
    stubs: IdentityStubs,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningServer]:
    """corral with authentication on, shared by the console tests."""
    auth = f"""server:
  auth:
    provider_config: {{type: custom, endpoint: "{stubs.url}/validate"}}
"""
    tmp = tmp_path_factory.mktemp("console")
    with run_server(console_config(llm.url, embedder.url, server=auth), tmp) as running:
        yield running


@dataclass
class ConsolePage:
    """A browser tab on the console that records console errors and uncaught exceptions."""

    page: Page
    base_url: str
    shots: Path
    errors: list[str] = field(default_factory=list)

    def open(self, name: str) -> None:
        self.page.goto(f"{self.base_url}/console/#/{name}")
        self.page.wait_for_selector(f"main[data-page='{name}'] h1")

    def screenshot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if SCREENSHOT_DIR:
            target = ROOT / SCREENSHOT_DIR
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / path.name)
        return path

    def record(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)


def open_tab(
    context: BrowserContext, base_url: str, shots: Path, token: str | None
) -> Iterator[ConsolePage]:
    page = context.new_page()
    page.set_default_timeout(10_000)
    if token is not None:
        # What the token box does (typing it in is tested in test_auth.py).
        page.add_init_script(f"sessionStorage.setItem('corral.console.token', '{token}')")
    tab = ConsolePage(page, base_url, shots)
    page.on("console", tab.record)
    page.on("pageerror", lambda exc: tab.errors.append(f"uncaught: {exc}"))
    try:
        yield tab
    finally:
        page.close()


@pytest.fixture
def tab(context: BrowserContext, corral: RunningServer, tmp_path: Path) -> Iterator[ConsolePage]:
    """A new tab whose sessionStorage holds a valid token."""
    yield from open_tab(context, corral.base_url, tmp_path, TOKEN)


@pytest.fixture
def bare_tab(
    context: BrowserContext, corral: RunningServer, tmp_path: Path
) -> Iterator[ConsolePage]:
    """A new tab with no token."""
    yield from open_tab(context, corral.base_url, tmp_path, None)
