"""`singlet events` (tools/singlet_tools/events.py): the DuckDB sink equals what the API says
after a random workload, a page applied again changes nothing, a run resumes where the last
one committed; tail and sink from the command line."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest
from singlet_tools import cli
from singlet_tools.events import DuckDBSink, Source, events_of, sink_duckdb
from singlet_tools.tables import create_table, delete_table

from api.settings import Settings
from model import StoreError
from model.ids import parse_typed_id
from store import Store, Table
from tests.api.conftest import Api, Member
from tests.events.conftest import Tap
from tests.events.test_mutations import (
    ADD_COMMENT,
    ADD_TAG,
    CREATE_POST,
    DELETE_COMMENT,
    DELETE_POST,
    HEAD,
    REMOVE_TAG,
    UPDATE_POST,
    VOTE,
)

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

TAGS = ["go", "python", "rust", "sql", "web-dev"]
LIST = "{ posts(first: 100) { pageInfo { hasNextPage } edges { node { id } } } }"
ONE_POST = (
    f"query($id: ID!) {{ post(id: $id) {{ {HEAD} content"
    " comments(first: 100) { edges { node { id body createdAt author { id } } } } } }"
)


class Workload:
    """Random API calls (seeded), keeping what is needed to make the next valid one."""

    def __init__(self, api: Api, members: list[Member], seed: int) -> None:
        self.api, self.members, self.rng = api, members, random.Random(seed)
        self.posts: dict[str, dict[str, Any]] = {}  # id -> {"author", "version", "tags"}
        self.comments: dict[str, Member] = {}  # id -> author

    async def run(self, steps: int) -> None:
        for _ in range(steps):
            choices = ["create_post"] + [
                "update_post",
                "vote",
                "vote",
                "add_tag",
                "remove_tag",
                "add_comment",
                "add_comment",
            ] * bool(self.posts)
            choices += ["delete_comment"] * bool(self.comments)
            choices += ["delete_post"] * (len(self.posts) > 3)
            await getattr(self, self.rng.choice(choices))()  # fmt: skip

    async def call(self, member: Member, query: str, **variables: Any) -> Any:
        result = await self.api.graphql(query, variables, token=member.token)
        assert "errors" not in result, result
        (value,) = result["data"].values()
        return value

    def _post(self) -> tuple[str, dict[str, Any]]:
        post_id = self.rng.choice(list(self.posts))  # (in creation order: seeded)
        return post_id, self.posts[post_id]

    def _seen(self, post: dict[str, Any]) -> None:
        self.posts[post["id"]].update(version=post["version"], tags=post["tags"])

    async def create_post(self) -> None:
        author = self.rng.choice(self.members)
        tags = self.rng.sample(TAGS, self.rng.randrange(3))
        fields = {"title": f"Post {self.rng.random():.6f}", "content": self._text(), "tags": tags}
        if self.rng.random() < 0.5:
            fields["url"] = f"https://example.com/{self.rng.randrange(1000)}"
        post = await self.call(author, CREATE_POST, i=fields)
        self.posts[post["id"]] = {"author": author}
        self._seen(post)

    async def update_post(self) -> None:
        post_id, post = self._post()
        change: dict[str, Any] = {"id": post_id, "expectedVersion": post["version"]}
        for name, value in (("title", "Edited"), ("content", self._text()), ("url", "")):
            if self.rng.random() < 0.5 or name == "content":
                change[name] = value
        self._seen(await self.call(post["author"], UPDATE_POST, i=change))

    async def vote(self) -> None:
        post_id, _ = self._post()
        direction = self.rng.choice(["UP", "UP", "DOWN", "NONE"])
        await self.call(self.rng.choice(self.members), VOTE, p=post_id, d=direction)

    async def add_tag(self) -> None:
        post_id, post = self._post()
        if len(post["tags"]) < 4:
            tag = self.rng.choice(TAGS)
            self._seen(await self.call(post["author"], ADD_TAG, p=post_id, t=tag))

    async def remove_tag(self) -> None:
        post_id, post = self._post()
        if post["tags"]:
            tag = self.rng.choice(post["tags"])
            self._seen(await self.call(post["author"], REMOVE_TAG, p=post_id, t=tag))

    async def add_comment(self) -> None:
        post_id, _ = self._post()
        author = self.rng.choice(self.members)
        comment = await self.call(author, ADD_COMMENT, i={"postId": post_id, "body": self._text()})
        self.comments[comment["id"]] = author

    async def delete_comment(self) -> None:
        comment_id = self.rng.choice(list(self.comments))
        await self.call(self.comments.pop(comment_id), DELETE_COMMENT, id=comment_id)

    async def delete_post(self) -> None:
        post_id, post = self._post()
        await self.call(post["author"], DELETE_POST, id=post_id, v=post["version"])
        del self.posts[post_id]
        raw_id = parse_typed_id(post_id, "Post")[0]
        self.comments = {c: a for c, a in self.comments.items()
                         if parse_typed_id(c, "Comment", parts=2)[0] != raw_id}  # fmt: skip

    def _text(self) -> str:
        return " ".join(self.rng.choice(["lorem", "ipsum", "dolor", "ünïcode", "€", "😀"])
                        for _ in range(self.rng.randrange(1, 12)))  # fmt: skip


def timestamp(value: str) -> datetime:
    """As the sink's TIMESTAMP columns hold it: UTC."""
    return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)


