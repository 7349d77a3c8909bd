"""GraphQL over HTTP (the spec's MUSTs and SHOULDs), and every client error answered as a
GraphQL error with a code and the request id: over HTTP and through the Lambda handler."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import httpx
import pytest
from singlet_tools.cors import cors_definition
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api import cors
from api.app import RequestContext, create_app
from api.http import encode
from api.settings import Settings
from tests.api.conftest import Api, Reply, serve_http

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


async def post(api: Api, body: bytes | str, accept: str | None = GRAPHQL_RESPONSE,
               content_type: str = JSON) -> Reply:  # fmt: skip
    headers = {"content-type": content_type}
    if accept is not None:
        headers["accept"] = accept
    raw = body.encode() if isinstance(body, str) else body
    return await api.request("POST", "/graphql", body=raw, headers=headers)


def error_of(reply: Reply) -> dict[str, Any]:
    """The reply is a GraphQL request error (no data) with a code; returns that error."""
    payload = reply.json()
    assert "data" not in payload, payload
    (error,) = payload["errors"]
    assert error["extensions"]["code"], error
    assert reply.headers["x-request-id"]
    return error  # type: ignore[no-any-return]


def query_body(query: str, **extra: Any) -> str:
    return json.dumps({"query": query, **extra})


# Bodies that are not GraphQL requests: 400, a code, the request id; never a 5xx.

BAD_BODIES = {
    "invalid UTF-8": b'{"query":"{ __typename \xff }"}',
    "a number": b"123",
    "a string": b'"x"',
    "null": b"null",
    "arrays 100,000 deep": b'{"query":"{ __typename }","variables":{"a":'
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}}",
    "a 5,000-digit integer": b'{"query":"query($n: Int) { posts(first: $n) { edges { cursor } } }",'
    b'"variables":{"n":' + b"9" * 5000 + b"}}",
    "not JSON": b"{query: posts}",
    "a batch": b'[{"query":"{ __typename }"}]',
    "no query": b'{"variables":{}}',
    "a query that is not a string": b'{"query":42}',
    "variables that are not an object": b'{"query":"{ __typename }","variables":[1]}',
}


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
@pytest.mark.parametrize("name", list(BAD_BODIES))
async def test_bodies_that_are_not_graphql_requests(api: Api, name: str, accept: str) -> None:
    reply = await post(api, BAD_BODIES[name], accept=accept)
    assert reply.status == 400, reply.body
    assert reply.headers["content-type"] == accept
    assert error_of(reply)["extensions"]["code"] == "BAD_REQUEST"


# Media types and status codes


async def test_accept_negotiation(api: Api) -> None:
    query = query_body("{ __typename }")
    for accept, expected in [
        (None, JSON),
        ("*/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.1, {JSON}", JSON),
        (f"{GRAPHQL_RESPONSE}, {JSON};q=0.9", GRAPHQL_RESPONSE),
    ]:
        reply = await post(api, query, accept=accept)
        assert reply.status == 200
        assert reply.headers["content-type"] == expected, accept
        assert reply.json() == {"data": {"__typename": "Query"}}
    refused = await post(api, query, accept="text/xml")
    assert refused.status == 406
    assert error_of(refused)["extensions"]["code"] == "NOT_ACCEPTABLE"


@pytest.mark.parametrize(
    ("query", "extra"),
    [
        ("{ posts { ", {}),  # syntax
        ("{ nope }", {}),  # validation: unknown field
        ("{ ...Missing }", {}),  # validation: undefined fragment
        ("fragment F on Query { ...F } { ...F }", {}),  # validation: a fragment cycle
        ("query A { __typename } query B { __typename }", {}),  # which one?
        ("query A { __typename }", {"operationName": "B"}),
        ("query($n: Int!) { posts(first: $n) { edges { cursor } } }", {"variables": {"n": 2**40}}),
        ("query($n: Int!) { posts(first: $n) { edges { cursor } } }", {}),
    ],
)
async def test_request_errors_are_400_under_the_new_media_type(
    api: Api, query: str, extra: dict[str, Any]
) -> None:
    body = query_body(query, **extra)
    reply = await post(api, body)
    assert reply.status == 400, reply.body
    assert reply.headers["content-type"] == GRAPHQL_RESPONSE
    error = error_of(reply)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"] != "'Missing'"  # the KeyError text it used to be
    legacy = await post(api, body, accept=JSON)  # application/json: a GraphQL response is 200
    assert legacy.status == 200
    assert legacy.json() == reply.json()


async def test_operation_name_chooses_among_several(api: Api) -> None:
    body = query_body("query A { a: __typename } query B { b: __typename }", operationName="B")
    reply = await post(api, body)
    assert reply.json() == {"data": {"b": "Query"}}


async def test_field_errors_are_200_with_data(api: Api) -> None:
    reply = await post(api, query_body("{ posts(first: 0) { edges { cursor } } viewer { id } }"))
    assert reply.status == 200
    payload = reply.json()
    assert payload["data"] is None  # posts is non-null
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["BAD_USER_INPUT"]


async def test_methods(api: Api) -> None:
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):  # OPTIONS: no CORS configured
        reply = await api.request(method, "/graphql", headers={"accept": GRAPHQL_RESPONSE})
        assert reply.status == 405
        assert reply.headers["allow"] == "GET, HEAD, POST"
        assert error_of(reply)["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    mutation = 'mutation { createUser(input: {username: "x_y"}) { id } }'
    reply = await api.request("GET", "/graphql", params={"query": mutation},
                              headers={"accept": GRAPHQL_RESPONSE})  # fmt: skip
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"


async def test_content_types(api: Api) -> None:
    body = query_body("{ __typename }")
    for content_type in ("text/plain", "application/graphql", f"{JSON}; charset=latin-1"):
        reply = await post(api, body, content_type=content_type)
        assert reply.status == 415, content_type
        assert error_of(reply)["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    ok = await post(api, body, content_type=f"{JSON}; charset=utf-8")
    assert ok.status == 200


async def test_head_answers_the_headers_of_get(api: Api) -> None:
    for headers, params in [
        ({"accept": "text/html"}, {}),  # GraphiQL
        ({"accept": GRAPHQL_RESPONSE}, {"query": "{ __typename }"}),
        ({"accept": GRAPHQL_RESPONSE}, {"query": "{ nope }"}),
    ]:
        get = await api.request("GET", "/graphql", headers=headers, params=params)
        head = await api.request("HEAD", "/graphql", headers=headers, params=params)
        assert head.status == get.status
        assert head.body == b""
        for name in ("content-type", "content-security-policy"):
            assert head.headers.get(name) == get.headers.get(name), name


# Failures of our own: a GraphQL error with the request id, never text/plain or a dropped
# connection. (The route below stands for any bug outside the resolvers.)


async def test_unhandled_errors_answer_a_graphql_500_with_the_request_id() -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug, with details no client should see")

    app = Starlette(routes=[Route("/graphql", broken, methods=["POST"])])
    app.add_middleware(RequestContext, max_body_bytes=1000)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        reply = await client.post("/graphql", content=b"{}",
                                  headers={"accept": GRAPHQL_RESPONSE})  # fmt: skip
    assert reply.status_code == 500
    assert reply.headers["content-type"] == GRAPHQL_RESPONSE
    (error,) = reply.json()["errors"]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": reply.headers["x-request-id"],
    }
    assert "bug" not in reply.text


# CORS: one set of rules, the function URL's (infra/template.yaml); the app applies them when
# it serves locally, and never on Lambda, where the function URL adds the headers itself.


FROM_AN_APP = {"origin": "https://app.example"}


def test_cors_rules_are_generated_from_the_template() -> None:
    generated = json.dumps(cors_definition(), indent=2) + "\n"
    assert generated == cors.CORS_FILE.read_text(), "run `make schema` and commit"


async def test_a_local_server_answers_preflights_as_the_function_url_would(
    settings: Settings,
) -> None:
    local = replace(settings, cors_origins=cors.default_origins())
    async with serve_http(create_app(local)) as api:
        asks = "authorization, content-type, x-singlet-cost"
        preflight = await api.request("OPTIONS", "/graphql", headers={
            **FROM_AN_APP, "access-control-request-method": "POST",
            "access-control-request-headers": asks})  # fmt: skip
        assert preflight.status == 200
        rules = cors.rules()
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert preflight.headers["access-control-allow-methods"] == ", ".join(rules["AllowMethods"])
        assert preflight.headers["access-control-max-age"] == str(rules["MaxAge"])
        reply = await api.request("POST", "/graphql", body=query_body("{ __typename }").encode(),
                                  headers={**FROM_AN_APP, "content-type": JSON})  # fmt: skip
        assert reply.json() == {"data": {"__typename": "Query"}}
        assert reply.headers["access-control-allow-origin"] == "*"
        assert reply.headers["access-control-expose-headers"] == "x-request-id"
        refused = await api.request("OPTIONS", "/graphql", headers={
            **FROM_AN_APP, "access-control-request-method": "DELETE"})  # fmt: skip
        assert refused.status == 400  # a method the function URL would not allow either


async def test_no_cors_headers_unless_configured(api: Api) -> None:
    reply = await api.request("POST", "/graphql", body=query_body("{ __typename }").encode(),
                              headers={**FROM_AN_APP, "content-type": JSON})  # fmt: skip
    assert reply.status == 200
    assert not [h for h in reply.headers if h.startswith("access-control-")]


def test_cors_origins_are_read_as_the_template_takes_them() -> None:
    env = {"JWT_SECRET": "x" * 32, "CORS_ALLOW_ORIGINS": "https://a.example, https://b.example"}
    assert Settings.from_env(env).cors_origins == ("https://a.example", "https://b.example")
    assert Settings.from_env({"JWT_SECRET": "x" * 32}).cors_origins == ()  # Lambda: none


@pytest.mark.parametrize(
    "body",
    [
        {"data": {"title": 'Привет, 世界 \u2028 "quoted" \\ / é', "n": -3, "x": 0.5}},
        {"data": {"big": 2**70, "title": "é"}},  # past orjson's 64 bits: json encodes it
        {"errors": [{"message": "m", "path": ["a", 0], "extensions": {"code": "C"}}]},
    ],
)
def test_responses_are_compact_utf8_json_as_json_dumps_writes_it(body: dict[str, Any]) -> None:
    expected = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert encode(body) == expected
