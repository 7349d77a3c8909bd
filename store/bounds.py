"""The largest item each entity can be under the input limits, as the table and each index
hold it: what the cost model's worst cases are computed from.

Strings are filled with 4-byte characters (the widest UTF-8 encodes), numbers with 38 digits
(DynamoDB's most; a negative score takes a byte more), ids with real ULIDs: a bound, never an
average.
"""

from __future__ import annotations

import functools

from . import keys
from .attrs import RawItem, marshal_item
from .cost import Index, Shape, item_size, load_shape
from .entities import Comment, Post, User, Vote
from .items import comment_item, post_item, tag_item, user_items, vote_item
from .writes import (
    MAX_BIO,
    MAX_BODY,
    MAX_CONTENT,
    MAX_DISPLAY_NAME,
    MAX_TAGS,
    MAX_TITLE,
    MAX_URL,
)

WIDE = "\U0001f600"  # 4 bytes in UTF-8
BIG = int("9" * 38)  # 38 significant digits: the largest number DynamoDB stores (20 bytes)
ULID = "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"  # the largest ULID
STAMP = "2026-11-21T00:00:00.000Z"
LONGEST_TAG = "a" * keys.MAX_TAG
USERNAME = "u" * keys.MAX_USERNAME


def _wide(characters: int) -> str:
    return WIDE * characters


def _items() -> dict[str, RawItem]:
    user = User(ULID, USERNAME, _wide(MAX_DISPLAY_NAME), _wide(MAX_BIO), STAMP)
    user_item, claim, _ = user_items(user, "s")
    # A subject takes 256 characters; '%' is escaped to 3 in its key, a 4-byte one stays 4.
    links = [user_items(user, subject)[2] for subject in ("%" * 256, _wide(256))]
    tags = tuple(f"{n}{LONGEST_TAG[1:]}" for n in range(MAX_TAGS))
    post = Post(ULID, ULID, _wide(MAX_TITLE), _wide(MAX_CONTENT), _wide(MAX_URL), tags,
                BIG, BIG, BIG, BIG, STAMP, STAMP, -BIG)  # fmt: skip
    comment = Comment(ULID, ULID, ULID, _wide(MAX_BODY), STAMP)
    return {
        "User": marshal_item(user_item),
        "UsernameClaim": marshal_item(claim),
        "SubjectLink": max((marshal_item(i) for i in links), key=item_size),
        "Post": marshal_item(post_item(post)),
        "Comment": marshal_item(comment_item(comment)),
        "Vote": marshal_item(vote_item(Vote(ULID, ULID, "DOWN"))),
        "TagLink": marshal_item(tag_item(ULID, keys.check_tag(LONGEST_TAG))),
    }


@functools.cache
def largest_items() -> dict[str, RawItem]:
    return _items()


@functools.cache
def shape() -> Shape:
    return load_shape()


def largest_item(entity: str) -> RawItem:
    return largest_items()[entity]


def largest(entity: str, index: str | None = None) -> int:
    """Bytes of the largest `entity` item as `index` holds it (None: the table)."""
    table = shape()
    where: Index = table.index(index)
    entry = table.entry(where, largest_item(entity))
    if entry is None:
        raise ValueError(f"{entity} items are never in {index}")
    return item_size(entry)
