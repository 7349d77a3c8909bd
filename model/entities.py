"""The blog's entities, each declared once: attributes, primary key, indexes (see model.py,
and docs/data-model.md for the same items drawn as a table).

A post is three items in its own collection: the head (what lists show and what changes
often: counters, score, tags, version), the body (the content, which no index projects) and
the author link (the post's entry in its author's list, on GSI1). Votes and comments rewrite
only the head, so their cost does not grow with the post.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from .declarations import Attribute, Model
from .keys import (
    GSI1,
    GSI2,
    GSI3,
    MAX_SUBJECT_LENGTH,
    MAX_TAG,
    MAX_USERNAME,
    check_id,
    check_subject,
    check_tag,
    check_username,
    escape,
    feed_shard,
    unescape,
)
from .limits import (
    BIG,
    LARGEST_ID,
    LARGEST_STAMP,
    MAX_BIO,
    MAX_BODY,
    MAX_CONTENT,
    MAX_DISPLAY_NAME,
    MAX_TAGS,
    MAX_TITLE,
    MAX_URL,
    wide,
)
from .templates import IndexKey, KeySpec, Segment, Template

Direction = Literal["UP", "DOWN"]


# The largest values the attributes below declare (model/limits.py says why these).
ID, STAMP = LARGEST_ID, LARGEST_STAMP
USERNAME = "u" * MAX_USERNAME  # usernames are ASCII letters, digits and underscores
# A subject's key escapes '%' into 3 bytes where a 4-byte character stays 4: the wide one is
# the larger item (key and attribute: 2,048 bytes against 1,024).
SUBJECT = wide(MAX_SUBJECT_LENGTH)
URL = "https://" + "u" * (MAX_URL - 8)  # URLs are ASCII (limits.check_url)
TAGS = tuple(f"{n}{'a' * (MAX_TAG - 1)}" for n in range(MAX_TAGS))  # distinct, the longest


def _ids(what: str) -> Segment:
    return Segment(lambda value: check_id(value, what))


# Key templates shared by several entities. A user's partition is also, on GSI1, the list of
# what the user wrote; a post's partition is its item collection, and "POST#<id>" is also
# how a post is listed on GSI1 (by author, by tag).
USER_PARTITION = Template("USER#{user_id}", user_id=_ids("user id"))
POST_PARTITION = Template("POST#{post_id}", post_id=_ids("post id"))
USERNAME_PARTITION = Template(
    "USERNAME#{username}", username=Segment(lambda u: check_username(u).lower())
)
TAG_PARTITION = Template("TAG#{tag}", tag=Segment(check_tag))
FEED_PARTITION = Template("FEED#{shard}", shard=Segment(str))
SUBJECT_PARTITION = Template(
    "SUBJECT#{subject}", subject=Segment(lambda s: escape(check_subject(s)), unescape)
)
MIGRATION_PARTITION = Template("MIGRATION#{migration}", migration=Segment(escape, unescape))
# A caller of the API, as the rate limiter names it ("user:<subject>", "ip:<address>").
BUCKET_PARTITION = Template("BUCKET#{caller}", caller=Segment(escape, unescape))
USER_SORT = Template("USER")
COMMENT_SORT = Template("COMMENT#{id}", id=_ids("comment id"))
# "#" sorts before "COMMENT#": the head, then the body, lead the post's collection, so one
# Query reads a post page (AP1 + AP4).
POST_HEAD_SORT = Template("#POST")
POST_BODY_SORT = Template("#POST#BODY")
# The post page (store/reads.py, post_with_comments): one Query from the head to the last
# comment. Nothing else of a post's collection may sort in that range (a test declares one).
POST_PAGE_RANGE = (POST_HEAD_SORT.pattern, COMMENT_SORT.prefix + "~")  # "~": after any ULID
POST_PARTITION.reads(*POST_PAGE_RANGE, "Post", "PostBody", "Comment")


class User(Model):
    entity = "User"
    key = KeySpec(USER_PARTITION, USER_SORT, {"user_id": "id"})
    indexes = (IndexKey(GSI1, KeySpec(USERNAME_PARTITION, USER_SORT)),)  # AP2

    id: Attribute[str] = Attribute(largest=ID)
    username: Attribute[str] = Attribute(largest=USERNAME)
    display_name: Attribute[str] = Attribute(largest=wide(MAX_DISPLAY_NAME))
    bio: Attribute[str] = Attribute(largest=wide(MAX_BIO))
    created_at: Attribute[str] = Attribute(largest=STAMP)


class UsernameClaim(Model):
    """Holds a username (case-insensitively) for one user."""

    entity = "UsernameClaim"
    key = KeySpec(USERNAME_PARTITION, Template("USERNAME"))

    username: Attribute[str] = Attribute(largest=USERNAME)
    user_id: Attribute[str] = Attribute(largest=ID)


class SubjectLink(Model):
    """Links a token subject (the caller's identity) to its user."""

    entity = "SubjectLink"
    key = KeySpec(SUBJECT_PARTITION, Template("SUBJECT"))

    subject: Attribute[str] = Attribute(largest=SUBJECT)
    user_id: Attribute[str] = Attribute(largest=ID)


def score_of(ups: int, downs: int) -> int:
    """The score rule: what GSI3 sorts a user's posts by."""
    return ups - downs


def _tag_set(tags: tuple[str, ...]) -> frozenset[str] | None:
    return frozenset(tags) or None  # DynamoDB has no empty sets: absent means none


def _tag_tuple(tags: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(tags))


def _lazy_score(item: Mapping[str, Any]) -> int:
    return score_of(int(item["ups"]), int(item["downs"]))


class Post(Model):
    """A post's head. Versions: 2 added `score` (lazy, backfilled by migration 0001 for
    GSI3); 3 means lower-case tags (migration 0002); 4 moved `content` to the post's body
    (migration 0003): a head read before that still holds it."""

    entity = "Post"
    schema_version = 4
    key = KeySpec(POST_PARTITION, POST_HEAD_SORT, {"post_id": "id"})
    indexes = (
        IndexKey(GSI2, KeySpec(FEED_PARTITION, Template("{id}", id=_ids("post id"))),
                 derive={"shard": lambda post: feed_shard(post.id)}),  # AP6
        IndexKey(GSI3, KeySpec(USER_PARTITION, None, {"user_id": "author_id"})),  # AP9
    )  # fmt: skip

    id: Attribute[str] = Attribute(largest=ID)
    author_id: Attribute[str] = Attribute(largest=ID)
    title: Attribute[str] = Attribute(largest=wide(MAX_TITLE))
    url: Attribute[str | None] = Attribute(default=None, optional=True, largest=URL)
    tags: Attribute[tuple[str, ...]] = Attribute(
        default=(), optional=True, encode=_tag_set, decode=_tag_tuple, largest=TAGS
    )
    ups: Attribute[int] = Attribute(largest=BIG)
    downs: Attribute[int] = Attribute(largest=BIG)
    version: Attribute[int] = Attribute(largest=BIG)
    comment_count: Attribute[int] = Attribute(largest=BIG)
    created_at: Attribute[str] = Attribute(largest=STAMP)
    updated_at: Attribute[str] = Attribute(largest=STAMP)
    score: Attribute[int] = Attribute(since=2, lazy=_lazy_score, largest=-BIG)
    # Only heads written before v4: the content, before it had an item of its own.
    content: Attribute[str | None] = Attribute(default=None, optional=True, largest=None)
    # Set while delete_post sweeps the collection: readers treat the post as gone.
    deleting: Attribute[bool] = Attribute(default=False, optional=True, largest=False)
    # The id of the last update_post: a resent update recognises its own write by it, where
    # the fields it set could also have been set, to the same values, by another request.
    last_write: Attribute[str | None] = Attribute(default=None, optional=True, largest=ID)


class PostBody(Model):
    """A post's content: in its collection, projected by no index."""

    entity = "PostBody"
    key = KeySpec(POST_PARTITION, POST_BODY_SORT)

    post_id: Attribute[str] = Attribute(largest=ID)
    content: Attribute[str] = Attribute(largest=wide(MAX_CONTENT))


class AuthorLink(Model):
    """A post's entry in its author's list (AP3): small and never rewritten by votes."""

    entity = "AuthorLink"
    key = KeySpec(POST_PARTITION, Template("OWNER"))
    indexes = (IndexKey(GSI1, KeySpec(USER_PARTITION, POST_PARTITION, {"user_id": "author_id"})),)

    post_id: Attribute[str] = Attribute(largest=ID)
    author_id: Attribute[str] = Attribute(largest=ID)


class Comment(Model):
    entity = "Comment"
    key = KeySpec(POST_PARTITION, COMMENT_SORT)
    indexes = (
        IndexKey(GSI1, KeySpec(USER_PARTITION, COMMENT_SORT, {"user_id": "author_id"})),  # AP5
    )

    id: Attribute[str] = Attribute(largest=ID)
    post_id: Attribute[str] = Attribute(largest=ID)
    author_id: Attribute[str] = Attribute(largest=ID)
    body: Attribute[str] = Attribute(largest=wide(MAX_BODY))
    created_at: Attribute[str] = Attribute(largest=STAMP)


class Vote(Model):
    entity = "Vote"
    key = KeySpec(POST_PARTITION, Template("VOTE#{user_id}", user_id=_ids("user id")))

    post_id: Attribute[str] = Attribute(largest=ID)
    user_id: Attribute[str] = Attribute(largest=ID)
    direction: Attribute[Direction] = Attribute(largest="DOWN")


class TagLink(Model):
    """Marks a post as carrying a tag: the item AP7 queries."""

    entity = "TagLink"
    key = KeySpec(POST_PARTITION, TAG_PARTITION)
    indexes = (IndexKey(GSI1, KeySpec(TAG_PARTITION, POST_PARTITION)),)

    post_id: Attribute[str] = Attribute(largest=ID)
    tag: Attribute[str] = Attribute(largest=TAGS[0])


# A tag as an importer stored it, even one today's rules reject (migration 0002 moves them).
STORED_TAG_SORT = TAG_PARTITION.relaxed(tag=Segment(lambda tag: tag))


class MigrationRun(Model):
    """A migration's record: running, applied or incomplete, with its totals."""

    bounded = False  # `singlet migrate`'s bookkeeping, on no request's path: never priced

    entity = "MigrationRun"
    key = KeySpec(MIGRATION_PARTITION, Template("RUN"))

    migration: Attribute[str] = Attribute()
    status: Attribute[str] = Attribute()
    segments: Attribute[int] = Attribute()
    started_at: Attribute[str | None] = Attribute(default=None, optional=True)
    finished_at: Attribute[str | None] = Attribute(default=None, optional=True)
    counts: Attribute[str | None] = Attribute(default=None, optional=True)  # JSON


class MigrationCheckpoint(Model):
    """A running migration's position in one Scan segment."""

    bounded = False  # as MigrationRun
    entity = "MigrationCheckpoint"
    key = KeySpec(
        MIGRATION_PARTITION,
        Template("SEGMENT#{segment}", segment=Segment(lambda n: f"{int(n):04d}", str)),
    )

    migration: Attribute[str] = Attribute()
    segment: Attribute[int] = Attribute()
    position: Attribute[str] = Attribute()  # JSON: the Scan's LastEvaluatedKey, or null
    done: Attribute[bool] = Attribute()
    counts: Attribute[str] = Attribute()  # JSON


class Bucket(Model):
    """A caller's budget of DynamoDB capacity (cost/limiter.py), as a generic cell rate
    algorithm keeps it: one number, the moment (in microseconds since the epoch) at which the
    bucket is full again. Taking n units moves it n / rate later; it may not move past now +
    capacity / rate. One item per caller: callers spread over the table's partitions."""

    entity = "Bucket"
    key = KeySpec(BUCKET_PARTITION, Template("BUCKET"))

    caller: Attribute[str] = Attribute(largest="user:" + SUBJECT)
    full_at: Attribute[int] = Attribute(largest=BIG)
    # When DynamoDB may delete it (TTL, in seconds): by then the bucket is full, as if absent.
    expires: Attribute[int] = Attribute(largest=BIG)
