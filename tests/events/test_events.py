"""changes/decode.py: which records are changes, of what, and why; migrations' rewrites told
from API writes; records that cannot be read refused as such."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from changes.decode import (
    INTERNAL,
    PART_OF_POST,
    PUBLIC,
    StreamRecord,
    Undecodable,
    change_of,
    rewritten_by,
)
from changes.events import normalize
from cost.buckets import MICROSECONDS, Rate, take
from model import keys
from model.attrs import marshal_item
from model.declarations import ENTITY, VERSION, Model
from model.entities import Bucket
from store import Store
from store.migrations import get
from store.migrations.runner import Runner
from tests.events.conftest import Tap, summary
from tests.store.conftest import legacy_posts


def test_every_entity_has_a_rule() -> None:
    """A new entity must be declared public, part of a post or internal (changes/decode.py)."""
    # The model's entities (tests declare models of their own, which the table never holds).
    declared = {m for m in Model.registry.values() if m.__module__.startswith("model.")}
    assert declared == PUBLIC | PART_OF_POST | INTERNAL
    assert len(PUBLIC) + len(PART_OF_POST) + len(INTERNAL) == len(declared)


def record(operation: str, old: dict[str, Any] | None, new: dict[str, Any] | None,
           moment: Any = 1_795_000_000.0) -> dict[str, Any]:  # fmt: skip
    """A stream record as Lambda delivers it."""
    item = new or old
    assert item is not None
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": moment,
        "Keys": marshal_item({"PK": item["PK"], "SK": item["SK"]}),
        "SequenceNumber": "000000000000000000042",
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        change["OldImage"] = marshal_item(old)
    if new is not None:
        change["NewImage"] = marshal_item(new)
    return {"eventID": "e-1", "eventName": operation, "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "dynamodb": change}  # fmt: skip


async def test_records_that_are_no_change_of_ours_are_refused(
    stream_store: Store, tap: Tap
) -> None:
    user = await stream_store.create_user("s-ada", "ada")
    (real,) = [r for r in await tap.records() if r["dynamodb"]["Keys"]["SK"]["S"] == "USER"]
    item = user.item()

    def broken(**changes: Any) -> dict[str, Any]:
        found = copy.deepcopy(real)
        for path, value in changes.items():
            if value is None:
                found["dynamodb"].pop(path, None)
            else:
                found["dynamodb"][path] = value
        return found

    gadget = marshal_item({**item, ENTITY: "Gadget"})
    no_name = marshal_item({k: v for k, v in item.items() if k != "username"})
    cases = {
        "not a record": {"hello": "world"},
        "no images (KEYS_ONLY)": broken(NewImage=None),
        "an entity nobody declared": broken(NewImage=gadget),
        "an attribute its version promises is missing": broken(NewImage=no_name),
        "a type DynamoDB has but the model does not": broken(NewImage={"x": {"B": "AAAA"}}),
        "no time": broken(ApproximateCreationDateTime=None),
    }
    assert {what for what, raw in cases.items() if refused(raw)} == set(cases)
    assert normalize(real) is not None


def refused(raw: dict[str, Any]) -> bool:
    try:
        normalize(raw)
    except Undecodable:
        return True
    return False


def test_an_item_that_changes_entity_is_refused() -> None:
    user = {"PK": "X#1", "SK": "USER", ENTITY: "User", VERSION: 1, "id": "1", "username": "a",
            "displayName": "a", "bio": "", "createdAt": "2026-01-01T00:00:00.000Z"}  # fmt: skip
    claim = {"PK": "X#1", "SK": "USER", ENTITY: "UsernameClaim", VERSION: 1, "username": "a",
             "userId": "1"}  # fmt: skip
    with pytest.raises(Undecodable, match="became"):
        change_of(StreamRecord.parse(record("MODIFY", user, claim)))


def test_both_record_shapes_give_the_same_time() -> None:
    user = {"PK": "X#1", "SK": "USER", ENTITY: "UsernameClaim", VERSION: 1, "username": "a",
            "userId": "1"}  # fmt: skip
    moment = datetime(2026, 11, 21, 12, 30, 5, tzinfo=UTC)
    from_lambda = StreamRecord.parse(record("INSERT", None, user, moment.timestamp()))
    from_get_records = StreamRecord.parse(record("INSERT", None, user, moment))
    assert from_lambda.time == from_get_records.time == moment


@pytest.mark.allow_scan
async def test_migration_rewrites_are_marked(stream_store: Store, tap: Tap) -> None:
    author = await stream_store.create_user("s-old", "old_timer")
    posts = await legacy_posts(stream_store, author, 3, tags=("Python", "web"), version=1)
    imported = await tap.events()
    created = [e for e in imported if e["entity"] == "Post"]
    assert [e["change"] for e in created] == ["created"] * 3
    # A head written before v4 holds the content: its shape does.
    assert {e["after"]["content"] for e in created} == {"c"}

    # 0001 fills `score` in, which readers already showed (a lazy default): nothing to tell.
    await Runner(stream_store.table, get("0001"), segments=1).run()
    records = await tap.records()
    assert [normalize(r) for r in records if r["eventName"] == "MODIFY"
            and r["dynamodb"]["Keys"]["SK"]["S"] == "#POST"] == [None] * 3  # fmt: skip

    # 0002 lower-cases tags: a change clients see, made by the migration, not by a user.
    await Runner(stream_store.table, get("0002"), segments=1).run()
    events = await tap.events()  # (its tag items moved too: internal)
    assert summary(events) == [("Post", "updated", ("tags",), "migration")] * 3
    assert {e["migration"] for e in events} == {"0002_lowercase_tags"}
    assert {tuple(e["after"]["tags"]) for e in events} == {("python", "web")}

    # 0003 moves the content from the head to a new body: the head's record shows nothing
    # changed. The body's looks like a first body written by the API (its item carries no
    # trace of the migration: docs/events.md); its content is the one the post already had.
    await Runner(stream_store.table, get("0003"), segments=1).run()
    events = await tap.events()
    assert summary(events) == [("Post", "updated", ("content",), "api")] * 3
    assert {e["after"]["content"] for e in events} == {"c"}

    # The API's next write to a migrated post is the API's.
    await stream_store.vote(author.id, posts[0].id, "UP")
    events = await tap.events()
    assert {e["cause"] for e in events} == {"api"}


def test_replay_matches_only_the_migrations_own_rewrite() -> None:
    post_id = keys.new_id()
    head = {"PK": f"POST#{post_id}", "SK": "#POST", ENTITY: "Post", VERSION: 2, "id": post_id,
            "tags": frozenset({"Web"}), "version": 3}  # fmt: skip
    rewrite = {**head, "tags": frozenset({"web"}), VERSION: 3}
    assert (migration := rewritten_by(type_of("Post"), head, rewrite)) is not None
    assert migration.id == "0002_lowercase_tags"
    # Anything else in the same write, and it is not the migration's doing.
    assert rewritten_by(type_of("Post"), head, {**rewrite, "title": "t"}) is None
    assert rewritten_by(type_of("Post"), head, {**rewrite, VERSION: 2}) is None
    assert rewritten_by(type_of("Post"), head, {**rewrite, "tags": frozenset({"x"})}) is None
    assert rewritten_by(type_of("User"), head, rewrite) is None


def type_of(entity: str) -> type[Model]:
    return Model.registry[entity]


async def test_a_callers_bucket_taking_budget_is_no_change(store: Store) -> None:
    """The rate limiter's takes are on the stream too: bookkeeping, never published."""
    await take(store.table, "ip:192.0.2.1", 5, Rate(20, 1), 1_800_000_000 * MICROSECONDS)
    key = Bucket.key_of(caller="ip:192.0.2.1")
    item = (await store.table.get_items([key], consistent=True))[key]
    assert change_of(StreamRecord.parse(record("INSERT", None, item))) is None
    assert change_of(StreamRecord.parse(record("REMOVE", item, None))) is None  # TTL
