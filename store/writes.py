"""The writes. Each keeps its invariants inside DynamoDB conditions and transactions, so
they hold under concurrency: unique usernames, one vote per user, ups/downs equal to the vote
items, commentCount equal to the comments, owner rules, optimistic versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from ulid import ULID

from . import keys
from .attrs import Item, marshal_item, unmarshal_item
from .codecs import POST
from .entities import Comment, Direction, Post, User, Vote
from .errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    StoreError,
    Unavailable,
    VersionConflict,
)
from .items import comment_item, post_item, tag_item, user_items, vote_item
from .keys import GSI1, GSI2, PK, TABLE, Key
from .reads import DELETING, Reads
from .table import ConditionFailed, Expr, TransactionCancelled, key_attributes
from .usage import retrying

# Input limits. Worst case (4-byte UTF-8 everywhere) a post item stays near 210 KB,
# well under DynamoDB's 400 KB item limit.
MAX_TITLE = 200
MAX_CONTENT = 50_000
MAX_URL = 2_048
MAX_TAGS = 10
MAX_BODY = 10_000
MAX_DISPLAY_NAME = 100
MAX_BIO = 1_000

_NOT_EXISTS = f"attribute_not_exists({PK})"


def check_text(value: str, what: str, maximum: int, minimum: int = 1) -> str:
    if not isinstance(value, str) or not minimum <= len(value.strip()) <= maximum:
        raise InvalidInput(f"{what} must be {minimum}-{maximum} characters")
    return value


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"url must be an http(s) URL of at most {MAX_URL} characters")
    return url


def check_tags(tags: Sequence[str]) -> tuple[str, ...]:
    unique = tuple(sorted({keys.check_tag(t) for t in tags}))
    if len(unique) > MAX_TAGS:
        raise InvalidInput(f"a post has at most {MAX_TAGS} tags")
    return unique


def now() -> str:
    return _iso(datetime.now(UTC))


def created_at(entity_id: str) -> str:
    """Creation time from the ULID itself, so the two can never disagree."""
    return _iso(ULID.from_str(entity_id).datetime)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _put(item: Item, condition: str | None = _NOT_EXISTS) -> dict[str, Any]:
    body: dict[str, Any] = {"Item": marshal_item(item)}
    if condition:
        body["ConditionExpression"] = condition
    return {"Put": body}


def _refusal(post: Item | None, actor_id: str) -> StoreError:
    """Why a conditional write on a post failed, from the post as it was."""
    if post is None or post.get(DELETING):
        return NotFound("post not found")
    if post["authorId"] != actor_id:
        return Forbidden("only the post's author may change it")
    return VersionConflict(f"the post is at version {post['version']}")


def _unexpected(cancelled: TransactionCancelled) -> StoreError:
    return StoreError(f"transaction cancelled: {cancelled}")


class Store(Reads):
    """Reads (AP1-AP9) and writes over the one table."""

    async def create_user(
        self, subject: str, username: str, display_name: str | None = None, bio: str = ""
    ) -> User:
        keys.check_subject(subject)
        keys.check_username(username)
        display_name = check_text(display_name or username, "displayName", MAX_DISPLAY_NAME)
        check_text(bio, "bio", MAX_BIO, minimum=0)
        user_id = keys.new_id()
        user = User(user_id, username, display_name, bio, created_at(user_id))
        try:
            await self.table.transact([_put(item) for item in user_items(user, subject)])
        except TransactionCancelled as cancelled:
            if cancelled.failed(1):
                raise AlreadyExists(f"username {username!r} is taken") from None
            if cancelled.failed(2):
                raise AlreadyExists("this identity already has a profile") from None
            raise _unexpected(cancelled) from cancelled
        return user

    async def create_post(
        self,
        author_id: str,
        title: str,
        content: str,
        url: str | None = None,
        tags: Sequence[str] = (),
    ) -> Post:
        check_text(title, "title", MAX_TITLE)
        check_text(content, "content", MAX_CONTENT)
        if url is not None:
            check_url(url)
        unique_tags = check_tags(tags)
        post_id = keys.new_id()
        stamp = created_at(post_id)
        post = Post(post_id, author_id, title, content, url, unique_tags, 0, 0, 1, 0, stamp, stamp)
        try:
            await self.table.transact(
                [
                    self._user_exists(author_id),
                    _put(post_item(post)),
                    *(_put(tag_item(post_id, tag)) for tag in unique_tags),
                ]
            )
        except TransactionCancelled as cancelled:
            if cancelled.failed(0):
                raise NotFound("the author has no profile") from None
            raise _unexpected(cancelled) from cancelled
        return post

    async def update_post(
        self,
        actor_id: str,
        post_id: str,
        expected_version: int,
        *,
        title: str | None = None,
        content: str | None = None,
        url: str | None = None,
    ) -> Post:
        """Changes the given fields if the post is still at `expected_version`.

        url="" removes the url; None leaves a field as it is.
        """
        expr = Expr()
        sets = [
            f"{expr.name('version')} = {expr.name('version')} + {expr.value(1)}",
            f"{expr.name('updatedAt')} = {expr.value(now())}",
        ]
        removes = []
        if title is not None:
            sets.append(
                f"{expr.name('title')} = {expr.value(check_text(title, 'title', MAX_TITLE))}"
            )
        if content is not None:
            check_text(content, "content", MAX_CONTENT)
            sets.append(f"{expr.name('content')} = {expr.value(content)}")
        if url == "":
            removes.append(expr.name("url"))
        elif url is not None:
            sets.append(f"{expr.name('url')} = {expr.value(check_url(url))}")
        if len(sets) == 2 and not removes:
            raise InvalidInput("nothing to update: give a title, content or url")
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        condition = (
            f"attribute_exists({PK}) AND attribute_not_exists({expr.name(DELETING)})"
            f" AND {expr.name('authorId')} = {expr.value(actor_id)}"
            f" AND {expr.name('version')} = {expr.value(expected_version)}"
        )
        try:
            response = await self.table.call(
                "update_item",
                TableName=self.table.name,
                Key=key_attributes(keys.post_key(post_id)),
                UpdateExpression=update,
                ConditionExpression=condition,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **expr.params(),
            )
        except ConditionFailed as failed:
            raise _refusal(failed.item, actor_id) from None
        return POST.decode(unmarshal_item(response["Attributes"]))

    async def delete_post(self, actor_id: str, post_id: str, expected_version: int) -> None:
        """Deletes the post with its comments, votes and tags.

        First the post is marked `deleting` (which also takes it out of the indexes and makes
        every child write fail), then its item collection is swept. A retry after a crash
        finds the mark and finishes the sweep, whatever version it passes.
        """
        post_key = keys.post_key(post_id)
        expr = Expr()
        deleting = expr.name(DELETING)
        index_keys = ", ".join(expr.name(a) for a in (GSI1.pk, GSI1.sk, GSI2.pk, GSI2.sk))
        condition = (
            f"attribute_exists({PK}) AND {expr.name('authorId')} = {expr.value(actor_id)}"
            f" AND ({expr.name('version')} = {expr.value(expected_version)}"
            f" OR {deleting} = {expr.value(True)})"
        )
        try:
            await self.table.call(
                "update_item",
                TableName=self.table.name,
                Key=key_attributes(post_key),
                UpdateExpression=f"SET {deleting} = {expr.value(True)} REMOVE {index_keys}",
                ConditionExpression=condition,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **expr.params(),
            )
        except ConditionFailed as failed:
            raise _refusal(failed.item, actor_id) from None
        await self._sweep(post_key)

    async def _sweep(self, post_key: Key) -> None:
        children: list[Key] = []
        start: dict[str, str] | None = None
        while True:
            # Consistent: a child written just before the mark must be seen and removed.
            items, more = await self.table.query(
                TABLE, post_key.pk, limit=1000, start=start, keys_only=True, consistent=True
            )
            children.extend(Key(i[PK], i["SK"]) for i in items if i["SK"] != post_key.sk)
            if not more:
                break
            start = {PK: items[-1][PK], "SK": items[-1]["SK"]}
        await self.table.delete_keys(children)
        await self.table.delete_keys([post_key])  # last: its mark is what a retry resumes

    async def add_tag(self, actor_id: str, post_id: str, tag: str) -> Post:
        """Idempotent: adding a tag the post has changes nothing."""
        return await self._change_tag(actor_id, post_id, tag, add=True)

    async def remove_tag(self, actor_id: str, post_id: str, tag: str) -> Post:
        """Idempotent: removing a tag the post lacks changes nothing."""
        return await self._change_tag(actor_id, post_id, tag, add=False)

    async def _change_tag(self, actor_id: str, post_id: str, tag: str, add: bool) -> Post:
        keys.check_tag(tag)
        post_key = keys.post_key(post_id)
        expr = Expr()
        tags = expr.name("tags")
        condition = (
            f"attribute_exists({PK}) AND attribute_not_exists({expr.name(DELETING)})"
            f" AND {expr.name('authorId')} = {expr.value(actor_id)}"
        )
        if add:
            condition += (
                f" AND (attribute_not_exists({tags}) OR size({tags}) < {expr.value(MAX_TAGS)})"
            )
        version = expr.name("version")
        update = (
            f"{'ADD' if add else 'DELETE'} {tags} {expr.value(frozenset([tag]))}"
            f" SET {version} = {version} + {expr.value(1)},"
            f" {expr.name('updatedAt')} = {expr.value(now())}"
        )
        tag_key = keys.tag_key(post_id, tag)
        tag_action: dict[str, Any] = (
            _put(tag_item(post_id, tag))
            if add
            else {
                "Delete": {
                    "Key": key_attributes(tag_key),
                    "ConditionExpression": f"attribute_exists({PK})",
                }
            }
        )
        try:
            await self.table.transact(
                [
                    {
                        "Update": {
                            "Key": key_attributes(post_key),
                            "UpdateExpression": update,
                            "ConditionExpression": condition,
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                            **expr.params(),
                        }
                    },
                    tag_action,
                ]
            )
        except TransactionCancelled as cancelled:
            if cancelled.failed(0):
                old = cancelled.reasons[0].item
                refusal = _refusal(old, actor_id)
                if not isinstance(refusal, VersionConflict):
                    raise refusal from None
                if not cancelled.failed(1):
                    raise InvalidInput(f"a post has at most {MAX_TAGS} tags") from None
            elif not cancelled.failed(1):
                raise _unexpected(cancelled) from cancelled
            # The tag was already there (or already gone): nothing to change.
        post: Post | None = await self.get(post_key, consistent=True)
        if post is None:
            raise NotFound("post not found")
        return post

    async def vote(self, user_id: str, post_id: str, direction: Direction | None) -> Post:
        """Sets the user's vote (None withdraws it); ups/downs move in the same transaction.

        Returns the post as of this vote: read with the vote, plus this vote's change (a
        concurrent voter's change may be missing; the next read has it). That saves reading
        the post again after the transaction.
        """
        vote_key = keys.vote_key(post_id, user_id)
        post_key = keys.post_key(post_id)
        async for attempt in self.table.backoff.tries():
            with retrying(attempt > 0):
                found = await self.table.get_items([vote_key, post_key], consistent=True)
                post = self._live_post(found.get(post_key))
                current = found.get(vote_key)
                old = current["direction"] if current else None
                if old == direction:
                    return post
                vote_expr = Expr()
                vote_condition = (
                    _NOT_EXISTS
                    if old is None
                    else f"{vote_expr.name('direction')} = {vote_expr.value(old)}"
                )
                vote_action: dict[str, Any]
                if direction is None:
                    vote_action = {"Delete": {"Key": key_attributes(vote_key)}}
                else:
                    item = vote_item(Vote(post_id, user_id, direction))
                    vote_action = {"Put": {"Item": marshal_item(item)}}
                body = next(iter(vote_action.values()))
                body["ConditionExpression"] = vote_condition
                body.update(vote_expr.params())
                ups = int(direction == "UP") - int(old == "UP")
                downs = int(direction == "DOWN") - int(old == "DOWN")
                post_expr = Expr()
                score = post_expr.name("score")
                # `score` follows ups - downs. A post written before schema v2 has none yet:
                # start from the counts just read, and only if they are still the counts.
                unchanged = (
                    f"{post_expr.name('ups')} = {post_expr.value(post.ups)}"
                    f" AND {post_expr.name('downs')} = {post_expr.value(post.downs)}"
                )
                try:
                    await self.table.transact(
                        [
                            vote_action,
                            {
                                "Update": {
                                    "Key": key_attributes(post_key),
                                    "UpdateExpression": (
                                        f"ADD {post_expr.name('ups')} {post_expr.value(ups)},"
                                        f" {post_expr.name('downs')} {post_expr.value(downs)}"
                                        f" SET {score} = if_not_exists({score},"
                                        f" {post_expr.value(post.ups - post.downs)})"
                                        f" + {post_expr.value(ups - downs)}"
                                    ),
                                    "ConditionExpression": (
                                        f"attribute_exists({PK})"
                                        f" AND attribute_not_exists({post_expr.name(DELETING)})"
                                        f" AND (attribute_exists({score}) OR ({unchanged}))"
                                    ),
                                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                                    **post_expr.params(),
                                }
                            },
                        ]
                    )
                    return replace(
                        post, ups=post.ups + ups, downs=post.downs + downs,
                        score=post.score + ups - downs,
                    )  # fmt: skip
                except TransactionCancelled as cancelled:
                    if cancelled.failed(1):
                        now_post = cancelled.reasons[1].item
                        if now_post is None or now_post.get(DELETING):
                            raise NotFound("post not found") from None
                    elif not cancelled.failed(0):
                        raise _unexpected(cancelled) from cancelled
                    # This user's vote, or an old post's counts, changed meanwhile: read again.
        raise Unavailable("the vote kept changing concurrently; try again")

    def _live_post(self, item: Item | None) -> Post:
        if item is None or item.get(DELETING):
            raise NotFound("post not found")
        return POST.decode(item)

    async def add_comment(self, author_id: str, post_id: str, body: str) -> Comment:
        check_text(body, "body", MAX_BODY)
        comment_id = keys.new_id()
        comment = Comment(comment_id, post_id, author_id, body, created_at(comment_id))
        try:
            await self.table.transact(
                [
                    self._user_exists(author_id),
                    _put(comment_item(comment)),
                    self._count_comment(post_id, 1),
                ]
            )
        except TransactionCancelled as cancelled:
            if cancelled.failed(0):
                raise NotFound("the author has no profile") from None
            if cancelled.failed(2):
                raise NotFound("post not found") from None
            raise _unexpected(cancelled) from cancelled
        return comment

    async def delete_comment(self, actor_id: str, post_id: str, comment_id: str) -> None:
        """Allowed to the comment's author and to the post's author."""
        comment_key = keys.comment_key(post_id, comment_id)
        found = await self.table.get_items([comment_key, keys.post_key(post_id)], consistent=True)
        comment = found.get(comment_key)
        post = found.get(keys.post_key(post_id))
        if comment is None:
            raise NotFound("comment not found")
        if actor_id not in (comment["authorId"], post and post["authorId"]):
            raise Forbidden("only the comment's author or the post's author may delete it")
        try:
            await self.table.transact(
                [
                    {
                        "Delete": {
                            "Key": key_attributes(comment_key),
                            "ConditionExpression": f"attribute_exists({PK})",
                        }
                    },
                    self._count_comment(post_id, -1),
                ]
            )
        except TransactionCancelled as cancelled:
            if cancelled.failed(0):
                raise NotFound("comment not found") from None
            if not cancelled.failed(1):
                raise _unexpected(cancelled) from cancelled
            # The post is being deleted: its sweep removes the comment.

    def _user_exists(self, user_id: str) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "Key": key_attributes(keys.user_key(user_id)),
                "ConditionExpression": f"attribute_exists({PK})",
            }
        }

    def _count_comment(self, post_id: str, delta: int) -> dict[str, Any]:
        expr = Expr()
        return {
            "Update": {
                "Key": key_attributes(keys.post_key(post_id)),
                "UpdateExpression": f"ADD {expr.name('commentCount')} {expr.value(delta)}",
                "ConditionExpression": (
                    f"attribute_exists({PK}) AND attribute_not_exists({expr.name(DELETING)})"
                ),
                **expr.params(),
            }
        }
