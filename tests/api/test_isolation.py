"""One field's failure is that field's alone: the reproducers of issue 10, signed in and not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import Api, error_codes
from tests.api.test_contract import create_post

SIGNED_IN = pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])


@SIGNED_IN
async def test_a_refused_list_fails_only_its_own_field(
    api: Api, signup: Any, signed_in: bool
) -> None:
    ada = await signup("ada")
    post = await create_post(api, ada, "hello")
    token = ada.token if signed_in else None
    query = """query($p: ID!) {
      post(id: $p) { title author { bio } comments(first: 0) { pageInfo { hasNextPage } } }
      viewer { username }
    }"""
    for _ in range(5):  # it used to depend on timing
        result = await api.graphql(query, {"p": post["id"]}, token=token)
        assert error_codes(result) == ["BAD_USER_INPUT"], result
        assert result["errors"][0]["path"] == ["post", "comments"]
        assert result["data"] == {
            "post": None,  # comments is non-null: its error nulls the post
            "viewer": {"username": "ada"} if signed_in else None,
        }


@SIGNED_IN
async def test_lists_sharing_a_batch_fail_one_by_one(
    api: Api, signup: Any, signed_in: bool
) -> None:
    ada = await signup("ada")
    await create_post(api, ada, "hello")
    query = """{
      a: user(username: "ada") { posts(first: 5) { edges { node { title } } } }
      b: user(username: "ada") { comments(first: 0) { edges { node { id } } } }
    }"""
    result = await api.graphql(query, token=ada.token if signed_in else None)
    assert result["data"]["a"] == {"posts": {"edges": [{"node": {"title": "hello"}}]}}
    assert result["data"]["b"] is None
    (error,) = result["errors"]
    assert error["path"] == ["b", "comments"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
