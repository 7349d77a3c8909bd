"""Key values: what may go into a key segment, and the table's key attributes.

Every value that reaches a key is either validated against a strict format (ids, usernames,
tags) or escaped (token subjects), so user input can never forge another item's key: '#' is
the separator and '%' the escape character. The key templates themselves are part of each
entity's declaration (entities.py); the key attribute names and indexes come from the
table's definition (infra/template.yaml, via model/table.json).
"""

from __future__ import annotations

import re
import zlib

from ulid import ULID

from .errors import InvalidInput
from .shape import load_shape

SHAPE = load_shape()
TABLE = SHAPE.table
GSI1 = SHAPE.index("GSI1")  # owner -> posts and comments; username -> user; tag -> posts
GSI2 = SHAPE.index("GSI2")  # the all-posts feed, write-sharded
GSI3 = SHAPE.index("GSI3")  # a user's posts by score (sparse: post heads only)
INDEXES = SHAPE.indexes

# AP6: posts spread over this many feed partitions, merged on read. Changing it needs a
# backfill of the feed key (see docs/data-model.md).
FEED_SHARDS = 4

MAX_USERNAME = 30
MAX_TAG = 32
MAX_SUBJECT_LENGTH = 256
_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
_USERNAME = re.compile(rf"[A-Za-z0-9_]{{3,{MAX_USERNAME}}}")
_TAG = re.compile(rf"[a-z0-9](?:[a-z0-9-]{{0,{MAX_TAG - 2}}}[a-z0-9])?")


def new_id() -> str:
    """A ULID: unique, and sorts by creation time (to the millisecond)."""
    return str(ULID())


def check_id(value: str, what: str = "id") -> str:
    if not isinstance(value, str) or not _ULID.fullmatch(value):
        raise InvalidInput(f"{what} is not a valid id")
    return value


def check_username(username: str) -> str:
    if not isinstance(username, str) or not _USERNAME.fullmatch(username):
        raise InvalidInput(f"username must be 3-{MAX_USERNAME} letters, digits or underscores")
    return username


def check_tag(tag: str) -> str:
    # Tags are not lower-cased for the caller: silently changing a key value hides bugs
    # and corrupts data. Upper case is rejected instead.
    if not isinstance(tag, str) or not _TAG.fullmatch(tag):
        raise InvalidInput(
            f"tag must be 1-{MAX_TAG} lower-case letters, digits or inner hyphens (like 'web-dev')"
        )
    return tag


def check_subject(subject: str) -> str:
    # Any identity provider's subject, but printable: it becomes a key.
    if (
        not isinstance(subject, str)
        or not 1 <= len(subject) <= MAX_SUBJECT_LENGTH
        or not subject.isprintable()
    ):
        raise InvalidInput(f"token subject must be 1-{MAX_SUBJECT_LENGTH} printable characters")
    return subject


def escape(value: str) -> str:
    """Makes any string safe as one key segment: '%' and '#' are percent-encoded."""
    return value.replace("%", "%25").replace("#", "%23")


def unescape(segment: str) -> str:
    return segment.replace("%23", "#").replace("%25", "%")


def feed_shard(post_id: str) -> int:
    return zlib.crc32(check_id(post_id, "post id").encode()) % FEED_SHARDS
