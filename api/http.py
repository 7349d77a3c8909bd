"""GraphQL over HTTP: requests in, GraphQL responses out, as the GraphQL-over-HTTP spec says.

GET (queries only) and POST with `application/json`; responses in
`application/graphql-response+json` or `application/json`, by the request's Accept header
(none, or `*/*`: `application/json`). Under the new media type a request that never ran
(unparseable, invalid, over budget) answers 400; `application/json` keeps 200 for anything
that is a GraphQL response. Every failure, transport errors included, is a GraphQL error body
with an `extensions.code`. A browser's GET (Accept: text/html) gets GraphiQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import GraphQLError, OperationType
from starlette.requests import Request
from starlette.responses import Response

from cost.limiter import Limiter

from . import errors, graphiql, logs
from .execution import Executor, NotAllowed, Operation, Outcome, RequestContext

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
COST_HEADER = "x-singlet-cost"
ALLOWED_METHODS = "GET, HEAD, POST"


class Refused(Exception):
    """The request is not a GraphQL request we can run; answered with `status`."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


@dataclass
class Caller:
    """Who is asking, as the transport established it."""

    subject: str | None = None
    auth_error: str | None = None
    name: str = "-"  # whom the request is charged to (api/callers.py)
    limiter: Limiter | None = None  # what holds the caller to their budget


class GraphQLHTTP:
    """The /graphql endpoint. `authenticate` and `new_context` come from the app."""

    def __init__(
        self,
        executor: Executor,
        authenticate: Any,
        new_context: Any,
        *,
        cost_in_response: bool = False,
        max_response_bytes: float | None = None,
    ) -> None:
        self.executor = executor
        self.authenticate = authenticate
        self.new_context = new_context
        self.cost_in_response = cost_in_response
        self.max_response_bytes = max_response_bytes

    async def handle(self, request: Request) -> Response:
        browsing = request.method in ("GET", "HEAD") and "query" not in request.query_params
        if browsing and "text/html" in request.headers.get("accept", ""):
            page = graphiql.page()
            return Response(None, page.status_code, page.headers) if (
                request.method == "HEAD") else page  # fmt: skip
        try:
            media_type = _negotiate(request.headers.get("accept"))
        except Refused as refused:
            return _error_response(refused, JSON)
        try:
            if request.method in ("GET", "HEAD"):
                operation = _from_query_string(request)
                allowed: tuple[OperationType, ...] = (OperationType.QUERY,)
            elif request.method == "POST":
                operation = await _from_body(request)
                allowed = (OperationType.QUERY, OperationType.MUTATION)
            else:
                raise Refused(405, f"{request.method} is not allowed: use GET or POST",
                              {"allow": ALLOWED_METHODS})  # fmt: skip
            response = await self._run(request, operation, allowed, media_type)
        except Refused as refused:
            response = _error_response(refused, media_type)
        if request.method == "HEAD":
            return Response(None, response.status_code, response.headers)
        return response

    async def _run(
        self,
        request: Request,
        operation: Operation,
        allowed: tuple[OperationType, ...],
        media_type: str,
    ) -> Response:
        caller: Caller = await self.authenticate(request)
        request_id = logs.request_id.get() or "-"
        if caller.auth_error is not None:
            outcome = Outcome(errors=[errors.unauthenticated(caller.auth_error)])
        else:

            def context(prefetch_viewer: bool) -> RequestContext:
                built: RequestContext = self.new_context(caller.subject, prefetch_viewer)
                return built

            try:
                outcome = await self.executor.run(
                    operation, context, signed_in=caller.subject is not None,
                    allowed=allowed, request_id=request_id, limiter=caller.limiter,
                    caller=caller.name,
                )  # fmt: skip
            except NotAllowed as refused:
                raise Refused(405, str(refused), {"allow": "POST"}) from None
        cost = outcome.cost()
        request.scope.setdefault("state", {})["cost"] = cost
        body: dict[str, Any] = {}
        if outcome.executed:
            body["data"] = outcome.data
        if outcome.errors:
            body["errors"] = [e.formatted for e in outcome.errors]
        if cost is not None and (self.cost_in_response or _asks_for_cost(request)):
            body["extensions"] = {"cost": cost}
        status, headers = 200, {}
        if media_type == GRAPHQL_RESPONSE and not outcome.executed:
            status = 400
            if caller.auth_error is not None:  # RFC 6750: an invalid bearer token
                status, headers = 401, {"www-authenticate": 'Bearer error="invalid_token"'}
        if outcome.retry_after is not None:
            # The caller's budget is spent: RFC 6585's status (under either media type, a
            # refusal of the request itself, as a proxy would give it), and when to retry.
            headers["retry-after"] = str(outcome.retry_after)
            if not outcome.executed:
                status = 429
        encoded = encode(body)
        if self.max_response_bytes is not None and payload_bytes(encoded) > self.max_response_bytes:
            encoded = encode(_too_large(body, self.max_response_bytes, request_id))
        return Response(encoded, status, headers, media_type=media_type)


