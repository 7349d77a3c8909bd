"""The template is the one definition of the table; the key model must agree with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from singlet_tools.tables import create_table, create_table_params, load_template, table_resource

from model import keys

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient


def test_cloudformation_tags_parse() -> None:
    template = load_template()
    props = table_resource(template)
    assert props["TableName"] == {"Fn::Sub": "singlet-${Stage}"}
    assert props["BillingMode"] == "PAY_PER_REQUEST"


def test_key_model_matches_template() -> None:
    params = create_table_params("x-table")
    assert tuple(k["AttributeName"] for k in params["KeySchema"]) == keys.TABLE.keys
    indexes = {
        i["IndexName"]: [k["AttributeName"] for k in i["KeySchema"]]
        for i in params["GlobalSecondaryIndexes"]
    }
    assert indexes == {i.name: list(i.keys) for i in keys.INDEXES}


async def test_table_created_from_template_and_idempotently(
    client: DynamoDBClient, table_name: str
) -> None:
    assert await create_table(client, table_name) is False  # exists: nothing to do
    table = (await client.describe_table(TableName=table_name))["Table"]
    assert {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])} == {
        "GSI1",
        "GSI2",
        "GSI3",
    }
    assert "StreamSpecification" not in table  # local tables: only when asked (see schema.py)


def test_the_stream_comes_from_the_template_when_asked_for() -> None:
    params = create_table_params("x-table", stream=True)
    assert params["StreamSpecification"] == {
        "StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}  # fmt: skip
