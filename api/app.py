"""The Starlette app: POST/GET /graphql, GraphiQL for browsers, /health.

`api.app:app` serves it with uvicorn; `api.handler.handler` wraps the same app for Lambda.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cost.limiter import Limiter
from resolvers.context import Context
from resolvers.cursors import CursorSigner
from resolvers.internals import graphql_schema
from resolvers.schema import build_schema
from store import Store, Table
from store.client import open_client

from . import cors, errors, graphiql, logs
from .auth import Authenticator, InvalidToken
from .callers import caller_of
from .execution import Executor
from .http import Caller, GraphQLHTTP, error_response, media_type_for
from .settings import Settings

log = logging.getLogger("singlet.http")


class Resources:
    """Per-process (per Lambda container) state: one DynamoDB client, made on first use.

    Lazy because Lambda's init must not touch the network, and because the client belongs to
    the event loop that creates it (Mangum keeps one loop across warm invocations).
    """

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock  # the limiter's (tests move time)
        self.clients_created = 0
        # Called when a client has been made (on Lambda: api/heap.py freezes the heap there).
        self.after_client: Callable[[], None] | None = None
        self._store: Store | None = None
        self._lock: asyncio.Lock | None = None
        # Made with the client: its leases of callers' budgets are this container's.
        self.limiter: Limiter | None = None

    async def store(self) -> Store:
        if self._store is None:
            self._lock = self._lock or asyncio.Lock()
            async with self._lock:
                if self._store is None:
                    client = await open_client(
                        self.settings.region,
                        self.settings.endpoint_url,
                        self.settings.local_endpoint,
                    )
                    self.clients_created += 1
                    self._store = Store(Table(client, self.settings.table_name))
                    self.limiter = Limiter(self._store.table, self.settings.limits, self.clock)
                    if self.after_client is not None:
                        self.after_client()
        return self._store

    async def close(self) -> None:
        if self._store is not None:
            await self._store.table.client.close()
            self._store = None


def graphql_endpoint(settings: Settings, resources: Resources) -> GraphQLHTTP:
    authenticator = Authenticator(settings)
    cursors = CursorSigner(settings.cursor_secret)
    executor = Executor(
        graphql_schema(build_schema()),
        max_depth=settings.max_depth,
        introspection=settings.introspection,
        budget=settings.budget,
    )
    store: Store | None = None

    async def authenticate(request: Request) -> Caller:
        nonlocal store
        store = await resources.store()
        try:
            subject = await authenticator.subject(request.headers.get("authorization"))
        except InvalidToken as error:
            return Caller(auth_error=str(error))
        peer = request.client.host if request.client is not None else None
        forwarded = request.headers.get("x-forwarded-for")
        return Caller(subject, name=caller_of(subject, peer, forwarded, settings.trusted_proxies),
                      limiter=resources.limiter)  # fmt: skip

    def new_context(subject: str | None, prefetch_viewer: bool) -> Context:
        assert store is not None
        return Context(store, cursors, logs.request_id.get() or "-", subject, prefetch_viewer)

    return GraphQLHTTP(
        executor, authenticate, new_context,
        cost_in_response=settings.cost_in_response,
        max_response_bytes=settings.max_response_bytes,
    )  # fmt: skip


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RequestContext:
    """Request id (Lambda's, a caller's X-Request-Id, or new) on logs and the response;
    a JSON access log line; the request body size limit."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        token = logs.request_id.set(request_id)
        started = time.perf_counter()
        status: int | None = None  # until the response starts

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1") or None
        media_type = media_type_for(accept)
        try:
            body = await self._read_body(scope, receive)
            if body is None:
                message = f"the request body is too large: at most {self.max_body_bytes} bytes"
                reply = error_response(413, message, errors.PAYLOAD_TOO_LARGE, media_type)
                await reply(scope, receive, send_with_id)
                return
            await self.app(scope, _replay(body), send_with_id)
        except Exception:
            # A bug, not the client's doing: logged with the request id, answered as a GraphQL
            # error that carries it (never Starlette's text/plain 500, never a dropped
            # connection). Once the response has started it can only be cut short.
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if status is not None:
                raise
            reply = error_response(500, "Internal server error", errors.INTERNAL_SERVER_ERROR,
                                   media_type, request_id=request_id)  # fmt: skip
            await reply(scope, receive, send_with_id)
        finally:
            extra: dict[str, Any] = {
                "status": status or 500,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            }
            if (cost := scope.get("state", {}).get("cost")) is not None:
                extra["cost"] = cost
            log.info("%s %s %s", scope["method"], scope["path"], status or 500, extra=extra)
            logs.request_id.reset(token)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None past the limit (known early from Content-Length)."""
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _request_id(scope: Scope) -> str:
    lambda_context = scope.get("aws.context")
    if lambda_context is not None and getattr(lambda_context, "aws_request_id", None):
        return str(lambda_context.aws_request_id)
    supplied = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
    return supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # like a client that keeps the connection open
        raise AssertionError("unreachable")  # pragma: no cover

    return receive


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def create_app(
    settings: Settings | None = None, *, clock: Callable[[], float] = time.time
) -> Starlette:
    """The app; `clock` is the rate limiter's (seconds since the epoch)."""
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)
    resources = Resources(settings, clock)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await resources.close()  # uvicorn; Lambda runs with lifespan off and never closes

    endpoint = graphql_endpoint(settings, resources)
    app = Starlette(
        routes=[
            # Every method reaches the endpoint, which answers 405 itself (as a GraphQL error).
            Route(
                "/graphql",
                endpoint.handle,
                methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            ),
            Route("/health", health),
            Mount("/graphiql", StaticFiles(directory=graphiql.STATIC, check_dir=False)),
        ],
        lifespan=lifespan,
    )
    app.state.resources = resources
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    if settings.cors_origins:  # outermost: a preflight is answered before anything else runs
        app.add_middleware(CORSMiddleware, **cors.middleware_options(settings.cors_origins))
    return app


@functools.cache
def _default_app() -> Starlette:
    return create_app()


def __getattr__(name: str) -> Any:
    # `api.app:app` for uvicorn, built on first access (and once) so that importing this
    # module (tests, the CLI) does not require a configured environment.
    if name == "app":
        return _default_app()
    raise AttributeError(name)
