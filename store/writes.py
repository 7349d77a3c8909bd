"""The writes. Each keeps its invariants inside DynamoDB conditions and transactions, so
they hold under concurrency: unique usernames, one vote per user, ups/downs equal to the vote
items, commentCount equal to the comments, owner rules, optimistic versions.

Each conditional write carries what its condition failing means (a refusal, computed from
the item as it was), so no caller decodes a cancelled transaction by position.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cost.meter import retrying
from model import keys
from model.attrs import Item
from model.declarations import Key, Model, attribute_named
from model.entities import (
    AuthorLink,
    Comment,
    Direction,
    Post,
    PostBody,
    SubjectLink,
    TagLink,
    User,
    UsernameClaim,
    Vote,
    score_of,
)
from model.errors import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    StoreError,
    Unavailable,
    VersionConflict,
)
from model.expressions import Condition, Update, item_absent, item_exists
from model.keys import TABLE
from model.limits import (
    MAX_BIO,
    MAX_BODY,
    MAX_CONTENT,
    MAX_DISPLAY_NAME,
    MAX_TAGS,
    MAX_TITLE,
    check_line,
    check_tags,
    check_text,
    check_url,
    created_at,
    now,
)

from .table import (
    Refusal,
    Table,
    TransactionCancelled,
    Write,
    check,
    delete,
    put,
    refuse,
    update,
)

EXISTS = item_exists(TABLE.pk)
ABSENT = item_absent(TABLE.pk)
LIVE = EXISTS & Post.deleting.absent()  # a post that is there and not being deleted


def _post_refusal(actor_id: str) -> Refusal:
    """Why a conditional write on a post head failed, from the head as it was."""

    def refusal(head: Item | None) -> StoreError:
        if head is None or head.get(Post.deleting.name):
            return NotFound("post not found")
        if head[Post.author_id.name] != actor_id:
            return Forbidden("only the post's author may change it")
        return VersionConflict(f"the post is at version {head[Post.version.name]}")

    return refusal


def _gone(head: Item | None) -> StoreError | None:
    """A post that vanished is NotFound; anything else is a concurrent change to retry."""
    if head is None or head.get(Post.deleting.name):
        return NotFound("post not found")
    return None


def _author_exists(user_id: str) -> Write:
    return check(User.key_of(id=user_id), EXISTS, refuse(NotFound("the author has no profile")))


# What the writes put, built from the caller's input once checked and trimmed: the store
# writes these, and the cost model (cost/rules.py) prices these, to the byte.


@dataclass(frozen=True)
class NewPost:
    post: Post
    body: PostBody
    links: tuple[AuthorLink | TagLink, ...]

    @classmethod
    def of(
        cls,
        post_id: str,
        author_id: str,
        title: str,
        content: str,
        url: str | None = None,
        tags: Sequence[str] = (),
    ) -> NewPost:
        title = check_line(title, "title", MAX_TITLE)
        body = new_body(post_id, content)
        if url is not None:
            check_url(url)
        unique_tags = check_tags(tags)
        stamp = created_at(post_id)
        post = Post(id=post_id, author_id=author_id, title=title, url=url, tags=unique_tags,
                    ups=0, downs=0, version=1, comment_count=0, created_at=stamp,
                    updated_at=stamp, score=0)  # fmt: skip
        links: tuple[AuthorLink | TagLink, ...] = (
            AuthorLink(post_id=post_id, author_id=author_id),
            *(TagLink(post_id=post_id, tag=tag) for tag in unique_tags),
        )
        return cls(post, body, links)

    def entities(self) -> tuple[Model, ...]:
        return (self.post, self.body, *self.links)


def new_body(post_id: str, content: str) -> PostBody:
    return PostBody(post_id=post_id, content=check_text(content, "content", MAX_CONTENT))


def new_comment(comment_id: str, post_id: str, author_id: str, body: str) -> Comment:
    body = check_text(body, "body", MAX_BODY)
    return Comment(id=comment_id, post_id=post_id, author_id=author_id, body=body,
                   created_at=created_at(comment_id))  # fmt: skip


class Writes:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def create_user(
        self, subject: str, username: str, display_name: str | None = None, bio: str = ""
    ) -> User:
        keys.check_subject(subject)
        keys.check_username(username)
        display_name = check_line(display_name or username, "displayName", MAX_DISPLAY_NAME)
        bio = check_text(bio, "bio", MAX_BIO, minimum=0)
        user_id = keys.new_id()
        user = User(id=user_id, username=username, display_name=display_name, bio=bio,
                    created_at=created_at(user_id))  # fmt: skip
        claim = UsernameClaim(username=username, user_id=user_id)
        link = SubjectLink(subject=subject, user_id=user_id)
        await self.table.transact([
            put(user.item(), ABSENT),
            put(claim.item(), ABSENT, refuse(AlreadyExists(f"username {username!r} is taken"))),
            put(link.item(), ABSENT, refuse(AlreadyExists("this identity already has a profile"))),
        ])  # fmt: skip
        return user

    async def create_post(
        self,
        author_id: str,
        title: str,
        content: str,
        url: str | None = None,
        tags: Sequence[str] = (),
    ) -> tuple[Post, PostBody]:
        """The post's head and body, as stored (the text trimmed: model/limits.py)."""
        new = NewPost.of(keys.new_id(), author_id, title, content, url, tags)
        await self.table.transact([
            _author_exists(author_id),
            *(put(entity.item(), ABSENT) for entity in new.entities()),
        ])  # fmt: skip
        return new.post, new.body

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

        url="" removes the url; None leaves a field as it is. New content goes to the body
        (and leaves a head written before v4, which still held it).
        """
        # Values set, not incremented, and a write id of this call's own: the change can be
        # recognised on the item, so a retried update whose answer was lost is not taken for
        # a conflict, and an identical update by another request is never taken for ours.
        change = Update(Post.version.set(expected_version + 1), Post.updated_at.set(now()),
                        Post.last_write.set(keys.new_id()))  # fmt: skip
        if title is not None:
            change += Update(Post.title.set(check_line(title, "title", MAX_TITLE)))
        if url == "":
            change += Update(Post.url.remove())
        elif url is not None:
            change += Update(Post.url.set(check_url(url)))
        if content is not None:
            body = new_body(post_id, content)
            change += Update(Post.content.remove())
        if len(change.actions) == 3:
            raise InvalidInput("nothing to update: give a title, content or url")
        condition = LIVE & Post.author_id.eq(actor_id) & Post.version.eq(expected_version)
        head = update(Post.key_of(id=post_id), change, condition, _post_refusal(actor_id),
                      retry_safe=True)  # fmt: skip
        if content is None:
            new = await self.table.write(head, return_new=True)
            assert new is not None
            return Post.decode(new)
        await self.table.transact([head, put(body.item())])
        post = await self._head(post_id)
        if post is None:
            raise NotFound("post not found")
        return post

    async def _head(self, post_id: str) -> Post | None:
        found = await self.table.get_items([Post.key_of(id=post_id)], consistent=True)
        item = found.get(Post.key_of(id=post_id))
        return None if item is None or item.get(Post.deleting.name) else Post.decode(item)

    async def delete_post(self, actor_id: str, post_id: str, expected_version: int) -> None:
        """Deletes the post with its body, comments, votes and links.

        First the head is marked `deleting` (which also takes it out of the indexes and makes
        every child write fail), then its item collection is swept. A retry after a crash
        finds the mark and finishes the sweep, whatever version it passes.
        """
        head = Post.key_of(id=post_id)
        out_of_indexes = [attribute_named(name).remove() for name in _index_attributes()]
        condition = (
            EXISTS & Post.author_id.eq(actor_id)
            & (Post.version.eq(expected_version) | Post.deleting.eq(True))
        )  # fmt: skip
        mark = Update(Post.deleting.set(True), *out_of_indexes)
        await self.table.write(update(head, mark, condition, _post_refusal(actor_id)))
        await self._sweep(head)

    async def _sweep(self, head: Key[Post]) -> None:
        children: list[Key[Any]] = []
        start: dict[str, str] | None = None
        while True:
            # Consistent: a child written just before the mark must be seen and removed.
            items, more = await self.table.query(
                keys.TABLE, head.pk, limit=1000, start=start, keys_only=True, consistent=True
            )
            children.extend(Key(i[TABLE.pk], i[TABLE.sk]) for i in items if i[TABLE.sk] != head.sk)
            if not more:
                break
            start = {TABLE.pk: items[-1][TABLE.pk], TABLE.sk: items[-1][TABLE.sk]}
        await self.table.delete_keys(children)
        await self.table.delete_keys([head])  # last: its mark is what a retry resumes

    async def add_tag(self, actor_id: str, post_id: str, tag: str) -> Post:
        """Idempotent: adding a tag the post has changes nothing."""
        return await self._change_tag(actor_id, post_id, tag, add=True)

    async def remove_tag(self, actor_id: str, post_id: str, tag: str) -> Post:
        """Idempotent: removing a tag the post lacks changes nothing."""
        return await self._change_tag(actor_id, post_id, tag, add=False)

    async def _change_tag(self, actor_id: str, post_id: str, tag: str, add: bool) -> Post:
        keys.check_tag(tag)
        tags = frozenset([tag])
        condition = LIVE & Post.author_id.eq(actor_id)
        if add:
            condition = condition & (Post.tags.absent() | Post.tags.size_below(MAX_TAGS))
        change = Update(
            Post.tags.add(tags) if add else Post.tags.delete(tags),
            Post.version.increment(),
            Post.updated_at.set(now()),
        )
        refused = _post_refusal(actor_id)

        def refusal(head: Item | None) -> StoreError | None:
            error = refused(head)
            if not isinstance(error, VersionConflict):
                return error
            assert head is not None
            if (tag in (head.get(Post.tags.name) or ())) == add:
                return None  # already there (or already gone): nothing to change
            return InvalidInput(f"a post has at most {MAX_TAGS} tags")

        link = TagLink(post_id=post_id, tag=tag)
        link_write = (put(link.item(), ABSENT) if add
                      else delete(link.primary_key(), EXISTS))  # fmt: skip
        # Cancelled with no refusal: the tag was already there (or gone): nothing to change.
        with contextlib.suppress(TransactionCancelled):
            await self.table.transact(
                [update(Post.key_of(id=post_id), change, condition, refusal), link_write]
            )
        post = await self._head(post_id)
        if post is None:
            raise NotFound("post not found")
        return post

    async def vote(self, user_id: str, post_id: str, direction: Direction | None) -> Post:
        """Sets the user's vote (None withdraws it); ups/downs and score move in the same
        transaction, which rewrites only the post's small head.

        Returns the post as of this vote: read with the vote, plus this vote's change (a
        concurrent voter's change may be missing; the next read has it). That saves reading
        the post again after the transaction.
        """
        vote_key = Vote.key_of(post_id=post_id, user_id=user_id)
        head_key = Post.key_of(id=post_id)
        async for attempt in self.table.backoff.tries():
            with retrying(attempt > 0):
                found = await self.table.get_items([vote_key, head_key], consistent=True)
                item = found.get(head_key)
                if item is None or item.get(Post.deleting.name):
                    raise NotFound("post not found")
                post = Post.decode(item)
                current = found.get(vote_key)
                old = Vote.decode(current).direction if current else None
                if old == direction:
                    return post
                held = ABSENT if old is None else Vote.direction.eq(old)
                vote_write = (
                    delete(vote_key, held) if direction is None
                    else put(Vote(post_id=post_id, user_id=user_id, direction=direction).item(),
                             held)
                )  # fmt: skip
                ups = int(direction == "UP") - int(old == "UP")
                downs = int(direction == "DOWN") - int(old == "DOWN")
                # A head written before schema v2 has no score yet: start from the counts
                # just read, and only if they are still the counts.
                unchanged = Post.ups.eq(post.ups) & Post.downs.eq(post.downs)
                change = Update(
                    Post.ups.add(ups),
                    Post.downs.add(downs),
                    Post.score.shift(score_of(post.ups, post.downs), score_of(ups, downs)),
                )
                condition: Condition = LIVE & (Post.score.exists() | unchanged)
                try:
                    await self.table.transact(
                        [vote_write, update(head_key, change, condition, _gone)]
                    )
                except TransactionCancelled:
                    continue  # this user's vote, or an old head's counts, changed: read again
                return post.replace(ups=post.ups + ups, downs=post.downs + downs,
                                    score=post.score + score_of(ups, downs))  # fmt: skip
        raise Unavailable("the vote kept changing concurrently; try again")

    async def add_comment(self, author_id: str, post_id: str, body: str) -> Comment:
        comment = new_comment(keys.new_id(), post_id, author_id, body)
        await self.table.transact([
            _author_exists(author_id),
            put(comment.item(), ABSENT),
            update(Post.key_of(id=post_id), Update(Post.comment_count.add(1)), LIVE,
                   refuse(NotFound("post not found"))),
        ])  # fmt: skip
        return comment

    async def delete_comment(self, actor_id: str, post_id: str, comment_id: str) -> None:
        """Allowed to the comment's author and to the post's author."""
        comment_key = Comment.key_of(post_id=post_id, id=comment_id)
        head_key = Post.key_of(id=post_id)
        found = await self.table.get_items([comment_key, head_key], consistent=True)
        comment, head = found.get(comment_key), found.get(head_key)
        if comment is None:
            raise NotFound("comment not found")
        owners = (comment[Comment.author_id.name], head and head[Post.author_id.name])
        if actor_id not in owners:
            raise Forbidden("only the comment's author or the post's author may delete it")
        # Cancelled with no refusal: the post is being deleted; its sweep removes the comment.
        with contextlib.suppress(TransactionCancelled):
            await self.table.transact([
                delete(comment_key, EXISTS, refuse(NotFound("comment not found"))),
                update(head_key, Update(Post.comment_count.add(-1)), LIVE),
            ])  # fmt: skip


def _index_attributes() -> list[str]:
    """Every index key attribute: a head being deleted leaves all of its indexes."""
    return list(dict.fromkeys(name for index in keys.INDEXES for name in index.keys
                              if name != Post.score.name))  # fmt: skip
