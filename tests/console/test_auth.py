"""With authentication on, the console's files load but every API call needs the typed token."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.console.conftest import TOKEN, ConsolePage
from tests.fixtures.server import RunningServer

pytestmark = pytest.mark.slow


def test_the_files_are_public_and_the_api_is_not(corral: RunningServer) -> None:
    assert httpx.get(f"{corral.base_url}/console/app.js").status_code == 200
    assert httpx.get(f"{corral.base_url}/v1/models").status_code == 401


def test_the_console_asks_for_a_token_and_works_with_it(bare_tab: ConsolePage) -> None:
    tab = bare_tab
    tab.open("models")
    page = tab.page
    banner = page.locator("#banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("needs an API key or token")
    tab.screenshot("auth-required")
    # The browser reports each refused call as a failed resource load, and nothing else.
    assert tab.errors and all("401" in e for e in tab.errors), tab.errors
    tab.errors.clear()
    page.fill("#token", TOKEN)
    page.click("#token-use")
    expect(banner).to_be_hidden()
    expect(page.locator("#models")).to_contain_text("echo")
    # Kept for this tab only: sessionStorage, not localStorage or a cookie.
    assert page.evaluate("sessionStorage.getItem('corral.console.token')") == TOKEN
    assert page.evaluate("localStorage.length") == 0
    assert page.context.cookies() == []
    tab.open("chat")
    page.select_option("#model", "script/echo")
    page.fill("#prompt", "hi")
    page.click("#send")
    expect(page.locator(".turn.assistant .answer").last).to_have_text("You said: hi")
    assert tab.errors == []


def test_a_wrong_token_is_refused(bare_tab: ConsolePage) -> None:
    tab = bare_tab
    tab.open("chat")
    tab.page.fill("#token", "wrong")
    tab.page.click("#token-use")
    expect(tab.page.locator("#banner")).to_contain_text("needs an API key or token")
    expect(tab.page.locator("main")).to_contain_text("401")
