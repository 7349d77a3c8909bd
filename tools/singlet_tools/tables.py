"""Tables from the table definition's one source, infra/template.yaml (local and test tables),
and model/table.json generated from it for the runtime (`python -m singlet_tools.tables`).

Local and test tables are created from the same CloudFormation resource that deploys the
real one, so the key schema and indexes exist in exactly one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from model.errors import StoreError
from model.shape import SHAPE_FILE

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "template.yaml"
TABLE_TYPE = "AWS::DynamoDB::Table"


class _TemplateLoader(yaml.SafeLoader):
    """A YAML loader that understands CloudFormation's short-form tags (!Ref, !Sub, ...)."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open() as f:
        template: dict[str, Any] = yaml.load(f, Loader=_TemplateLoader)
    return template


def table_resource(template: dict[str, Any]) -> dict[str, Any]:
    tables = [r for r in template["Resources"].values() if r.get("Type") == TABLE_TYPE]
    if len(tables) != 1:
        raise StoreError(f"expected one {TABLE_TYPE} in the template, found {len(tables)}")
    properties: dict[str, Any] = tables[0]["Properties"]
    return properties


def create_table_params(
    table_name: str, path: Path = TEMPLATE, stream: bool = False
) -> dict[str, Any]:
    """CreateTable parameters for `table_name`: keys and indexes as the template says, and
    its stream only when asked for: DynamoDB Local 1.25.1 answers Queries on stream-enabled
    tables several times slower once a large stream exists (measured: 102 ms against 32 ms
    for the same feed page), so local tables go without unless a test reads the stream."""
    props = table_resource(load_template(path))
    params: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props["BillingMode"],
    }
    if stream and props.get("StreamSpecification"):
        params["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    if props.get("GlobalSecondaryIndexes"):
        params["GlobalSecondaryIndexes"] = [
            {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")}
            for gsi in props["GlobalSecondaryIndexes"]
        ]
    return params


def table_definition(path: Path = TEMPLATE) -> dict[str, Any]:
    """The key schema and indexes as model/table.json holds them for the runtime (the Lambda
    artifact carries neither the template nor a YAML parser); a test checks that it matches."""
    props = table_resource(load_template(path))
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": [
            {k: gsi[k] for k in ("IndexName", "KeySchema", "Projection")}
            for gsi in props.get("GlobalSecondaryIndexes", ())
        ],
    }


def write_table_definition(path: Path = TEMPLATE) -> str:
    text = json.dumps(table_definition(path), indent=2) + "\n"
    SHAPE_FILE.write_text(text)
    return text


async def create_table(
    client: DynamoDBClient, table_name: str, path: Path = TEMPLATE, stream: bool = False
) -> bool:
    """Creates the table unless it exists; waits until it is ACTIVE. True if it was created."""
    created = True
    try:
        await client.create_table(**create_table_params(table_name, path, stream))
    except client.exceptions.ResourceInUseException:
        created = False
    for _ in range(600):
        description = await client.describe_table(TableName=table_name)
        if description["Table"]["TableStatus"] == "ACTIVE":
            return created
        await asyncio.sleep(0.1)
    raise StoreError(f"table {table_name} did not become ACTIVE")


async def delete_table(client: DynamoDBClient, table_name: str) -> None:
    with contextlib.suppress(client.exceptions.ResourceNotFoundException):
        await client.delete_table(TableName=table_name)


if __name__ == "__main__":
    write_table_definition()
    print(f"wrote {SHAPE_FILE.name} from {TEMPLATE.name}")
