"""Migrations against DynamoDB Local: plan, run, order, concurrency, throttling, kill/resume."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aiobotocore.session import get_session

from store import Store, Table, keys
from store.attrs import unmarshal_item
from store.client import LOCAL_CREDENTIALS
from store.migrations import get
from store.migrations.runner import AlreadyApplied, MigrationError, Runner, status
from store.schema import create_table, delete_table
from tests.faults import Throttled
from tests.store.conftest import MakeUser, legacy_posts
from tests.store.test_writes import _all_items

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

pytestmark = pytest.mark.allow_scan  # migrations are the one place that Scans

SCORE, TAGS = get("0001"), get("0002")


async def test_plan_is_a_dry_run(
    store: Store, make_user: MakeUser, client: DynamoDBClient, table_name: str
) -> None:
    author = await make_user()
    await legacy_posts(store, author, 40)
    before = await _all_items(client, table_name)
    plan = await Runner(store.table, SCORE, segments=3).plan(samples=2)
    assert plan.by_entity == {"Post": 40}
    assert len(plan.samples) == 2
    for old, new in plan.samples:
        assert "score" not in old
        assert new["score"] == old["ups"] - old["downs"]
        assert new["schemaVersion"] == 2
    assert await _all_items(client, table_name) == before  # wrote nothing


async def test_backfill_serves_the_new_access_pattern(store: Store, make_user: MakeUser) -> None:
    author = await make_user()
    posts = await legacy_posts(store, author, 30)
    fresh = await store.create_post(author.id, "written by today's API", "c")  # has a score
    assert [p.id for p in (await store.top_posts_by_user(author.id)).items] == [fresh.id]
    counts = await Runner(store.table, SCORE, segments=4).run()
    assert (counts.migrated, counts.current, counts.skipped, counts.failed) == (30, 1, 0, 0)
    top = await store.top_posts_by_user(author.id, first=100)
    expected = sorted([*posts, fresh], key=lambda p: p.ups - p.downs, reverse=True)
    assert [p.ups - p.downs for p in top.items] == [p.ups - p.downs for p in expected]
    assert {p.id for p in top.items} == {p.id for p in expected}
    with pytest.raises(AlreadyApplied):  # a re-run is a no-op
        await Runner(store.table, SCORE).run()
    assert [row["status"] for row in await status(store.table)] == ["applied", "pending"]


async def test_migrations_apply_in_order(store: Store) -> None:
    with pytest.raises(MigrationError, match="apply 0001_post_score first"):
        await Runner(store.table, TAGS).run()


async def test_tags_reshape_moves_tag_items_and_merges_duplicates(
    store: Store, make_user: MakeUser
) -> None:
    author = await make_user()
    mixed = await legacy_posts(store, author, 5, tags=("Python", "python", "AWS"), version=2)
    bad = await legacy_posts(store, author, 1, tags=("Not Valid",), version=2)
    await Runner(store.table, SCORE).run()
    assert (await store.post_ids_by_tag("aws")).items == []  # "AWS" was unreachable
    counts = await Runner(store.table, TAGS).run()
    assert (counts.migrated, counts.failed) == (5, 1)
    for post in mixed:
        fetched = await store.get(keys.post_key(post.id), consistent=True)
        assert fetched.tags == ("aws", "python")
        items, _ = await store.table.query(keys.TABLE, keys.post_partition(post.id), limit=50,
                                           consistent=True)  # fmt: skip
        assert sorted(i["SK"] for i in items if i["SK"].startswith("TAG#")) == [
            "TAG#aws", "TAG#python"]  # fmt: skip
    by_tag = await store.post_ids_by_tag("aws", first=100)
    assert sorted(by_tag.items) == sorted(p.id for p in mixed)
    assert await store.remove_tag(author.id, mixed[0].id, "aws")  # the API can reach it now
    # The item lower case cannot fix is left, and the migration is not marked applied.
    assert (await store.get(keys.post_key(bad[0].id), consistent=True)).tags == ("Not Valid",)
    assert [row["status"] for row in await status(store.table)] == ["applied", "incomplete"]


async def test_concurrent_api_writes_are_never_overwritten(
    store: Store, make_user: MakeUser
) -> None:
    author = await make_user()
    voters = [await make_user() for _ in range(15)]
    posts = await legacy_posts(store, author, 1_500)
    rng = random.Random(5)
    targets = rng.sample(posts, 120)

    async def api_traffic() -> Counter[str]:
        done: Counter[str] = Counter()
        for post in targets:
            voter = rng.choice(voters)
            await store.vote(voter.id, post.id, rng.choice(["UP", "DOWN"]))
            await store.update_post(author.id, post.id, 1, title=f"edited {post.id}")
            await store.add_comment(voter.id, post.id, "during the migration")
            done["writes"] += 3
        return done

    runner = Runner(store.table, SCORE, segments=4, page_size=50)
    counts, traffic = await asyncio.gather(runner.run(), api_traffic())
    assert traffic["writes"] == 360
    assert counts.failed == 0
    if counts.skipped:  # left for a re-run, never half-done
        counts = await Runner(store.table, SCORE).run()
    for post in targets:
        fetched = await store.get(keys.post_key(post.id), consistent=True)
        votes = await _votes(store, post.id)
        assert fetched.title == f"edited {post.id}"
        assert fetched.comment_count == 1
        assert fetched.version == 2
        assert fetched.ups == post.ups + sum(v == "UP" for v in votes)
        assert fetched.downs == post.downs + sum(v == "DOWN" for v in votes)
        assert fetched.score == fetched.ups - fetched.downs
    top = await store.top_posts_by_user(author.id, first=100)
    scores = [p.score for p in top.items]
    assert scores == sorted(scores, reverse=True)


async def _votes(store: Store, post_id: str) -> list[str]:
    items, _ = await store.table.query(keys.TABLE, keys.post_partition(post_id), limit=100,
                                       consistent=True)  # fmt: skip
    return [i["direction"] for i in items if i["SK"].startswith("VOTE#")]


async def test_throttled_writes_are_retried(
    store: Store, make_user: MakeUser, client: DynamoDBClient
) -> None:
    author = await make_user()
    await legacy_posts(store, author, 20)
    with Throttled(client, "UpdateItem", times=5), Throttled(client, "Scan", times=2):
        counts = await Runner(store.table, SCORE, segments=2).run()
    assert (counts.migrated, counts.failed, counts.skipped) == (20, 0, 0)


@pytest.fixture
async def streamed_store(client: DynamoDBClient) -> AsyncIterator[Store]:
    """A fresh table with the template's stream: the record of every write."""
    name = f"test-stream-{uuid.uuid4().hex[:8]}"
    await create_table(client, name, stream=True)
    yield Store(Table(client, name))
    await delete_table(client, name)