async def what_the_api_says(api: Api, members: list[Member]) -> dict[str, set[tuple[Any, ...]]]:
    """The sink's tables, as rows, from the API's own answers."""
    users = set()
    for member in members:
        query = "query($u: String!) { user(username: $u) { id username displayName bio createdAt }}"
        user = (await api.graphql(query, {"u": member.username}))["data"]["user"]
        users.add((user["id"], user["username"], user["displayName"], user["bio"],
                   timestamp(user["createdAt"])))  # fmt: skip
    listed = (await api.graphql(LIST))["data"]["posts"]
    assert not listed["pageInfo"]["hasNextPage"]
    posts: set[tuple[Any, ...]] = set()
    tags: set[tuple[Any, ...]] = set()
    comments: set[tuple[Any, ...]] = set()
    for edge in listed["edges"]:
        p = (await api.graphql(ONE_POST, {"id": edge["node"]["id"]}))["data"]["post"]
        posts.add((p["id"], p["author"]["id"], p["title"], p["url"], p["content"], p["ups"],
                   p["downs"], p["score"], p["version"], p["commentCount"],
                   timestamp(p["createdAt"]), timestamp(p["updatedAt"])))  # fmt: skip
        tags.update((p["id"], tag) for tag in p["tags"])
        for c in (e["node"] for e in p["comments"]["edges"]):
            comments.add((c["id"], p["id"], c["author"]["id"], c["body"],
                          timestamp(c["createdAt"])))  # fmt: skip
    votes = set()
    mine = "{ posts(first: 100) { edges { node { id viewerVote } } } }"
    for member in members:
        result = await api.graphql(mine, token=member.token)
        for edge in result["data"]["posts"]["edges"]:
            if edge["node"]["viewerVote"] != "NONE":
                votes.add((edge["node"]["id"], member.id, edge["node"]["viewerVote"]))
    return {"users": users, "posts": posts, "tags": tags, "comments": comments, "votes": votes}


def what_the_sink_holds(path: Path) -> dict[str, set[tuple[Any, ...]]]:
    with duckdb.connect(str(path), read_only=True) as db:
        return {
            "users": set(db.execute(
                "SELECT id, username, display_name, bio, created_at FROM users").fetchall()),
            "posts": set(db.execute(
                "SELECT id, author_id, title, url, content, ups, downs, score, version,"
                " comment_count, created_at, updated_at FROM posts").fetchall()),
            "tags": set(db.execute("SELECT post_id, tag FROM tags").fetchall()),
            "comments": set(db.execute(
                "SELECT id, post_id, author_id, body, created_at FROM comments").fetchall()),
            "votes": set(db.execute("SELECT post_id, user_id, direction FROM votes").fetchall()),
        }  # fmt: skip


