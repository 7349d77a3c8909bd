"""Real GraphQL clients against the API over HTTP, and the GraphQL-over-HTTP audit suite.

The clients people already point at this API must keep working: gql (Python), graphql-request
and Apollo Client (Node), each at a pinned version, each writing a post with a bearer token,
reading it back with variables, and seeing a field error and a request error as the error its
API promises, with our `extensions.code`. The Node packages live outside the tree
(`make clients` installs tests/clients/package-lock.json into the cache); without them these
tests fail rather than skip, as a skipped contract would stop guarding anything.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport

from api.http import GRAPHQL_RESPONSE, JSON
from tests.clients.conftest import Server

HERE = Path(__file__).parent
PINNED: dict[str, str] = json.loads((HERE / "package.json").read_text())["dependencies"]
NODE_TIMEOUT = 60  # seconds: each script takes well under 2 s; this only bounds a hang

# Non-ASCII, an astral character and a newline: what a client must carry through unchanged.
POST_INPUT = {
    "title": "Héllo from a client ✓",
    "content": "First line — ünïcödé 🚀\nsecond line",
    "tags": ["clients", "graphql"],
}
# The documents of tests/clients/common.mjs, as a Python client writes them.
CREATE_POST = """
  mutation CreatePost($input: CreatePostInput!) {
    createPost(input: $input) { id title content tags version author { username } }
  }"""
POST = """
  query Post($id: ID!) {
    post(id: $id) { id title content tags version author { username } }
  }"""
UPDATE_POST = """
  mutation UpdatePost($input: UpdatePostInput!) {
    updatePost(input: $input) { id version }
  }"""
INVALID = """
  query Post($id: ID!) {
    post(id: $id) { id noSuchField }
  }"""

# graphql-http 1.22.4's audits, all of which pass; a different count means the suite changed
# (or did not run), which this test should be made to notice.
AUDITS = 60
# Audits the server is allowed to answer with a warning: id -> why. Empty: it passes them all.
KNOWN_WARNINGS: dict[str, str] = {}


def clients_dir() -> Path:
    """Where `make clients` installs the Node clients: as the Makefile's CACHE_DIR."""
    configured = os.environ.get("SINGLET_CLIENTS_DIR")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "singlet" / "clients"


def installed_clients() -> Path:
    """The install, checked against package.json's pins: a stale install would test other
    versions than the ones this suite names, so it fails like a missing one."""
    if shutil.which("node") is None:
        pytest.fail("singlet: the client tests need Node.js: install Node.js and npm, then "
                    "run `make clients`", pytrace=False)  # fmt: skip
    where = clients_dir()
    wrong = []
    for name, version in PINNED.items():
        manifest = where / "node_modules" / name / "package.json"
        installed = json.loads(manifest.read_text())["version"] if manifest.exists() else None
        if installed != version:
            wrong.append(f"{name} {installed or 'missing'} (pinned: {version})")
    if wrong:
        pytest.fail(f"singlet: the GraphQL clients in {where} are not as tests/clients pins "
                    f"them: {', '.join(wrong)}: run `make clients`", pytrace=False)  # fmt: skip
    return where


async def run_node(script: str, *args: str) -> Any:
    """Runs one of the scripts here; returns the JSON it printed. Anything on stderr fails the
    test too: a client's warning (a missing field, a malformed response) is a broken contract
    that still produced a result."""
    where = installed_clients()
    process = await asyncio.create_subprocess_exec(
        "node", str(HERE / script), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "SINGLET_CLIENTS_DIR": str(where)},
    )  # fmt: skip
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), NODE_TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        pytest.fail(f"{script} did not finish in {NODE_TIMEOUT} s")
    assert process.returncode == 0, f"{script} exited {process.returncode}:\n{stderr.decode()}"
    assert not stderr, f"{script} wrote to stderr:\n{stderr.decode()}"
    return json.loads(stdout)


def without_typename(value: Any) -> Any:
    """Apollo adds __typename to every selection; the rest must equal what others read."""
    if isinstance(value, dict):
        return {k: without_typename(v) for k, v in value.items() if k != "__typename"}
    if isinstance(value, list):
        return [without_typename(v) for v in value]
    return value


async def stored_posts(server: Server) -> list[dict[str, Any]]:
    """Every post, read by the test itself rather than through the client under test."""
    result = await server.api.graphql(
        "{ posts(first: 10) { edges { node { id title content tags version"
        " author { username } } } } }"
    )
    assert "errors" not in result, result
    return [edge["node"] for edge in result["data"]["posts"]["edges"]]


async def assert_written_once(server: Server, post: dict[str, Any]) -> None:
    """The client's post is the only one (the refused writes wrote nothing), as it was sent."""
    assert await stored_posts(server) == [post]
    assert post["title"] == POST_INPUT["title"]
    assert post["content"] == POST_INPUT["content"]
    assert post["tags"] == POST_INPUT["tags"]
    assert post["version"] == 1  # the conflicting update did not apply
    assert post["author"] == {"username": server.member.username}


async def test_graphql_over_http_audit(server: Server) -> None:
    results = await run_node("audit.mjs", server.url)
    assert len(results) == AUDITS, [r["id"] for r in results]
    # Statuses are ok, warn, notice and error: anything but ok needs a reason given above.
    unexpected = {
        r["id"]: f"{r['status']}: {r['name']}: {r['reason']}"
        for r in results
        if r["status"] != "ok" and not (r["status"] == "warn" and r["id"] in KNOWN_WARNINGS)
    }
    assert not unexpected, json.dumps(unexpected, indent=2, ensure_ascii=False)
    # A known warning that now passes leaves the list, so the list stays the truth.
    warned = {r["id"] for r in results if r["status"] == "warn"}
    assert KNOWN_WARNINGS.keys() <= warned, KNOWN_WARNINGS.keys() - warned


