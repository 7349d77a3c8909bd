"""The API over real HTTP on a fresh table, with a signed-up member, for real clients to call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import Api, Member, make_token, serve_http

# The contract suite's Settings (DynamoDB Local, a table for this test alone), shared rather
# than copied so the clients meet the same configuration as the contract tests.
from tests.api.conftest import settings as settings


@dataclass
class Server:
    api: Api  # for the test's own reads: what the server holds, whatever a client saw
    url: str  # the GraphQL endpoint
    member: Member


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    async with serve_http(create_app(settings)) as api:
        assert api.base_url is not None
        token = make_token("auth0|client_member")
        result = await api.graphql(
            "mutation($u: String!) { createUser(input: {username: $u}) { id } }",
            {"u": "client_member"},
            token=token,
        )
        assert "errors" not in result, result
        member = Member("client_member", token, result["data"]["createUser"]["id"])
        yield Server(api, f"{api.base_url}/graphql", member)
