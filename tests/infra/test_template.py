"""The deployment template: least-privilege IAM that covers exactly what the store does."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from singlet_tools.tables import load_template

from store import (
    AllPosts,
    CommentsByPost,
    CommentsByUser,
    ListQuery,
    Post,
    PostIdsByTag,
    PostsByUser,
    Store,
    TopPostsByUser,
    User,
)
from store.pricing import unmetered

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

# TransactWriteItems has no IAM action of its own: each item in it needs its own action.
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _function() -> dict[str, Any]:
    resources = load_template()["Resources"]
    (function,) = (r for r in resources.values() if r["Type"] == "AWS::Serverless::Function")
    return dict(function["Properties"])


def _statements() -> list[dict[str, Any]]:
    return [s for policy in _function()["Policies"] for s in policy["Statement"]]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_scan_no_wildcard_actions_or_resources() -> None:
    for statement in _statements():
        assert statement["Effect"] == "Allow"
        for action in _as_list(statement["Action"]):
            assert action.startswith("dynamodb:")
            assert "*" not in action
            assert action != "dynamodb:Scan"
        for resource in _as_list(statement["Resource"]):
            text = str(resource)
            assert "*" not in text, text
            assert "Table" in text  # only the table and its indexes


def test_function_is_the_lambda_the_app_expects() -> None:
    function = _function()
    assert function["Handler"] == "api.handler.handler"
    assert function["Architectures"] == ["arm64"]
    assert function["Runtime"].startswith("python3.1")
    assert function["FunctionUrlConfig"]["AuthType"] == {"Ref": "FunctionUrlAuth"}
    env = function["Environment"]["Variables"]
    assert env["TABLE_NAME"] == {"Ref": "Table"}
    assert {"JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "CURSOR_SECRET"} <= set(env)


async def test_policy_grants_exactly_what_the_store_uses(
    store: Store, client: DynamoDBClient
) -> None:
    """Runs every store operation, records each request, and compares with the policy."""
    used: set[tuple[str, str | None]] = set()  # (IAM action, index or None for the table)

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if unmetered():
            return  # the test client's pricing reads (DynamoDB Local), not the store's
        if model.name == "TransactWriteItems":
            for item in params["TransactItems"]:
                used.update((TRANSACT_ACTIONS[kind], None) for kind in item)
        elif model.name in ("CreateTable", "DescribeTable", "DeleteTable"):
            return  # the test harness, not the API
        else:
            used.add((model.name, params.get("IndexName")))

    client.meta.events.register("provide-client-params.dynamodb", record)
    try:
        a = await store.create_user("s-a", "alice")
        b = await store.create_user("s-b", "bob")
        post, _ = await store.create_post(a.id, "t", "c", tags=("x",))
        await store.update_post(a.id, post.id, 1, title="u", content="new")
        await store.add_tag(a.id, post.id, "y")
        await store.remove_tag(a.id, post.id, "x")
        await store.vote(b.id, post.id, "UP")
        comment = await store.add_comment(b.id, post.id, "hi")
        await store.add_comment(b.id, post.id, "again")
        await store.delete_comment(b.id, post.id, comment.id)
        await store.user_by_username("alice")
        queries: list[ListQuery[Any]] = [PostsByUser(a.id), TopPostsByUser(a.id),
                                         CommentsByPost(post.id), CommentsByUser(b.id),
                                         AllPosts(), PostIdsByTag("y")]  # fmt: skip
        for query in queries:
            await store.page(query)
        await store.post_with_comments(post.id)
        await store.user_vote(post.id, b.id)
        await store.get_many([User.key_of(id=a.id), Post.key_of(id=post.id)])
        await store.delete_post(a.id, post.id, 4)  # update, add_tag, remove_tag: +3
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb", record)

    granted: set[tuple[str, str | None]] = set()
    for statement in _statements():
        for resource in _as_list(statement["Resource"]):
            index = None
            if isinstance(resource, dict) and "Fn::Sub" in resource:
                index = resource["Fn::Sub"].rsplit("/index/", 1)[1]
            for action in _as_list(statement["Action"]):
                granted.add((action.removeprefix("dynamodb:"), index))
    assert used == granted  # nothing missing, nothing extra
