"""One codec per entity: entity <-> item attributes, with lazy defaults.

Every item carries `entity` (its type) and `schemaVersion`. A field added in schema version N
declares `since=N` and a default; decoding an item written before N fills the default, so an
additive change needs no migration. A field missing from an item that should have it is a
CorruptItem, not a silent default.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .attrs import Item
from .entities import Comment, Entity, Post, SubjectLink, TagLink, User, UsernameClaim, Vote
from .errors import CorruptItem

E = TypeVar("E", bound=Entity)
F = TypeVar("F", bound=Entity)

ENTITY_ATTR = "entity"
VERSION_ATTR = "schemaVersion"

_REQUIRED: Any = object()


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


@dataclass(frozen=True)
class Field:
    name: str
    default: Any = _REQUIRED
    # Computes the default from the item instead (e.g. updatedAt defaults to createdAt).
    default_from: Callable[[Mapping[str, Any]], Any] | None = None
    since: int = 1
    # Absent on current items when it holds its default (None, an empty set).
    optional: bool = False
    to_item: Callable[[Any], Any] | None = None
    from_item: Callable[[Any], Any] | None = None

    @property
    def attr(self) -> str:
        return _camel(self.name)

    def fill(self, item: Mapping[str, Any]) -> Any:
        if self.default_from is not None:
            return self.default_from(item)
        return self.default


class Codec(Generic[E]):
    def __init__(self, cls: type[E], fields: tuple[Field, ...], version: int = 1) -> None:
        self.cls = cls
        self.entity = cls.__name__
        self.fields = fields
        # A version can also mark a change of values, not of fields (see POST).
        self.version = max(version, *(f.since for f in fields))
        names = {f.name for f in dataclasses.fields(cls)}
        missing = names - {f.name for f in fields}
        assert not missing, f"{self.entity} codec lacks fields {missing}"

    def evolve(self, cls: type[F], *added: Field) -> Codec[F]:
        """The codec of the next schema version: these fields added to `cls`."""
        return Codec(cls, self.fields + added, self.version)

    def encode(self, entity: E) -> Item:
        item: Item = {ENTITY_ATTR: self.entity, VERSION_ATTR: self.version}
        for f in self.fields:
            value = getattr(entity, f.name)
            if f.to_item is not None:
                value = f.to_item(value)
            if f.optional and value is None:
                continue
            item[f.attr] = value
        return item

    def decode(self, item: Mapping[str, Any]) -> E:
        version = int(item.get(VERSION_ATTR, 1))
        values: dict[str, Any] = {}
        for f in self.fields:
            if f.attr in item:
                value = item[f.attr]
                values[f.name] = f.from_item(value) if f.from_item is not None else value
            elif f.optional or version < f.since:
                if f.default is _REQUIRED and f.default_from is None:
                    raise CorruptItem(f"{self.entity}.{f.attr} has no default")
                values[f.name] = f.fill(item)
            else:
                raise CorruptItem(f"{self.entity} v{version} item lacks {f.attr}")
        return self.cls(**values)


def _tag_set(tags: tuple[str, ...]) -> frozenset[str] | None:
    return frozenset(tags) or None  # DynamoDB has no empty sets: absent means none


def _tag_tuple(tags: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(tags))


USER: Codec[User] = Codec(
    User,
    (
        Field("id"),
        Field("username"),
        Field("display_name"),
        Field("bio"),
        Field("created_at"),
    ),
)

POST: Codec[Post] = Codec(
    Post,
    (
        Field("id"),
        Field("author_id"),
        Field("title"),
        Field("content"),
        Field("url", default=None, optional=True),
        Field("tags", default=(), optional=True, to_item=_tag_set, from_item=_tag_tuple),
        Field("ups"),
        Field("downs"),
        Field("version"),
        Field("comment_count"),
        Field("created_at"),
        Field("updated_at"),
        # v2: the score for GSI3 (migration 0001 backfills it; reads never need to wait).
        Field("score", default_from=lambda item: item["ups"] - item["downs"], since=2),
    ),
    # v3: every tag is lower case (migration 0002 normalised imported tags).
    version=3,
)

COMMENT: Codec[Comment] = Codec(
    Comment,
    (Field("id"), Field("post_id"), Field("author_id"), Field("body"), Field("created_at")),
)

VOTE: Codec[Vote] = Codec(Vote, (Field("post_id"), Field("user_id"), Field("direction")))
TAG_LINK: Codec[TagLink] = Codec(TagLink, (Field("post_id"), Field("tag")))
SUBJECT_LINK: Codec[SubjectLink] = Codec(SubjectLink, (Field("subject"), Field("user_id")))
USERNAME_CLAIM: Codec[UsernameClaim] = Codec(UsernameClaim, (Field("username"), Field("user_id")))

CODECS: dict[str, Codec[Any]] = {
    c.entity: c for c in (USER, POST, COMMENT, VOTE, TAG_LINK, SUBJECT_LINK, USERNAME_CLAIM)
}


def decode(item: Mapping[str, Any]) -> Entity:
    """Decodes any item of the table by its entity attribute."""
    codec = CODECS.get(item.get(ENTITY_ATTR, ""))
    if codec is None:
        raise CorruptItem(f"unknown entity {item.get(ENTITY_ATTR)!r}")
    entity: Entity = codec.decode(item)
    return entity
