"""GraphiQL in a real browser (Debian's Chromium, driven by Playwright), fully offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.async_api import Request, Route, async_playwright

from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from store import Store
from tests.api.conftest import serve_http

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's probe runs it: no background traffic to Google's services.
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Debian's chromium (make test installs it)"
)


async def test_graphiql_runs_a_query_offline(
    settings: Settings, store: Store, tmp_path: Path
) -> None:
    author = await store.create_user("browser-sub", "browser_user")
    await store.create_post(author.id, "Hello from the browser", "c", tags=("demo",))
    async with serve_http(create_app(settings)) as api, async_playwright() as playwright:
        assert api.base_url is not None
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page()
        outside: list[str] = []
        problems: list[str] = []

        async def offline(route: Route, request: Request) -> None:
            if urlsplit(request.url).hostname == "127.0.0.1":
                await route.continue_()
            else:  # what a user without internet, or behind a strict CSP, gets
                outside.append(request.url)
                await route.abort()

        await page.route("**/*", offline)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on(
            "console",
            lambda message: problems.append(message.text) if message.type == "error" else None,
        )
        await page.goto(f"{api.base_url}/graphql")
        await page.wait_for_selector(".graphiql-container", timeout=20_000)
        await page.click(".graphiql-execute-button")
        await page.wait_for_function(
            "() => (document.querySelector('.result-window') || {}).innerText"
            "?.includes('Hello from the browser')",
            timeout=20_000,
        )
        result = await page.inner_text(".result-window")
        await page.screenshot(path=str(tmp_path / "graphiql.png"))

        # The link `make run` prints: the Headers editor pre-filled with a bearer token.
        token = issue_token(settings, "browser-sub")
        headers = json.dumps({"Authorization": f"Bearer {token}"})
        query = "query Me { viewer { username } }"
        await page.goto(f"{api.base_url}/graphql?{urlencode({'headers': headers, 'q': query})}")
        await page.wait_for_selector(".graphiql-container", timeout=20_000)
        await page.click(".graphiql-execute-button")
        await page.wait_for_function(
            "() => (document.querySelector('.result-window') || {}).innerText?.includes('viewer')",
            timeout=20_000,
        )
        signed_in = await page.inner_text(".result-window")
        await browser.close()
    assert '"username": "browser_user"' in result
    # The result pane indents with non-breaking spaces.
    assert json.loads(signed_in.replace("\xa0", " ")) == {
        "data": {"viewer": {"username": "browser_user"}}
    }
    assert outside == []
    assert problems == []
