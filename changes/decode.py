"""Changes from the table's stream: each record (NEW_AND_OLD_IMAGES) decoded by the entity
codecs into what changed, on which entity, and why: an API write or a migration's rewrite.

Every item written is a record; not every record is a change a client could see. Internal
items (username claims, subject links, author and tag links, migration records and
checkpoints) decode to no change: what they hold is on a public entity too (User.username,
Post.author_id, Post.tags). A post is its head and its body: a body write is a change of its
post. A post is deleted when its head is marked `deleting` (readers treat it as gone from
then on); the sweep that follows removes the head and its body (no change: already deleted),
its links (internal) and its comments and votes (each a deletion of its own).

What a change looks like to clients (global ids, GraphQL field names) is the API's to say:
api/stream.py makes the public events from these. docs/events.md has the whole mapping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from model.attrs import Item, unmarshal_item
from model.declarations import ENTITY, VERSION, Key, Model, decode
from model.entities import (
    AuthorLink,
    Bucket,
    Comment,
    MigrationCheckpoint,
    MigrationRun,
    Post,
    PostBody,
    SubjectLink,
    TagLink,
    User,
    UsernameClaim,
    Vote,
)
from model.errors import CorruptItem, InvalidInput, StoreError
from model.keys import TABLE
from store.migrations import MIGRATIONS, Migration

# The entities clients see, each the source of its own changes; a body changes its post.
PUBLIC: frozenset[type[Model]] = frozenset({User, Post, Comment, Vote})
PART_OF_POST: frozenset[type[Model]] = frozenset({PostBody})
# Bookkeeping: its content is on a public entity already, or it is the store's own.
INTERNAL: frozenset[type[Model]] = frozenset(
    {UsernameClaim, SubjectLink, AuthorLink, TagLink, MigrationRun, MigrationCheckpoint, Bucket}
)


class Undecodable(StoreError):
    """A stream record that is not a readable change of this table's items."""


class Kind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


@dataclass(frozen=True)
class StreamRecord:
    """What a change event is made from, in any of the shapes a record comes in: Lambda's
    event (ApproximateCreationDateTime in epoch seconds) or GetRecords' (a datetime)."""

    event_id: str  # the same on every delivery of this record: an event's id
    operation: str  # INSERT, MODIFY or REMOVE
    sequence: str  # its position in its shard; Lambda's itemIdentifier for a failure
    time: datetime  # ApproximateCreationDateTime, in UTC
    key: Key[Any]
    old: Item | None
    new: Item | None

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> StreamRecord:
        try:
            change = raw["dynamodb"]
            keys = unmarshal_item(change["Keys"])
            record = cls(
                event_id=str(raw["eventID"]),
                operation=str(raw["eventName"]),
                sequence=str(change["SequenceNumber"]),
                time=_moment(change["ApproximateCreationDateTime"]),
                key=Key(keys[TABLE.pk], keys[TABLE.sk]),
                old=unmarshal_item(change["OldImage"]) if "OldImage" in change else None,
                new=unmarshal_item(change["NewImage"]) if "NewImage" in change else None,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise Undecodable(f"not a DynamoDB stream record ({error!r})") from None
        # REMOVE has no new image and INSERT no old one; any other absence is a stream
        # configured without images, where no change can be told.
        expected = {"INSERT": (False, True), "MODIFY": (True, True), "REMOVE": (True, False)}
        if expected.get(record.operation) != (record.old is not None, record.new is not None):
            raise Undecodable(f"{record.operation} record without NEW_AND_OLD_IMAGES")
        return record


def sequence_of(raw: Mapping[str, Any]) -> str | None:
    """A raw record's sequence number, if it has one (even when the rest cannot be read)."""
    change = raw.get("dynamodb") if isinstance(raw, Mapping) else None
    number = change.get("SequenceNumber") if isinstance(change, Mapping) else None
    return number if isinstance(number, str) else None


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    seconds = float(value)
    if not math.isfinite(seconds):
        raise ValueError("ApproximateCreationDateTime is not a time")
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True)
class Change:
    """One public entity created, updated or deleted. `before` and `after` are the store's
    models: for a post, its head, or its body when the body changed. `migration` names the
    migration whose rewrite this is (None: an API write)."""

    record: StreamRecord
    entity: type[Model]
    kind: Kind
    before: Model | None
    after: Model | None
    migration: str | None = None


def change_of(record: StreamRecord) -> Change | None:
    """The change a record makes, or None when it changes nothing a client sees."""
    before, after = _decoded(record.old), _decoded(record.new)
    present = before if before is not None else after
    if present is None:
        raise Undecodable(f"{record.key}: a record without images")
    model = type(present)
    if after is not None and before is not None and type(after) is not model:
        raise Undecodable(f"{record.key}: a {model.entity} became a {type(after).entity}")
    if model in INTERNAL:
        return None
    if model is Post:
        return _head_change(record, before, after)
    if model in PART_OF_POST:
        if after is None:
            return None  # a body goes only with its post, whose head said so first
        body = _plain(record, model, before, after)
        if body is None:
            return None
        return Change(record, Post, Kind.UPDATED, before, after, body.migration)
    if model not in PUBLIC:
        raise Undecodable(f"{record.key}: no rule for {model.entity} items (changes/decode.py)")
    return _plain(record, model, before, after)


def _decoded(item: Item | None) -> Model | None:
    if item is None:
        return None
    try:
        return decode(item)
    except (CorruptItem, InvalidInput, KeyError, TypeError, ValueError) as error:
        raise Undecodable(f"{item.get(ENTITY)!r} item: {error}") from None


def _head_change(record: StreamRecord, before: Model | None, after: Model | None) -> Change | None:
    old = before if isinstance(before, Post) else None
    new = after if isinstance(after, Post) else None
    if old is not None and old.deleting:
        return None  # being deleted: its deletion was the change, the rest is the sweep
    if new is not None and new.deleting:
        return Change(record, Post, Kind.DELETED, old, None) if old is not None else None
    return _plain(record, Post, old, new)


def _plain(
    record: StreamRecord, model: type[Model], before: Model | None, after: Model | None
) -> Change | None:
    if before is None:
        return Change(record, model, Kind.CREATED, None, after)
    if after is None:
        return Change(record, model, Kind.DELETED, before, None)
    if before == after:
        return None  # only what the model does not hold moved: index keys, schemaVersion
    assert record.old is not None
    assert record.new is not None
    rewrite = rewritten_by(model, record.old, record.new)
    return Change(record, model, Kind.UPDATED, before, after, rewrite.id if rewrite else None)


def rewritten_by(model: type[Model], old: Item, new: Item) -> Migration | None:
    """The migration whose rewrite turned `old` into `new`, if one did.

    A migration's change is a pure function of the item (store/migrations/base.py), and the
    runner writes exactly that change plus the new schemaVersion, guarded on the values it
    was computed from. So replaying each candidate's change on the old image and comparing
    with the new one recognises its rewrite exactly, with nothing added to the items. The API
    never raises an item's schemaVersion in an update, so its writes never match.
    """
    version = new.get(VERSION)
    if not isinstance(version, int) or version <= int(old.get(VERSION, 1)):
        return None
    for migration in MIGRATIONS:
        if model not in migration.entities or migration.to_version != version:
            continue
        try:
            change = migration.change(old)
        except (InvalidInput, KeyError, TypeError, ValueError):
            continue
        removed = {attribute.name for attribute in change.remove}
        expected = {name: value for name, value in old.items() if name not in removed}
        expected.update({a.name: a.to_item(value) for a, value in change.set.items()})
        expected[VERSION] = migration.to_version
        if expected == new:
            return migration
    return None