async def test_a_killed_run_resumes_and_migrates_every_item_exactly_once(
    streamed_store: Store,
    client: DynamoDBClient,
    dynamodb_endpoint: str,
    tmp_path: Path,
) -> None:
    store, table_name = streamed_store, streamed_store.table.name
    author = await store.create_user("kill-test", "kill_test")
    posts = await legacy_posts(store, author, 10_500)
    env = {**os.environ, "DYNAMODB_ENDPOINT_URL": dynamodb_endpoint, "TABLE_NAME": table_name,
           "JWT_SECRET": "migration-test-secret-of-32-bytes"}  # fmt: skip
    command = [str(Path(sys.executable).parent / "singlet"), "migrate", "run", "0001",
               "--segments", "4"]  # fmt: skip
    log = (tmp_path / "first.log").open("w")
    first = await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)
    runner = Runner(store.table, SCORE)
    deadline = time.monotonic() + 120
    while True:  # a real kill, part-way: once the checkpoints show some progress
        rows = await status(store.table)
        if rows[0].get("scanned", 0) >= 2_000:
            break
        assert first.returncode is None, (tmp_path / "first.log").read_text()
        assert time.monotonic() < deadline
        await asyncio.sleep(0.5)  # polling less often leaves DynamoDB Local to the runner
    first.send_signal(signal.SIGKILL)
    await first.wait()
    log.close()
    assert (await runner.record() or {})["status"] == "running"
    migrated_before = await _count_at(store, posts, 2)
    assert 0 < migrated_before < len(posts)

    second = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await second.communicate()
    assert second.returncode == 0, err.decode()
    assert "failed 0" in out.decode()
    assert (await runner.record() or {})["status"] == "applied"
    assert await _count_at(store, posts, 2) == len(posts)
    # The table's stream holds every write: each post went from version 1 to 2 exactly once.
    moves = await _version_moves(client, table_name, dynamodb_endpoint)
    assert set(moves) == {keys.post_key(p.id).pk for p in posts}
    assert set(moves.values()) == {1}


async def _count_at(store: Store, posts: list[Any], version: int) -> int:
    found = await store.table.get_items([keys.post_key(p.id) for p in posts], consistent=True)
    return sum(1 for item in found.values() if item["schemaVersion"] == version)


async def _version_moves(client: DynamoDBClient, table: str, endpoint: str) -> Counter[str]:
    """Per post partition, how many stream records show its version going from 1 to 2."""
    arn = (await client.describe_table(TableName=table))["Table"]["LatestStreamArn"]
    moves: Counter[str] = Counter()
    async with get_session().create_client(
        "dynamodbstreams", region_name="us-east-1", endpoint_url=endpoint, **LOCAL_CREDENTIALS
    ) as streams:
        shards = (await streams.describe_stream(StreamArn=arn))["StreamDescription"]["Shards"]
        for shard in shards:
            iterator = (await streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON",
            ))["ShardIterator"]  # fmt: skip
            while iterator:
                page = await streams.get_records(ShardIterator=iterator, Limit=1000)
                for record in page["Records"]:
                    change = record["dynamodb"]
                    old = unmarshal_item(change.get("OldImage", {}))
                    new = unmarshal_item(change.get("NewImage", {}))
                    if old.get("schemaVersion") == 1 and new.get("schemaVersion") == 2:
                        moves[new["PK"]] += 1
                if not page["Records"]:
                    break
                iterator = page.get("NextShardIterator")
    return moves