async def test_graphql_request(server: Server) -> None:
    report = await run_node(
        "graphql_request.mjs", server.url, server.member.token, json.dumps(POST_INPUT)
    )
    created = report["created"]
    await assert_written_once(server, created)
    assert report["fetched"] == created
    assert report["anonymousRead"] == {"post": created, "status": 200}
    # Field errors: the operation ran, so 200 with data null; ClientError carries our codes.
    assert report["conflict"] == {
        "raised": True, "kind": "ClientError", "status": 200, "codes": ["CONFLICT"], "data": None
    }  # fmt: skip
    assert report["anonymousWrite"] == {
        "raised": True, "kind": "ClientError", "status": 200, "codes": ["UNAUTHENTICATED"],
        "data": None,
    }  # fmt: skip
    # A request error under application/graphql-response+json: 400, no data, still parsed.
    assert report["invalid"] == {
        "raised": True, "kind": "ClientError", "status": 400, "codes": ["BAD_USER_INPUT"],
        "data": None,
    }  # fmt: skip
    # It asks for the new media type first, and gets it; its `method: 'GET'` reads use GET,
    # and it still POSTs mutations.
    assert {e["contentType"] for e in report["exchanges"]} == {GRAPHQL_RESPONSE}
    methods = [e["method"] for e in report["exchanges"]]
    assert methods == ["POST", "POST", "GET", "POST", "POST", "POST"]


async def test_apollo_client(server: Server) -> None:
    report = await run_node("apollo.mjs", server.url, server.member.token, json.dumps(POST_INPUT))
    created = report["created"]
    assert created["__typename"] == "Post"
    assert created["author"]["__typename"] == "User"
    await assert_written_once(server, without_typename(created))
    assert report["fetched"] == created
    assert report["anonymousRead"] == created
    # Apollo 4 raises CombinedGraphQLErrors for GraphQL errors, whatever the status.
    assert report["conflict"] == {
        "raised": True, "kind": "CombinedGraphQLErrors", "codes": ["CONFLICT"], "data": None
    }  # fmt: skip
    assert report["anonymousWrite"] == {
        "raised": True, "kind": "CombinedGraphQLErrors", "codes": ["UNAUTHENTICATED"],
        "data": None,
    }  # fmt: skip
    assert report["invalid"] == {
        "raised": True, "kind": "CombinedGraphQLErrors", "codes": ["BAD_USER_INPUT"],
        "data": None,
    }  # fmt: skip
    exchanges = [(e["method"], e["status"], e["contentType"]) for e in report["exchanges"]]
    assert exchanges == [
        ("POST", 200, GRAPHQL_RESPONSE),  # createPost
        ("POST", 200, GRAPHQL_RESPONSE),  # post, network-only
        ("GET", 200, GRAPHQL_RESPONSE),  # post, useGETForQueries
        ("POST", 200, GRAPHQL_RESPONSE),  # updatePost: CONFLICT
        ("POST", 200, GRAPHQL_RESPONSE),  # createPost, anonymous: mutations never use GET
        ("POST", 400, GRAPHQL_RESPONSE),  # the invalid document
    ]


async def test_gql(server: Server) -> None:
    member = HTTPXAsyncTransport(
        url=server.url, headers={"authorization": f"Bearer {server.member.token}"}, timeout=30
    )
    # fetch_schema_from_transport: gql introspects first and validates locally, as its users
    # who want typed results do; the introspection query must pass the server's limits.
    client = Client(transport=member, fetch_schema_from_transport=True)
    async with client as session:
        create = GraphQLRequest(CREATE_POST, variable_values={"input": POST_INPUT})
        created = (await session.execute(create))["createPost"]
        fetched = await session.execute(GraphQLRequest(POST, variable_values={"id": created["id"]}))
        stale = {"id": created["id"], "expectedVersion": created["version"] + 1, "title": "no"}
        with pytest.raises(TransportQueryError) as conflict:
            await session.execute(GraphQLRequest(UPDATE_POST, variable_values={"input": stale}))
    assert client.schema is not None
    assert client.schema.get_type("Post") is not None
    await assert_written_once(server, created)
    assert fetched == {"post": created}
    assert conflict.value.data is None
    assert codes(conflict.value.errors) == ["CONFLICT"]

    # No schema here: gql would refuse the invalid document itself; the server must, in both
    # media types (the new one answers 400, which gql must still read as a GraphQL response).
    for accept in (f"{GRAPHQL_RESPONSE}, {JSON}", JSON):
        anonymous = HTTPXAsyncTransport(url=server.url, headers={"accept": accept}, timeout=30)
        async with Client(transport=anonymous) as session:
            with pytest.raises(TransportQueryError) as invalid:
                await session.execute(GraphQLRequest(INVALID, variable_values={"id": "x"}))
            with pytest.raises(TransportQueryError) as unauthenticated:
                await session.execute(
                    GraphQLRequest(CREATE_POST, variable_values={"input": POST_INPUT})
                )
        assert anonymous.response_headers is not None
        assert anonymous.response_headers["content-type"] == accept.split(",")[0]
        assert (invalid.value.data, codes(invalid.value.errors)) == (None, ["BAD_USER_INPUT"])
        assert codes(unauthenticated.value.errors) == ["UNAUTHENTICATED"]
    await assert_written_once(server, created)


def codes(errors: list[Any] | None) -> list[str]:
    return [error["extensions"]["code"] for error in errors or []]
