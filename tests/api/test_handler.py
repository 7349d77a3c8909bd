"""The Lambda handler specifics: function URL events, base64 bodies, warm containers."""

from __future__ import annotations

import json

from api.app import create_app
from api.settings import Settings
from tests.api.conftest import lambda_container


async def test_base64_bodies_and_lambda_request_ids(settings: Settings) -> None:
    with lambda_container(create_app(settings), base64_body=True) as api:
        result = await api.graphql("{ posts(first: 1) { edges { cursor } } }")
        assert result == {"data": {"posts": {"edges": []}}}
        reply = await api.request(
            "POST", "/graphql", body=json.dumps({"query": "{ viewer { id } }"}).encode(),
            headers={"content-type": "application/json"},
        )  # fmt: skip
        # The id of the Lambda invocation, so logs and the client can be matched.
        assert len(reply.headers["x-request-id"]) == 36


async def test_warm_invocations_reuse_one_client(settings: Settings) -> None:
    app = create_app(settings)
    with lambda_container(app) as api:
        assert app.state.resources.clients_created == 0  # nothing at init: no network
        for _ in range(3):
            result = await api.graphql("{ posts(first: 1) { edges { cursor } } }")
            assert "errors" not in result
        assert app.state.resources.clients_created == 1
