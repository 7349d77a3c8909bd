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
from singlet_tools.tables import create_table, delete_table

from model import AuthorLink, Post, PostBody, TagLink, Vote, keys
from model.attrs import unmarshal_item
from model.declarations import ENTITY, VERSION
from model.entities import POST_PARTITION
from store import CommentsByPost, PostIdsByTag, PostsByUser, Store, Table, TopPostsByUser
from store.client import LOCAL_CREDENTIALS, open_client
from store.migrations import get
from store.migrations.runner import AlreadyApplied, MigrationError, Runner, status
from tests.conftest import REGION
from tests.faults import Throttled
from tests.store.conftest import MakeUser, legacy_posts
from tests.store.test_writes import _all_items

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

pytestmark = pytest.mark.allow_scan  # migrations are the one place that Scans

SCORE, TAGS, BODIES = get("0001"), get("0002"), get("0003")


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
        assert Post.score.name not in old
        assert new[Post.score.name] == old[Post.ups.name] - old[Post.downs.name]
        assert new[VERSION] == 2
    assert await _all_items(client, table_name) == before  # wrote nothing


async def test_backfill_serves_the_new_access_pattern(store: Store, make_user: MakeUser) -> None:
    author = await make_user()
    posts = await legacy_posts(store, author, 30)
    fresh, _ = await store.create_post(author.id, "written by today's API", "c")  # has a score
    assert [p.id for p in (await store.page(TopPostsByUser(author.id))).items] == [fresh.id]
    counts = await Runner(store.table, SCORE, segments=4).run()
    assert (counts.migrated, counts.current, counts.skipped, counts.failed) == (30, 1, 0, 0)
    top = await store.page(TopPostsByUser(author.id, first=100))
    expected = sorted([*posts, fresh], key=lambda p: p.ups - p.downs, reverse=True)
    assert [p.ups - p.downs for p in top.items] == [p.ups - p.downs for p in expected]
    assert {p.id for p in top.items} == {p.id for p in expected}
    with pytest.raises(AlreadyApplied):  # a re-run is a no-op
        await Runner(store.table, SCORE).run()
    assert [row["status"] for row in await status(store.table)] == [
        "applied", "pending", "pending"]  # fmt: skip


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
    assert (await store.page(PostIdsByTag("aws"))).items == []  # "AWS" was unreachable
    counts = await Runner(store.table, TAGS).run()
    assert (counts.migrated, counts.failed) == (5, 1)
    for post in mixed:
        assert (await _head(store, post.id)).tags == ("aws", "python")
        items = await _collection(store, post.id)
        assert sorted(i[TagLink.tag.name] for i in items if i[ENTITY] == TagLink.entity) == [
            "aws", "python"]  # fmt: skip
    by_tag = await store.page(PostIdsByTag("aws", first=100))
    assert sorted(by_tag.items) == sorted(p.id for p in mixed)
    assert await store.remove_tag(author.id, mixed[0].id, "aws")  # the API can reach it now
    # The item lower case cannot fix is left, and the migration is not marked applied.
    assert (await _head(store, bad[0].id)).tags == ("Not Valid",)
    assert [row["status"] for row in await status(store.table)] == [
        "applied", "incomplete", "pending"]  # fmt: skip


async def test_post_bodies_split_old_posts_and_readers_understand_both_shapes(
    store: Store, make_user: MakeUser
) -> None:
    author, voter = await make_user(), await make_user()
    old = await legacy_posts(store, author, 6, version=3)
    fresh, _ = await store.create_post(author.id, "written by today's API", "new shape")
    # Before the move: an old head still shows its content, and is listed by itself.
    post, body, _ = await store.post_with_comments(old[0].id)
    assert (post and post.content, body) == ("c", None)
    listed = (await store.page(PostsByUser(author.id, first=100))).items
    assert sorted(listed) == sorted([*(p.id for p in old), fresh.id])
    for earlier in (SCORE, TAGS):
        await Runner(store.table, earlier).run()
    counts = await Runner(store.table, BODIES, segments=3).run()
    assert (counts.migrated, counts.current, counts.failed, counts.skipped) == (6, 1, 0, 0)
    for legacy in old:
        items = await _collection(store, legacy.id)
        by_entity = {i[ENTITY]: i for i in items}
        assert set(by_entity) == {Post.entity, PostBody.entity, AuthorLink.entity}
        assert Post.content.name not in by_entity[Post.entity]
        assert keys.GSI1.sk not in by_entity[Post.entity]  # out of GSI1: its link lists it
        assert by_entity[PostBody.entity][PostBody.content.name] == "c"
        post, body, _ = await store.post_with_comments(legacy.id)
        assert (post and post.content, body and body.content) == (None, "c")
    listed = (await store.page(PostsByUser(author.id, first=100))).items
    assert sorted(listed) == sorted([*(p.id for p in old), fresh.id])  # once each
    await store.vote(voter.id, old[0].id, "UP")  # the API writes the new shape's head
    assert (await _head(store, old[0].id)).ups == old[0].ups + 1
    with pytest.raises(AlreadyApplied):
        await Runner(store.table, BODIES).run()


