"""One GraphQL contract, two transports: real HTTP (uvicorn) and the Lambda handler.

`api` is parametrised: every contract test runs once over each, against DynamoDB Local, with
a fresh table per test.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import jwt
import pytest
import uvicorn
from mangum import Mangum
from singlet_tools.local import free_port
from starlette.applications import Starlette

from api.app import create_app
from api.http import COST_HEADER
from api.settings import Settings

SECRET = "contract-test-secret-of-at-least-32-bytes"


def make_token(subject: str, *, secret: str = SECRET, ttl: int = 3600, **claims: Any) -> str:
    now = int(time.time())
    return jwt.encode({"sub": subject, "iat": now, "exp": now + ttl, **claims}, secret, "HS256")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Api:
    """What a client sees: requests in, replies out, whichever transport carries them."""

    transport: str
    app: Starlette
    _send: Any = field(repr=False)
    base_url: str | None = None  # the HTTP transport's address
    costs: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (query, its cost)

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> Reply:
        reply: Reply = await self._send(method, path, body, headers or {}, params or {})
        return reply

    async def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """POSTs an operation; returns the JSON response (asserting it is a 200).

        Every operation of the contract suite also checks the cost model: it asks for the
        request's cost, and what was predicted before it ran must bound what it cost."""
        all_headers = {"content-type": "application/json", COST_HEADER: "1", **(headers or {})}
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        payload = {"query": query, "variables": variables or {}}
        reply = await self.request("POST", "/graphql", body=json.dumps(payload).encode(),
                                   headers=all_headers)  # fmt: skip
        assert reply.status == 200, reply.body
        result: dict[str, Any] = reply.json()
        cost = result.get("extensions", {}).pop("cost", None)
        if result.get("extensions") == {}:
            del result["extensions"]
        if cost is not None:
            self.costs.append((query, cost))
            assert_bounded(cost)
        return result


def assert_bounded(cost: dict[str, Any]) -> None:
    """The prediction bounds the actual cost (of an undisturbed run: retries aside)."""
    requested, actual = cost["requested"], cost.get("actual")
    if actual is None or actual["retries"]:
        return
    for operation, calls in actual["calls"].items():
        assert requested["calls"].get(operation, 0) >= calls, (operation, cost)
    assert sum(requested["calls"].values()) >= sum(actual["calls"].values()), cost
    assert requested["roundTrips"] >= actual["roundTrips"], cost
    assert requested["readUnits"] >= actual["readUnits"], cost
    assert requested["writeUnits"] >= actual["writeUnits"], cost


def error_codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


@pytest.fixture
def settings(dynamodb_endpoint: str, table_name: str) -> Settings:
    return Settings(
        table_name=table_name,
        region="us-east-1",
        endpoint_url=dynamodb_endpoint,
        jwt_secret=SECRET,
        cursor_secret="cursor-" + SECRET,
        log_level="WARNING",
    )


@pytest.fixture(params=["http", "lambda"])
async def api(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[Api]:
    app = create_app(settings)
    if request.param == "http":
        async with serve_http(app) as api:
            yield api
    else:
        with lambda_container(app) as api:
            yield api


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns signals
        pass


@asynccontextmanager
async def serve_http(app: Starlette) -> AsyncIterator[Api]:
    """uvicorn on a free loopback port, in its own thread and event loop."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False,
                            proxy_headers=False)  # as `singlet serve` runs it  # fmt: skip
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:  # noqa: ASYNC110 -- uvicorn exposes a flag, not an event
        await asyncio.sleep(0.01)
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30)

    async def send(method: str, path: str, body: bytes | None, headers: dict[str, str],
                   params: dict[str, str]) -> Reply:  # fmt: skip
        response = await client.request(method, path, content=body, headers=headers,
                                        params=params)  # fmt: skip
        return Reply(response.status_code, dict(response.headers), response.content)

    try:
        yield Api("http", app, send, base_url=f"http://127.0.0.1:{port}")
    finally:
        await client.aclose()
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)


def function_url_event(
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    params: dict[str, str],
    *,
    base64_body: bool = False,
) -> dict[str, Any]:
    """A Lambda function URL event (payload format 2.0), as AWS sends it."""
    domain = "abcdefghij.lambda-url.us-east-1.on.aws"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": urlencode(params),
        "headers": {"host": domain, **{k.lower(): v for k, v in headers.items()}},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abcdefghij",
            "domainName": domain,
            "domainPrefix": "abcdefghij",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "21/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1795219200000,
        },
        "isBase64Encoded": base64_body,
    }
    if params:
        event["queryStringParameters"] = dict(parse_qsl(urlencode(params)))
    if body is not None:
        try:
            text = None if base64_body else body.decode()
        except UnicodeDecodeError:  # not text: AWS sends such a body base64-encoded
            text = None
        event["body"] = base64.b64encode(body).decode() if text is None else text
        event["isBase64Encoded"] = text is None
    return event


def lambda_context() -> Any:
    return SimpleNamespace(
        aws_request_id=str(uuid.uuid4()),
        function_name="singlet",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:us-east-1:000000000000:function:singlet",
        get_remaining_time_in_millis=lambda: 10_000,
    )


@contextmanager
def lambda_container(app: Starlette, base64_body: bool = False) -> Iterator[Api]:
    """The handler as Lambda runs it: one thread (one container), invocations one at a time,
    Mangum's event loop reused between them."""
    container = ThreadPoolExecutor(
        max_workers=1, initializer=lambda: asyncio.set_event_loop(asyncio.new_event_loop())
    )
    # Built in the container's thread, as Lambda's init phase runs in the invoking thread.
    handler = container.submit(Mangum, app, lifespan="off").result()

    async def send(method: str, path: str, body: bytes | None, headers: dict[str, str],
                   params: dict[str, str]) -> Reply:  # fmt: skip
        event = function_url_event(method, path, body, headers, params, base64_body=base64_body)
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(container, handler, event, lambda_context())
        raw = result.get("body") or ""
        payload = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
        return Reply(result["statusCode"], dict(result.get("headers") or {}), payload)

    try:
        yield Api("lambda", app, send)
    finally:
        container.submit(_retire, app).result()
        container.shutdown()


def _retire(app: Starlette) -> None:
    """The container goes away: close its client on its own loop, then the loop."""
    loop = asyncio.get_event_loop()
    loop.run_until_complete(app.state.resources.close())
    loop.close()


@dataclass
class Member:
    username: str
    token: str
    id: str


@pytest.fixture
def signup(api: Api) -> Any:
    """Creates a profile through the API; returns the member with its token and id."""

    async def create(username: str, subject: str | None = None) -> Member:
        token = make_token(subject or f"auth0|{username}")
        result = await api.graphql(
            "mutation($u: String!) { createUser(input: {username: $u}) { id username } }",
            {"u": username},
            token=token,
        )
        assert "errors" not in result, result
        return Member(username, token, result["data"]["createUser"]["id"])

    return create
