"""The largest item each entity can be under the input limits, as the table and each index
hold it: what the cost model's worst cases are computed from.

Strings are filled with 4-byte characters (the widest UTF-8 encodes), numbers with 38 digits
(DynamoDB's most; a negative score takes a byte more), ids with real ULIDs: a bound, never an
average. Items are those of the current schema versions (a post head written before v4,
still holding its content, is larger until migration 0003 moves it).
"""

from __future__ import annotations

import functools

from model import keys
from model.attrs import RawItem, marshal_item
from model.declarations import Model
from model.entities import (
    AuthorLink,
    Comment,
    Post,
    PostBody,
    SubjectLink,
    TagLink,
    User,
    UsernameClaim,
    Vote,
)
from model.limits import (
    MAX_BIO,
    MAX_BODY,
    MAX_CONTENT,
    MAX_DISPLAY_NAME,
    MAX_TAGS,
    MAX_TITLE,
    MAX_URL,
)
from model.shape import Index

from .billing import item_size

WIDE = "\U0001f600"  # 4 bytes in UTF-8
BIG = int("9" * 38)  # 38 significant digits: the largest number DynamoDB stores (20 bytes)
ULID = "01KAZZZZZZZZZZZZZZZZZZZZZZ"  # every ULID is 26 ASCII characters (this one of 2025)
STAMP = "2026-11-21T00:00:00.000Z"


def _wide(characters: int) -> str:
    return WIDE * characters


def _items() -> dict[type[Model], RawItem]:
    username = "u" * keys.MAX_USERNAME
    user = User(id=ULID, username=username, display_name=_wide(MAX_DISPLAY_NAME),
                bio=_wide(MAX_BIO), created_at=STAMP)  # fmt: skip
    # A subject takes 256 characters; '%' is escaped to 3 in its key, a 4-byte one stays 4.
    links = [SubjectLink(subject=s, user_id=ULID).item() for s in ("%" * 256, _wide(256))]
    tags = tuple(f"{n}{'a' * (keys.MAX_TAG - 1)}" for n in range(MAX_TAGS))
    url = "https://" + "u" * (MAX_URL - 8)  # URLs are ASCII (limits.check_url)
    post = Post(id=ULID, author_id=ULID, title=_wide(MAX_TITLE), url=url, tags=tags,
                ups=BIG, downs=BIG, version=BIG, comment_count=BIG, created_at=STAMP,
                updated_at=STAMP, score=-BIG, last_write=ULID)  # fmt: skip
    comment = Comment(id=ULID, post_id=ULID, author_id=ULID, body=_wide(MAX_BODY),
                      created_at=STAMP)  # fmt: skip
    entities: dict[type[Model], dict[str, object]] = {
        User: user.item(),
        UsernameClaim: UsernameClaim(username=username, user_id=ULID).item(),
        SubjectLink: max(links, key=lambda i: item_size(marshal_item(i))),
        Post: post.item(),
        PostBody: PostBody(post_id=ULID, content=_wide(MAX_CONTENT)).item(),
        AuthorLink: AuthorLink(post_id=ULID, author_id=ULID).item(),
        Comment: comment.item(),
        Vote: Vote(post_id=ULID, user_id=ULID, direction="DOWN").item(),
        TagLink: TagLink(post_id=ULID, tag=tags[0]).item(),
    }
    return {model: marshal_item(item) for model, item in entities.items()}


@functools.cache
def largest_items() -> dict[type[Model], RawItem]:
    return _items()


def largest_item(model: type[Model]) -> RawItem:
    return largest_items()[model]


# The cost model asks for these on every prediction, item by item: computed once each.
_LARGEST: dict[tuple[type[Model], Index | None], int] = {}


def largest(model: type[Model], index: Index | None = None) -> int:
    """Bytes of the largest `model` item as `index` holds it (None: the table)."""
    if (model, index) not in _LARGEST:
        entry = keys.SHAPE.entry(index or keys.TABLE, largest_item(model))
        if entry is None:
            raise ValueError(f"{model.entity} items are never in {index and index.name}")
        _LARGEST[model, index] = item_size(entry)
    return _LARGEST[model, index]