async def test_post_bodies_under_concurrent_api_writes_lose_nothing(
    store: Store, make_user: MakeUser
) -> None:
    author = await make_user()
    voters = [await make_user() for _ in range(10)]
    posts = await legacy_posts(store, author, 600, version=3)
    for earlier in (SCORE, TAGS):
        await Runner(store.table, earlier).run()
    rng = random.Random(7)
    targets = rng.sample(posts, 60)

    async def api_traffic() -> int:
        writes = 0
        for n, post in enumerate(targets):
            await store.vote(rng.choice(voters).id, post.id, "UP")
            if n % 2:  # half edit the content, half only the title
                await store.update_post(author.id, post.id, 1, content=f"edited {post.id}")
            else:
                await store.update_post(author.id, post.id, 1, title=f"edited {post.id}")
            await store.add_comment(rng.choice(voters).id, post.id, "during the move")
            writes += 3
        return writes

    runner = Runner(store.table, BODIES, segments=4, page_size=50)
    counts, writes = await asyncio.gather(runner.run(), api_traffic())
    assert (writes, counts.failed) == (180, 0)
    if counts.skipped:  # left for a re-run, never half-done
        counts = await Runner(store.table, BODIES).run()
    for n, post in enumerate(targets):
        head = await _head(store, post.id)
        assert (head.ups, head.comment_count, head.version) == (post.ups + 1, 1, 2)
        assert head.content is None
        body = await store.get(PostBody.key_of(post_id=post.id), consistent=True)
        assert body is not None
        assert body.content == (f"edited {post.id}" if n % 2 else "c")
        assert head.title == (post.title if n % 2 else f"edited {post.id}")
        comments = await store.page(CommentsByPost(post.id))
        assert len(comments.items) == 1
    listed = await store.page(PostsByUser(author.id, first=100))
    assert len(set(listed.items)) == len(listed.items) == 100


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
        fetched = await _head(store, post.id)
        votes = await _votes(store, post.id)
        assert fetched.title == f"edited {post.id}"
        assert fetched.comment_count == 1
        assert fetched.version == 2
        assert fetched.ups == post.ups + sum(v == "UP" for v in votes)
        assert fetched.downs == post.downs + sum(v == "DOWN" for v in votes)
        assert fetched.score == fetched.ups - fetched.downs
    top = await store.page(TopPostsByUser(author.id, first=100))
    scores = [p.score for p in top.items]
    assert scores == sorted(scores, reverse=True)


async def _collection(store: Store, post_id: str) -> list[dict[str, Any]]:
    items, _ = await store.table.query(keys.TABLE, POST_PARTITION.build(post_id=post_id),
                                       limit=1000, consistent=True)  # fmt: skip
    return items


async def _votes(store: Store, post_id: str) -> list[str]:
    items = await _collection(store, post_id)
    return [i[Vote.direction.name] for i in items if i[ENTITY] == Vote.entity]


async def _head(store: Store, post_id: str) -> Post:
    post = await store.get(Post.key_of(id=post_id), consistent=True)
    assert post is not None
    return post


