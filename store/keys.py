"""Key templates: the only place that builds key strings (see docs/data-model.md).

Every value that reaches a key is either validated against a strict format (ids, usernames,
tags) or escaped (token subjects), so user input can never forge another item's key: '#' is
the separator and '%' the escape character.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from typing import NamedTuple

from ulid import ULID

from .errors import InvalidInput

# Attribute names of the table and its indexes; infra/template.yaml defines them and
# tests/store/test_schema.py checks that the two agree.
PK, SK = "PK", "SK"


@dataclass(frozen=True)
class Index:
    name: str | None  # None: the table itself
    pk: str
    sk: str


TABLE = Index(None, PK, SK)
GSI1 = Index("GSI1", "GSI1PK", "GSI1SK")  # owner → posts/comments; username; tag → posts
GSI2 = Index("GSI2", "GSI2PK", "GSI2SK")  # the all-posts feed, write-sharded
GSI3 = Index("GSI3", "GSI1PK", "score")  # a user's posts by score (sparse: posts only)
INDEXES = (GSI1, GSI2, GSI3)

# AP6: posts spread over this many feed partitions, merged on read. Changing it needs a
# backfill of GSI2PK (see docs/data-model.md).
FEED_SHARDS = 4


class Key(NamedTuple):
    pk: str
    sk: str


MAX_USERNAME = 30
MAX_TAG = 32
_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_USERNAME = re.compile(rf"[A-Za-z0-9_]{{3,{MAX_USERNAME}}}")
_TAG = re.compile(rf"[a-z0-9](?:[a-z0-9-]{{0,{MAX_TAG - 2}}}[a-z0-9])?")
MAX_SUBJECT_LENGTH = 256


def new_id() -> str:
    """A ULID: unique, and sorts by creation time (to the millisecond)."""
    return str(ULID())


def check_id(value: str, what: str = "id") -> str:
    if not isinstance(value, str) or not _ULID.fullmatch(value):
        raise InvalidInput(f"{what} is not a valid id")
    return value


def check_username(username: str) -> str:
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        raise InvalidInput("username must be 3-30 letters, digits or underscores")
    return username


def check_tag(tag: str) -> str:
    # Tags are not lower-cased for the caller: silently changing a key value hides bugs
    # and corrupts data. Upper case is rejected instead.
    if not isinstance(tag, str) or not _TAG.fullmatch(tag):
        raise InvalidInput(
            "tag must be 1-32 lower-case letters, digits or inner hyphens (like 'web-dev')"
        )
    return tag


def escape(value: str) -> str:
    """Makes any string safe as one key segment: '%' and '#' are percent-encoded."""
    return value.replace("%", "%25").replace("#", "%23")


def unescape(segment: str) -> str:
    return segment.replace("%23", "#").replace("%25", "%")


def check_subject(subject: str) -> str:
    if not isinstance(subject, str) or not subject or len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidInput(f"token subject must be 1-{MAX_SUBJECT_LENGTH} characters")
    return subject


# Primary keys, one function per entity.


def user_key(user_id: str) -> Key:
    return Key(f"USER#{check_id(user_id, 'user id')}", "USER")


# "#" sorts before "COMMENT#": the post heads its item collection, so one Query returns the
# post and its first comments together (post_with_comments).
POST_SK = "#POST"


def post_key(post_id: str) -> Key:
    return Key(post_partition(post_id), POST_SK)


def comment_key(post_id: str, comment_id: str) -> Key:
    return Key(post_partition(post_id), f"COMMENT#{check_id(comment_id, 'comment id')}")


def vote_key(post_id: str, user_id: str) -> Key:
    return Key(post_partition(post_id), f"VOTE#{check_id(user_id, 'user id')}")


def tag_key(post_id: str, tag: str) -> Key:
    return Key(post_partition(post_id), f"TAG#{check_tag(tag)}")


def stored_tag_key(post_id: str, tag: str) -> Key:
    """The key of a tag item as it was stored, even one today's rules reject (migrations)."""
    if "#" in tag or not tag:
        raise InvalidInput("a stored tag never holds the separator")
    return Key(post_partition(post_id), f"TAG#{tag}")


def username_key(username: str) -> Key:
    """The marker item that makes usernames unique regardless of case."""
    return Key(f"USERNAME#{check_username(username).lower()}", "USERNAME")


def subject_key(subject: str) -> Key:
    """The marker item linking a token subject (identity) to its user."""
    return Key(f"SUBJECT#{escape(check_subject(subject))}", "SUBJECT")


def migration_run_key(migration_id: str) -> Key:
    """A migration's record: applied or running, with its totals."""
    return Key(f"MIGRATION#{escape(migration_id)}", "RUN")


def migration_segment_key(migration_id: str, segment: int) -> Key:
    """A running migration's checkpoint for one Scan segment."""
    return Key(f"MIGRATION#{escape(migration_id)}", f"SEGMENT#{segment:04d}")


# Partitions and sort-key prefixes the queries use.


def post_partition(post_id: str) -> str:
    """A post's item collection: the post, its comments, votes and tags (AP4)."""
    return f"POST#{check_id(post_id, 'post id')}"


def owner_partition(user_id: str) -> str:
    """GSI1 partition of everything a user wrote (AP3, AP5)."""
    return f"USER#{check_id(user_id, 'user id')}"


def username_partition(username: str) -> str:
    """GSI1 partition holding the user item for a username (AP2)."""
    return f"USERNAME#{check_username(username).lower()}"


def tag_partition(tag: str) -> str:
    """GSI1 partition of a tag's posts (AP7)."""
    return f"TAG#{check_tag(tag)}"


def feed_shard(post_id: str) -> int:
    return zlib.crc32(check_id(post_id, "post id").encode()) % FEED_SHARDS


def feed_partition(shard: int) -> str:
    """GSI2 partition of one feed shard (AP6)."""
    return f"FEED#{shard}"


POST_PREFIX = "POST#"
COMMENT_PREFIX = "COMMENT#"
VOTE_PREFIX = "VOTE#"
TAG_PREFIX = "TAG#"


# Index keys carried by each item type.


def user_index_keys(username: str) -> dict[str, str]:
    return {GSI1.pk: username_partition(username), GSI1.sk: "USER"}


def post_index_keys(post_id: str, author_id: str) -> dict[str, str]:
    return {
        GSI1.pk: owner_partition(author_id),
        GSI1.sk: POST_PREFIX + post_id,
        GSI2.pk: feed_partition(feed_shard(post_id)),
        GSI2.sk: post_id,
    }


def comment_index_keys(comment_id: str, author_id: str) -> dict[str, str]:
    return {GSI1.pk: owner_partition(author_id), GSI1.sk: COMMENT_PREFIX + comment_id}


def tag_index_keys(post_id: str, tag: str) -> dict[str, str]:
    return {GSI1.pk: tag_partition(tag), GSI1.sk: POST_PREFIX + post_id}


def key_item(key: Key) -> dict[str, str]:
    """The key as item attributes."""
    return {PK: key.pk, SK: key.sk}