def encode(body: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (no \\u escapes: a third of the bytes for non-Latin text), by
    orjson, compiled: the same bytes as json.dumps(ensure_ascii=False) for what GraphQL answers
    (tests/api/test_http.py), for a fraction of the CPU. What orjson declines (an integer past
    64 bits, from a custom scalar) goes through json."""
    try:
        return orjson.dumps(body)
    except orjson.JSONEncodeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def payload_bytes(encoded: bytes) -> int:
    """What the body weighs inside a Lambda function URL's response: the runtime (python3.13)
    escapes it again as a UTF-8 JSON string, doubling quotes and backslashes. At most twice
    the body, so only large bodies need counting exactly."""
    if len(encoded) * 2 < 1_000_000:
        return len(encoded) * 2
    return len(json.dumps(encoded.decode(), ensure_ascii=False).encode())


def _too_large(body: dict[str, Any], limit: float, request_id: str) -> dict[str, Any]:
    message = (
        f"The response would be larger than {limit:,.0f} bytes, the most a Lambda function URL"
        " returns: ask for fewer items (a smaller `first`) or fewer fields."
    )
    error = GraphQLError(message, extensions={"code": errors.RESPONSE_TOO_LARGE,
                                              "requestId": request_id})  # fmt: skip
    replaced: dict[str, Any] = {"data": None, "errors": [error.formatted]}
    if "extensions" in body:
        replaced["extensions"] = body["extensions"]
    return replaced


def _error_response(refused: Refused, media_type: str) -> Response:
    code = errors.TRANSPORT_CODES.get(refused.status, errors.BAD_REQUEST)
    return error_response(refused.status, str(refused), code, media_type, refused.headers)


def error_response(
    status: int,
    message: str,
    code: str,
    media_type: str,
    headers: dict[str, str] | None = None,
    request_id: str | None = None,
) -> Response:
    """A GraphQL response holding one request error (no `data`: nothing ran)."""
    extensions = {"code": code} if request_id is None else {"code": code, "requestId": request_id}
    error = GraphQLError(message, extensions=extensions)
    return Response(encode({"errors": [error.formatted]}), status, headers,
                    media_type=media_type)  # fmt: skip


def media_type_for(accept: str | None) -> str:
    """The response's media type for an error answered outside the endpoint (body too large,
    an unexpected failure): as negotiated, or application/json when nothing is acceptable."""
    try:
        return _negotiate(accept)
    except Refused:
        return JSON


def _asks_for_cost(request: Request) -> bool:
    return request.headers.get(COST_HEADER, "").lower() in ("1", "true", "yes")


def _negotiate(accept: str | None) -> str:
    """The response's media type from the Accept header: the highest q; on a tie, a type
    named explicitly over a wildcard, then the first listed. 406 when neither is acceptable."""
    if not accept:
        return JSON
    candidates: list[tuple[float, int, int, str]] = []
    for position, entry in enumerate(accept.split(",")):
        media, *params = (part.strip().lower() for part in entry.split(";"))
        choice = _MEDIA.get(media)
        q, charset = 1.0, "utf-8"
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            elif name.strip() == "charset":
                charset = value.strip().strip('"')
        if choice is not None and q > 0 and charset == "utf-8":
            candidates.append((q, int("*" not in media), -position, choice))
    if not candidates:
        raise Refused(406, f"cannot answer in {accept!r}: accept {GRAPHQL_RESPONSE} or {JSON}")
    return max(candidates)[3]


_MEDIA = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE, JSON: JSON, "application/*": JSON, "*/*": JSON}


def _from_query_string(request: Request) -> Operation:
    params = request.query_params
    query = params.get("query")
    if query is None:
        raise Refused(400, "a GraphQL GET request needs a `query` parameter")
    variables = _json_param(params.get("variables"), "variables")
    _json_param(params.get("extensions"), "extensions")
    return Operation(query, variables, params.get("operationName") or None)


def _json_param(raw: str | None, name: str) -> dict[str, Any] | None:
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, f"`{name}` is not valid JSON") from None
    if value is not None and not isinstance(value, dict):
        raise Refused(400, f"`{name}` must be a JSON object")
    return value


async def _from_body(request: Request) -> Operation:
    content_type = request.headers.get("content-type")
    if content_type is None:
        raise Refused(415, "a GraphQL POST request needs Content-Type: application/json")
    media, *params = (p.strip().lower() for p in content_type.split(";"))
    charsets = [p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")]
    if media != JSON or any(c != "utf-8" for c in charsets):
        raise Refused(415, f"unsupported Content-Type {content_type!r}: send application/json")
    raw = await request.body()
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        raise Refused(400, "the request body is not valid UTF-8") from None
    try:
        payload = json.loads(text)
    except RecursionError:
        raise Refused(400, "the request body is nested too deeply") from None
    except ValueError as error:
        # json's messages are safe to show ("Expecting value: line 1 column 1 (char 0)"),
        # and so is Python's refusal of over-long integers.
        raise Refused(400, f"the request body is not valid JSON: {error}") from None
    if isinstance(payload, list):
        raise Refused(400, "batched requests are not supported: send one operation per request")
    if not isinstance(payload, dict):
        raise Refused(400, "the request body must be a JSON object with a `query`")
    query = payload.get("query")
    if not isinstance(query, str):
        raise Refused(400, "`query` must be a string holding a GraphQL document")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise Refused(400, "`variables` must be an object")
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        raise Refused(400, "`operationName` must be a string")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise Refused(400, "`extensions` must be an object")
    return Operation(query, variables, name or None)