async def test_throttled_writes_are_retried(
    store: Store, make_user: MakeUser, client: DynamoDBClient
) -> None:
    author = await make_user()
    await legacy_posts(store, author, 20)
    with Throttled(client, "UpdateItem", times=5), Throttled(client, "Scan", times=2):
        counts = await Runner(store.table, SCORE, segments=2).run()
    assert (counts.migrated, counts.failed, counts.skipped) == (20, 0, 0)


@pytest.fixture
async def streamed_store(own_dynamodb: str) -> AsyncIterator[Store]:
    """A table with the template's stream (the record of every write), on a DynamoDB Local
    of its own: Local slows down for good once a large stream has existed, even after its
    table is deleted, and these tests write tens of thousands of stream records."""
    client = await open_client(REGION, own_dynamodb)
    name = f"test-stream-{uuid.uuid4().hex[:8]}"
    await create_table(client, name, stream=True)
    yield Store(Table(client, name))
    await delete_table(client, name)
    await client.close()


@pytest.mark.parametrize(
    ("migration", "posts_count", "kill_at"), [(SCORE, 10_500, 2_000), (BODIES, 3_000, 600)]
)
async def test_a_killed_run_resumes_and_migrates_every_item_exactly_once(
    streamed_store: Store,
    own_dynamodb: str,
    tmp_path: Path,
    migration: Any,
    posts_count: int,
    kill_at: int,
) -> None:
    store, table_name = streamed_store, streamed_store.table.name
    author = await store.create_user("kill-test", "kill_test")
    before = migration.to_version - 1
    posts = await legacy_posts(store, author, posts_count, version=before)
    for earlier in (SCORE, TAGS)[: before - 1]:  # they find every post current
        assert (await Runner(store.table, earlier, segments=4).run()).migrated == 0
    env = {**os.environ, "DYNAMODB_ENDPOINT_URL": own_dynamodb, "TABLE_NAME": table_name,
           "JWT_SECRET": "migration-test-secret-of-32-bytes"}  # fmt: skip
    command = [str(Path(sys.executable).parent / "singlet"), "migrate", "run", migration.id,
               "--segments", "4"]  # fmt: skip
    log = (tmp_path / "first.log").open("w")
    first = await asyncio.create_subprocess_exec(*command, env=env, stdout=log, stderr=log)
    runner = Runner(store.table, migration)
    deadline = time.monotonic() + 120
    while True:  # a real kill, part-way: once the checkpoints show some progress
        (row,) = [r for r in await status(store.table) if r["id"] == migration.id]
        if row.get("scanned", 0) >= kill_at:
            break
        assert first.returncode is None, (tmp_path / "first.log").read_text()
        assert time.monotonic() < deadline
        await asyncio.sleep(0.5)  # polling less often leaves DynamoDB Local to the runner
    first.send_signal(signal.SIGKILL)
    await first.wait()
    log.close()
    assert (record := await runner.record()) is not None
    assert record.status == "running"
    migrated_before = await _count_at(store, posts, migration.to_version)
    assert 0 < migrated_before < len(posts)

    second = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await second.communicate()
    assert second.returncode == 0, err.decode()
    assert "failed 0" in out.decode()
    assert (record := await runner.record()) is not None
    assert record.status == "applied"
    assert await _count_at(store, posts, migration.to_version) == len(posts)
    # The table's stream holds every write: each post moved to the new version exactly once.
    moves = await _version_moves(store.table.client, table_name, own_dynamodb, before)
    assert set(moves) == {Post.key_of(id=p.id).pk for p in posts}
    assert set(moves.values()) == {1}
    if migration is BODIES:
        listed = await store.page(PostsByUser(author.id, first=100))
        assert len(set(listed.items)) == 100  # each post listed once (its link, not its head)


async def _count_at(store: Store, posts: list[Any], version: int) -> int:
    found = await store.table.get_items([Post.key_of(id=p.id) for p in posts], consistent=True)
    return sum(1 for item in found.values() if item[VERSION] == version)


async def _version_moves(
    client: DynamoDBClient, table: str, endpoint: str, before: int
) -> Counter[str]:
    """Per post partition, how many stream records show a head going from `before` to the
    next version."""
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
                    if old.get(VERSION) == before and new.get(VERSION) == before + 1:
                        moves[new[keys.TABLE.pk]] += 1
                if not page["Records"]:
                    break
                iterator = page.get("NextShardIterator")
    return moves