def everything(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, bookkeeping included."""
    with duckdb.connect(str(path), read_only=True) as db:
        tables = [row[0] for row in db.execute("SHOW TABLES").fetchall()]
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


def source(settings: Settings) -> Source:
    return Source(settings, "TRIM_HORIZON", follow=False)


async def test_after_a_random_workload_the_sink_equals_the_api(
    events_api: Api, join: Any, stream_settings: Settings, tmp_path: Path
) -> None:
    members = [await join(name) for name in ("ada", "bob", "cyd", "dee")]
    workload = Workload(events_api, members, seed=13)
    await workload.run(120)
    path = tmp_path / "blog.duckdb"
    applied = await sink_duckdb(source(stream_settings), path)

    expected = await what_the_api_says(events_api, members)
    assert all(len(rows) >= 3 for rows in expected.values())  # a workload that did something
    assert what_the_sink_holds(path) == expected
    # Run again: nothing new on the stream, nothing applied, nothing changed.
    before = everything(path)
    assert await sink_duckdb(source(stream_settings), path) == 0
    assert everything(path) == before
    assert applied == len(before["processed_events"])


async def test_a_run_resumes_where_the_last_one_committed(
    events_api: Api, join: Any, stream_settings: Settings, tmp_path: Path
) -> None:
    members = [await join(name) for name in ("ada", "bob")]
    workload = Workload(events_api, members, seed=7)
    await workload.run(20)
    path, whole = tmp_path / "resumed.duckdb", tmp_path / "whole.duckdb"
    first = await sink_duckdb(source(stream_settings), path)
    await workload.run(20)
    second = await sink_duckdb(source(stream_settings), path)
    assert await sink_duckdb(source(stream_settings), whole) == first + second
    assert what_the_sink_holds(path) == what_the_sink_holds(whole)
    assert what_the_sink_holds(path) == await what_the_api_says(events_api, members)


async def test_a_page_applied_again_changes_nothing(
    events_api: Api, join: Any, stream_settings: Settings, tap: Tap, tmp_path: Path
) -> None:
    members = [await join(name) for name in ("ada", "bob")]
    await Workload(events_api, members, seed=3).run(15)
    path = tmp_path / "replayed.duckdb"
    await sink_duckdb(source(stream_settings), path)
    before = everything(path)

    sink = DuckDBSink(path)
    try:
        async for arn, batch in source(stream_settings).batches():
            assert sink.apply(arn, batch, events_of(batch)) == 0  # every event known
            # Half a page, then a failure: the transaction leaves nothing behind.
            events = events_of(batch)
            with pytest.raises(KeyError):
                sink.apply(arn, batch, [*events[: len(events) // 2], {"entity": "Gadget",
                                                                      "id": "x"}])  # fmt: skip
    finally:
        sink.close()
    assert everything(path) == before


async def run(settings: Settings, *argv: str) -> None:
    args = cli.parser().parse_args(["events", *argv])  # the real `singlet` command line
    assert args.tokens is False  # no secret needed
    await asyncio.to_thread(args.run, settings, args)  # (it runs its own loop)


async def test_tail_and_sink_from_the_command_line(
    events_api: Api,
    join: Any,
    stream_settings: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ada = await join("ada")
    await Workload(events_api, [ada], seed=1).run(5)

    await run(stream_settings, "tail", "--from-start", "--once")
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0]["entity"] == "User"
    assert events[0]["after"]["username"] == "ada"
    assert {e["entity"] for e in events} == {"User", "Post"}

    await run(stream_settings, "tail", "--once")  # --latest: nothing new since it started
    assert capsys.readouterr().out == ""

    path = tmp_path / "cli.duckdb"
    await run(stream_settings, "sink", "duckdb", str(path), "--once")
    assert capsys.readouterr().err == f"{len(events)} events applied to {path}\n"
    posts = {e["entityId"] for e in events if e["entity"] == "Post"}
    assert len(what_the_sink_holds(path)["posts"]) == len(posts)


async def test_a_table_without_a_stream_gets_one_when_asked(
    stream_client: DynamoDBClient,
    stream_settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name = f"test-no-stream-{uuid.uuid4().hex[:8]}"
    await create_table(stream_client, name)  # as `make run` makes it
    settings = replace(stream_settings, table_name=name)
    store = Store(Table(stream_client, name))
    try:
        with pytest.raises(StoreError, match="--enable-stream"):
            await run(settings, "tail", "--once")
        await run(settings, "tail", "--once", "--enable-stream")
        await store.create_user("s-ada", "ada")
        await run(settings, "tail", "--from-start", "--once")
        (event,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert event["after"]["username"] == "ada"
    finally:
        await delete_table(stream_client, name)


def test_the_sinks_tables_follow_the_events_and_gain_the_columns_they_add(
    tmp_path: Path,
) -> None:
    """The tables and columns come from the events' shapes (no list of them kept by hand); a
    file made before a field was added to an entity's events gains its column when opened."""
    path = tmp_path / "blog.duckdb"
    DuckDBSink(path).close()
    with duckdb.connect(str(path)) as db:
        columns = {row[0] for row in db.execute("DESCRIBE users").fetchall()}
        assert columns == {"id", "username", "display_name", "bio", "created_at"}
        assert {row[0] for row in db.execute("DESCRIBE posts").fetchall()} >= {
            "author_id", "content", "comment_count", "score"}  # fmt: skip
        db.execute("ALTER TABLE users DROP COLUMN bio")  # as a file from before `bio` was
    DuckDBSink(path).close()
    with duckdb.connect(str(path), read_only=True) as db:
        assert "bio" in {row[0] for row in db.execute("DESCRIBE users").fetchall()}
