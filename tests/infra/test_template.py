"""The deployment template: least-privilege IAM that covers exactly what the store does; the
function URL and SnapStart as each parameter value deploys them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from singlet_tools.tables import load_template

from api.settings import RATE_LIMIT_ANONYMOUS, RATE_LIMIT_SIGNED_IN, Settings
from cost.pricing import unmetered
from model import Post, User
from model.entities import Bucket
from store import (
    AllPosts,
    CommentsByPost,
    CommentsByUser,
    ListQuery,
    PostIdsByTag,
    PostsByUser,
    Store,
    TopPostsByUser,
)

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

# TransactWriteItems has no IAM action of its own: each item in it needs its own action.
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def _function_id(template: dict[str, Any]) -> str:
    resources = template["Resources"]
    names = [name for name, r in resources.items()
             if r["Type"] == "AWS::Serverless::Function"
             and r["Properties"]["Handler"] == "api.handler.handler"]  # fmt: skip
    assert len(names) == 1
    return str(names[0])


def _function() -> dict[str, Any]:
    template = load_template()
    return dict(template["Resources"][_function_id(template)]["Properties"])


def _resolve(value: Any, template: dict[str, Any], parameters: dict[str, str]) -> Any:
    """`value` as CloudFormation deploys it with these parameter values (the rest default):
    Ref to a parameter, Fn::Sub of parameters, Fn::Equals, Fn::If and conditions resolved."""
    values = {name: p.get("Default") for name, p in template["Parameters"].items()}
    values.update(parameters)

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if list(node) == ["Ref"] and node["Ref"] in values:
            return values[node["Ref"]]
        if list(node) == ["Fn::Sub"] and isinstance(node["Fn::Sub"], str):
            return re.sub(r"\$\{(\w+)\}", lambda m: str(values[m[1]]), node["Fn::Sub"])
        if list(node) == ["Fn::Equals"]:
            left, right = resolve(node["Fn::Equals"])
            return left == right
        if list(node) == ["Fn::If"]:
            condition, when_true, when_false = node["Fn::If"]
            return resolve(when_true if holds(condition) else when_false)
        return {key: resolve(item) for key, item in node.items()}

    def holds(condition: str) -> bool:
        return bool(resolve(template["Conditions"][condition]))

    return resolve(value)


def _holds(condition: str, template: dict[str, Any], parameters: dict[str, str]) -> bool:
    return bool(_resolve({"Fn::If": [condition, True, False]}, template, parameters))


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


def test_snapstart_is_a_parameter_off_by_default() -> None:
    parameter = load_template()["Parameters"]["SnapStart"]
    assert parameter["Default"] == "Disabled"
    assert set(parameter["AllowedValues"]) == {"Enabled", "Disabled"}


def test_snapstart_applies_to_published_versions_only_when_enabled() -> None:
    template, function = load_template(), _function()
    for value, apply_on in (("Enabled", "PublishedVersions"), ("Disabled", "None")):
        assert _resolve(function["SnapStart"], template, {"SnapStart": value}) == {
            "ApplyOn": apply_on
        }
    # SAM's version hash sees `!Ref SnapStart`, not its value: what differs between the two
    # values must be a property of the version itself (a change replaces the version).
    descriptions = {
        _resolve(function["VersionDescription"], template, {"SnapStart": value})
        for value in ("Enabled", "Disabled")
    }
    assert len(descriptions) == 2


def test_the_url_serves_the_published_alias() -> None:
    """SAM attaches FunctionUrlConfig to the AutoPublishAlias alias when there is one (the
    FunctionUrlConfig page of the SAM reference); the output is that URL."""
    template, function = load_template(), _function()
    assert function["AutoPublishAlias"] == "live"
    assert function["AutoPublishAliasAllProperties"] is True
    assert "FunctionUrlConfig" in function
    output = template["Outputs"]["FunctionUrl"]["Value"]
    assert output == {"Fn::GetAtt": ["FunctionUrl", "FunctionUrl"]}


def test_a_public_url_may_be_invoked_by_anyone_and_only_through_the_alias() -> None:
    """SAM adds these permissions only for a literal `AuthType: NONE`: without them a public
    URL answers 403. Since October 2025 a URL needs both actions."""
    template = load_template()
    # Each action, and what keeps it to calls through the public URL.
    limits = {
        "lambda:InvokeFunctionUrl": ("FunctionUrlAuthType", "NONE"),
        "lambda:InvokeFunction": ("InvokedViaFunctionUrl", True),
    }
    permissions = [r for r in template["Resources"].values()
                   if r["Type"] == "AWS::Lambda::Permission"]  # fmt: skip
    assert sorted(p["Properties"]["Action"] for p in permissions) == sorted(limits)
    for permission in permissions:
        properties = permission["Properties"]
        assert properties["FunctionName"] == {"Ref": f"{_function_id(template)}.Alias"}
        assert properties["Principal"] == "*"
        limit, value = limits[properties["Action"]]
        assert properties[limit] == value
        condition = permission["Condition"]
        assert _holds(condition, template, {"FunctionUrlAuth": "NONE"})
        assert not _holds(condition, template, {"FunctionUrlAuth": "AWS_IAM"})


# The stream function (docs/events.md).


def _stream_function() -> dict[str, Any]:
    resources = load_template()["Resources"]
    (function,) = [r["Properties"] for r in resources.values()
                   if r["Type"] == "AWS::Serverless::Function"
                   and r["Properties"]["Handler"] == "api.stream.handler"]  # fmt: skip
    return dict(function)


def test_the_stream_function_runs_the_api_artifact_with_a_role_of_its_own() -> None:
    stream, api = _stream_function(), _function()
    for key in ("CodeUri", "Runtime", "Architectures"):
        assert stream[key] == api[key]
    # Not a role SAM makes: given a DynamoDB event, SAM adds AWSLambdaDynamoDBExecutionRole
    # to it, which reads every stream in the account.
    assert stream["Role"] == {"Fn::GetAtt": ["StreamFunctionRole", "Arn"]}
    assert "Policies" not in stream


def test_the_stream_mapping_reports_partial_failures_and_keeps_order() -> None:
    (event,) = _stream_function()["Events"].values()
    properties = event["Properties"]
    assert event["Type"] == "DynamoDB"
    assert properties["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert properties["StartingPosition"] == "TRIM_HORIZON"
    assert properties["ParallelizationFactor"] == 1
    assert 60 <= properties["MaximumRecordAgeInSeconds"] < 24 * 3600  # within the retention
    failures = properties["DestinationConfig"]["OnFailure"]["Destination"]
    assert failures == {"Fn::GetAtt": ["StreamFailures", "Arn"]}


def test_the_stream_role_grants_exactly_what_the_stream_function_does() -> None:
    template = load_template()
    role = template["Resources"]["StreamFunctionRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    granted: dict[str, Any] = {}
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            for action in _as_list(statement["Action"]):
                assert action not in granted
                granted[action] = statement["Resource"]
    stream = {"Fn::GetAtt": ["Table", "StreamArn"]}
    log_group = {"Fn::GetAtt": ["StreamFunctionLogGroup", "Arn"]}
    bus = granted.pop("events:PutEvents")
    assert granted == {
        "dynamodb:DescribeStream": stream,
        "dynamodb:GetRecords": stream,
        "dynamodb:GetShardIterator": stream,
        "dynamodb:ListStreams": {"Fn::Sub": "${Table.Arn}/stream/*"},  # this table's only
        "sqs:SendMessage": {"Fn::GetAtt": ["StreamFailures", "Arn"]},
        "logs:CreateLogStream": log_group,
        "logs:PutLogEvents": log_group,
    }
    # PutEvents on the bus the function is told to use, and only on it.
    told = _stream_function()["Environment"]["Variables"]["EVENT_BUS_NAME"]
    own = {"EventBusName": ""}
    assert _resolve(told, template, own) == {"Ref": "EventBus"}
    assert _resolve(bus, template, own) == {"Fn::GetAtt": ["EventBus", "Arn"]}
    for name in ("default", "shared-bus"):
        given = {"EventBusName": name}
        assert _resolve(told, template, given) == name
        assert _resolve(bus, template, given).endswith(f":event-bus/{name}")


def test_the_stream_function_handler_is_there() -> None:
    from api.stream import StreamFunction, handler

    assert isinstance(handler, StreamFunction)


def test_rate_limits_are_parameters_with_the_apps_defaults() -> None:
    template = load_template()
    env = _function()["Environment"]["Variables"]
    for variable, parameter, default in (
        ("RATE_LIMIT_ANONYMOUS", "RateLimitAnonymous", RATE_LIMIT_ANONYMOUS),
        ("RATE_LIMIT_SIGNED_IN", "RateLimitSignedIn", RATE_LIMIT_SIGNED_IN),
    ):
        assert env[variable] == {"Ref": parameter}
        declared = template["Parameters"][parameter]
        assert declared["Default"] == default
        pattern = re.compile(declared["AllowedPattern"])
        for value in ("none", "200/10", "25.5/0.5"):
            assert pattern.fullmatch(value)
            Settings.from_env({"JWT_SECRET": "x" * 32, variable: value})  # the app takes it
        assert not pattern.fullmatch("200")


def test_callers_buckets_expire_by_the_tables_ttl() -> None:
    table = load_template()["Resources"]["Table"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": Bucket.expires.name,
                                                "Enabled": True}  # fmt: skip
