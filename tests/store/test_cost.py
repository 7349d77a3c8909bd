"""DynamoDB's billing rules (cost/billing.py): AWS's worked examples, then DynamoDB Local's own
figures for the same calls (it bills reads and non-transactional writes as AWS does, and
transactional writes at twice AWS's rate)."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, cast

import pytest
from singlet_tools.tables import table_definition, write_table_definition

from cost.billing import (
    EVENTUAL,
    STRONG,
    TRANSACTIONAL,
    batch_read_units,
    condition_check_units,
    item_size,
    number_size,
    query_read_units,
    read_units,
    value_size,
    write_units,
)
from cost.bounds import largest, largest_item
from cost.meter import meter_of
from model import AuthorLink, Comment, Post, PostBody, User, Vote, keys
from model.attrs import RawItem, marshal_item
from model.declarations import Attribute, Model
from model.limits import created_at
from model.shape import SHAPE_FILE, Index, Shape, load_shape
from model.templates import KeySpec, Segment, Template
from store.table import key_attributes

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

KB = 1024


# AWS's worked examples ("DynamoDB read and write operations", "Capacity management for
# transactions", "Working with items: conditional writes").


def test_reads_round_up_to_4_kb() -> None:
    # "reading a 3,500-byte item consumes the same throughput as reading a 4 KB item"
    assert read_units(3_500, STRONG) == 1
    assert read_units(3_500, EVENTUAL) == 0.5
    assert read_units(3_500, TRANSACTIONAL) == 2
    # "if your item size is 8 KB, you require 2 read units to sustain one strongly
    # consistent read, 1 if you choose eventually consistent reads, or 4 for transactional"
    assert (read_units(8 * KB, STRONG), read_units(8 * KB, EVENTUAL)) == (2, 1)
    assert read_units(8 * KB, TRANSACTIONAL) == 4
    # GetItem: "If you read a 10 KB item, DynamoDB rounds the item size to 12 KB."
    assert read_units(10 * KB, STRONG) == 3


def test_batch_get_rounds_each_item_and_query_rounds_the_sum() -> None:
    # "if BatchGetItem reads a 1.5 KB item and a 6.5 KB item, DynamoDB calculates the size
    # as 12 KB (4 KB + 8 KB), not 8 KB (1.5 KB + 6.5 KB)"
    assert batch_read_units([1536, 6656], STRONG) == 3
    # "suppose your query returns 10 items whose combined size is 40.8 KB. DynamoDB rounds
    # the item size for the operation to 44 KB"
    assert query_read_units([int(40.8 * KB / 10)] * 10, STRONG) == 11
    # "If a query returns 1500 items of 64 bytes each, the cumulative size is 96 KB."
    assert query_read_units([64] * 1500, STRONG) == 24


def test_writes_round_up_to_1_kb_and_transactions_double() -> None:
    one = Shape(Index(None, ("PK",)))
    small = {"PK": {"S": "p"}, "v": {"S": "x" * 496}}  # 500 bytes
    assert item_size(small) == 500
    assert write_units(one, None, small).total == 1
    big = {"PK": {"S": "p"}, "v": {"S": "x" * 1532}}  # 1.5 KB: "2 write units"
    assert write_units(one, None, big).total == 2
    # "each transaction writes three 500-byte items ... you would need to provision six WCUs"
    three = sum(write_units(one, None, small, transactional=True).total for _ in range(3))
    assert three == 6
    # Conditional writes bill the larger item: "if an existing item is 300kb and the new item
    # you are trying to create or update is 310kb, the write capacity units consumed will be
    # the 310kb item."
    old = {"PK": {"S": "p"}, "v": {"S": "x" * (300 * KB - 4)}}
    new = {"PK": {"S": "p"}, "v": {"S": "x" * (310 * KB - 4)}}
    assert write_units(one, old, new).total == 310


def test_item_sizes_by_type() -> None:
    assert value_size({"S": "abc"}) == 3
    assert value_size({"S": "é😀"}) == 6  # UTF-8 bytes
    assert value_size({"B": b"\x00\x01"}) == 2
    assert value_size({"BOOL": True}) == value_size({"NULL": True}) == 1
    assert value_size({"SS": ["ab", "cde"]}) == 5
    assert value_size({"L": []}) == value_size({"M": {}}) == 3
    assert value_size({"L": [{"S": "a"}, {"N": "1"}]}) == 3 + (1 + 1) + (1 + 2)
    assert value_size({"M": {"k": {"S": "ab"}}}) == 3 + 1 + 1 + 2
    assert item_size({"name": {"S": "ada"}, "n": {"N": "12"}}) == 4 + 3 + 1 + 2


@pytest.mark.parametrize(
    ("number", "size"),
    [
        ("0", 1), ("1", 2), ("100", 2), ("123", 3), ("12345", 4), ("1.5", 3), ("0.001", 2),
        ("123.4", 4), ("3.14159", 5), ("-1", 3), ("-123", 4), ("9" * 38, 20),
        ("-" + "9" * 38, 21), ("1E+10", 2),
    ],
)  # fmt: skip
def test_number_sizes_as_dynamodb_stores_them(number: str, size: int) -> None:
    assert number_size(number) == size


def test_index_writes() -> None:
    shape = Shape(
        Index(None, ("PK", "SK")),
        (
            Index("ALL", ("G", "S")),
            Index("KEYS", ("G", "S"), "KEYS_ONLY"),
            Index("INC", ("G", "S"), "INCLUDE", frozenset({"a"})),
        ),
    )
    keys_ = {"PK": {"S": "p"}, "SK": {"S": "s"}}
    item = {**keys_, "G": {"S": "g"}, "S": {"S": "1"}, "a": {"S": "x"}, "b": {"S": "y"}}
    entering = write_units(shape, None, item)
    assert entering.indexes == {"ALL": 1, "KEYS": 1, "INC": 1}
    # Changing an attribute only ALL projects costs nothing in KEYS and INC.
    other = write_units(shape, item, {**item, "b": {"S": "z"}})
    assert other.indexes == {"ALL": 1}
    # An index key changes: a delete and a put in every index.
    moved = write_units(shape, item, {**item, "S": {"S": "2"}})
    assert moved.indexes == {"ALL": 2, "KEYS": 2, "INC": 2}
    # Leaving (a key attribute removed), and never being in (sparse).
    leaving = write_units(shape, item, {k: v for k, v in item.items() if k != "S"})
    assert leaving.indexes == {"ALL": 1, "KEYS": 1, "INC": 1}
    assert write_units(shape, None, keys_).indexes == {}


def test_shape_is_the_templates() -> None:
    assert load_shape() == Shape.from_definition(table_definition())
    shape = load_shape()
    assert [i.name for i in shape.indexes] == [i.name for i in keys.INDEXES]
    assert [i.keys for i in shape.indexes] == [(i.pk, i.sk) for i in keys.INDEXES]


def test_table_json_is_generated_from_the_template() -> None:
    committed = SHAPE_FILE.read_text()
    try:
        assert write_table_definition() == committed, "run `make schema` and commit"
    finally:
        SHAPE_FILE.write_text(committed)


def test_largest_items_are_the_limits() -> None:
    body = largest_item(PostBody)
    assert len(body["content"]["S"]) == 50_000
    assert len(body["content"]["S"].encode()) == 4 * 50_000
    assert largest(PostBody) == item_size(body)
    assert largest(Post) < 4096  # a head, whatever the content: one read unit
    with pytest.raises(ValueError, match="never in"):
        largest(PostBody, keys.GSI2)
    assert largest(Comment, keys.GSI1) == item_size(largest_item(Comment))
    with pytest.raises(ValueError, match="never in"):
        largest(Vote, keys.GSI1)


# The same rules against DynamoDB Local's figures.


def _posts(count: int, seed: int) -> list[RawItem]:
    rng = random.Random(seed)
    items = []
    for _ in range(count):
        post_id = keys.new_id()
        stamp = created_at(post_id)
        post = Post(id=post_id, author_id=keys.new_id(), title="é" * rng.randrange(1, 200),
                    url="https://example.org/" + "u" * rng.randrange(0, 2000),
                    ups=rng.randrange(0, 5000), downs=rng.randrange(0, 99), version=1,
                    comment_count=0, created_at=stamp, updated_at=stamp,
                    score=rng.randrange(-50, 5000))  # fmt: skip
        items.append(marshal_item(post.item()))
    return items


def _units(consumed: Any) -> dict[str, float]:
    found = {"": consumed["Table"]["CapacityUnits"]}
    for name, index in consumed.get("GlobalSecondaryIndexes", {}).items():
        found[name] = index["CapacityUnits"]
    return found


def _model(units: Any) -> dict[str, float]:
    return {"": units.table, **units.indexes}


async def test_writes_cost_what_dynamodb_local_reports(
    client: DynamoDBClient, table_name: str
) -> None:
    shape = load_shape()
    for item in _posts(12, seed=1):
        put = await client.put_item(TableName=table_name, Item=item,
                                    ReturnConsumedCapacity="INDEXES")  # fmt: skip
        assert _units(put["ConsumedCapacity"]) == _model(write_units(shape, None, item))
        # A vote: counters and score change (GSI3's sort key: a delete and a put there).
        ups, score = Post.ups.name, Post.score.name
        after = {**item, ups: {"N": str(int(item[ups]["N"]) + 1)},
                 score: {"N": str(int(item[score]["N"]) + 1)}}  # fmt: skip
        update = await client.update_item(
            TableName=table_name, Key=_key(item),
            UpdateExpression=f"ADD {ups} :one, {score} :one",
            ExpressionAttributeValues={":one": {"N": "1"}}, ReturnConsumedCapacity="INDEXES",
        )  # fmt: skip
        assert _units(update["ConsumedCapacity"]) == _model(write_units(shape, item, after))
        delete = await client.delete_item(TableName=table_name, Key=_key(item),
                                          ReturnConsumedCapacity="INDEXES")  # fmt: skip
        assert _units(delete["ConsumedCapacity"]) == _model(write_units(shape, after, None))


async def test_transactional_writes_cost_twice_on_dynamodb_local(
    client: DynamoDBClient, table_name: str
) -> None:
    """What the meter corrects: Local bills a transactional write at 4 units per KB."""
    shape = load_shape()
    for item in _posts(6, seed=2):
        response = await client.transact_write_items(
            TransactItems=[{"Put": {"TableName": table_name, "Item": item}}],
            ReturnConsumedCapacity="INDEXES",
        )
        (consumed,) = response["ConsumedCapacity"]
        aws = _model(write_units(shape, None, item, transactional=True))
        assert _units(consumed) == {name: 2 * units for name, units in aws.items()}
    check = await client.transact_write_items(
        TransactItems=[{"ConditionCheck": {"TableName": table_name,
            "Key": key_attributes(Post.key_of(id=keys.new_id())),
            "ConditionExpression": "attribute_not_exists(PK)"}}],
        ReturnConsumedCapacity="TOTAL",
    )  # fmt: skip
    assert check["ConsumedCapacity"][0]["CapacityUnits"] == 2 * condition_check_units(None).total


async def test_reads_cost_what_dynamodb_local_reports(
    client: DynamoDBClient, table_name: str
) -> None:
    shape = load_shape()
    items = _posts(40, seed=3)
    author = keys.new_id()
    for item in items:
        link = AuthorLink(post_id=keys.new_id(), author_id=author).item()
        item.update({k: {"S": link[k]} for k in (keys.GSI1.pk, keys.GSI1.sk)})  # one list
        await client.put_item(TableName=table_name, Item=item)
    sizes = {item[keys.TABLE.pk]["S"]: item_size(item) for item in items}
    for consistent, rate in ((False, EVENTUAL), (True, STRONG)):
        batch = await client.batch_get_item(
            RequestItems={table_name: {"Keys": [_key(i) for i in items]
                                       + [key_attributes(Post.key_of(id=keys.new_id()))],
                                       "ConsistentRead": consistent}},
            ReturnConsumedCapacity="TOTAL",
        )  # fmt: skip
        expected = batch_read_units([*sizes.values(), None], rate)
        assert batch["ConsumedCapacity"][0]["CapacityUnits"] == expected
    for limit in (1, 7, 40):
        query = await client.query(
            TableName=table_name, IndexName=str(keys.GSI1.name),
            KeyConditionExpression=f"{keys.GSI1.pk} = :p",
            ExpressionAttributeValues={":p": items[0][keys.GSI1.pk]}, Limit=limit,
            ReturnConsumedCapacity="INDEXES",
        )  # fmt: skip
        entries = [shape.entry(keys.GSI1, cast(RawItem, i)) for i in query["Items"]]
        read = [item_size(e or {}) for e in entries]
        assert len(read) == limit
        consumed = query["ConsumedCapacity"]["GlobalSecondaryIndexes"][str(keys.GSI1.name)]
        assert consumed["CapacityUnits"] == query_read_units(read)
    comment_id = keys.new_id()
    comment = Comment(id=comment_id, post_id=keys.new_id(), author_id=keys.new_id(),
                      body="ü" * 9_000, created_at=created_at(comment_id))  # fmt: skip
    raw = marshal_item(comment.item())
    await client.put_item(TableName=table_name, Item=raw)
    got = await client.get_item(TableName=table_name, Key=_key(raw), ReturnConsumedCapacity="TOTAL")
    assert got["ConsumedCapacity"]["CapacityUnits"] == read_units(item_size(raw)) == 2.5


def _key(item: RawItem) -> Any:
    return {keys.TABLE.pk: item[keys.TABLE.pk], keys.TABLE.sk: item[keys.TABLE.sk]}


async def test_the_meter_prices_local_transactions_by_the_model(
    client: DynamoDBClient, table_name: str
) -> None:
    """DynamoDB Local's figure for a transaction of several items is not what AWS bills (not
    even twice it): the meter reports the model's, priced from the items written."""
    items = _posts(3, seed=4)
    with meter_of(client).listening() as usage:
        await client.transact_write_items(
            TransactItems=[{"Put": {"TableName": table_name, "Item": i}} for i in items]
        )
    (call,) = usage.calls
    aws = sum(write_units(load_shape(), None, i, transactional=True).total for i in items)
    assert call.write_units == aws
    assert call.as_reported not in (aws, 2 * aws)


def test_every_priced_entity_declares_its_largest_values() -> None:
    """A new attribute cannot be forgotten by the worst case: each entity of the model's
    declares its attributes' largest values, or says it is never priced."""
    entities = [m for m in Model.registry.values() if m.__module__ == "model.entities"]
    assert {User, Post, PostBody, Comment, Vote} <= set(entities)  # the filter finds them
    for entity in entities:
        if entity.bounded:
            assert item_size(largest_item(entity)) > 0  # largest() raises for any missing


def test_an_attribute_without_its_largest_value_fails_the_worst_case() -> None:
    class Draft(Model):
        entity = "Draft"
        key = KeySpec(Template("DRAFT#{id}", id=Segment(str)), Template("DRAFT"))

        id: Attribute[str] = Attribute(largest="0" * 26)
        notes: Attribute[str] = Attribute()

    try:
        with pytest.raises(TypeError, match="Draft: notes declare no largest value"):
            largest_item(Draft)
    finally:
        del Model.registry["Draft"]
