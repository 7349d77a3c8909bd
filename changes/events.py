"""Changes as events: what an API client would see change, an entity's public shape before and
after, as the GraphQL types expose it (resolvers/types.py: their own fields, by their GraphQL
names, with global ids), never key attributes or bookkeeping. changes/decode.py decides which
records are changes at all; docs/events.md is the schema, with examples.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from strawberry.types.base import get_object_definition
from strawberry.types.private import is_private

from model import entities
from model.declarations import Model
from model.ids import global_id
from resolvers import types

from .decode import Change, Kind, StreamRecord, Undecodable, change_of
from .publishers.eventbridge import Entry, fits

EVENT_VERSION = 1  # of the event's schema (docs/events.md): raised for any incompatible change

Shape = dict[str, Any]

# Public shapes


@functools.cache
def _fields(graphql_type: type) -> tuple[tuple[str, str], ...]:
    """A GraphQL type's own fields (not those with resolvers, which reach other objects or
    need a caller), as (Python name, GraphQL name)."""
    from resolvers.schema import schema

    names = schema.config.name_converter
    definition = get_object_definition(graphql_type, strict=True)
    return tuple((f.python_name, names.get_graphql_name(f)) for f in definition.fields
                 if f.base_resolver is None and not is_private(f.type))  # fmt: skip


def _value(value: Any) -> Any:
    """As the API serializes it (strawberry: DateTime by isoformat, enums by value)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def _own_fields(graphql_object: object) -> Shape:
    graphql_type: type = type(graphql_object)
    return {name: _value(getattr(graphql_object, attr))
            for attr, name in _fields(graphql_type)}  # fmt: skip


def shape(model: Model) -> Shape:
    """What clients see of an entity. Relations are ids (`authorId` where the API has
    `author`); a post's content is in the shapes of its body's changes, and in its head's
    only for a head written before schema v4, which still holds it."""
    if isinstance(model, entities.User):
        return _own_fields(types.User.of(model))
    if isinstance(model, entities.Post):
        found = _own_fields(types.Post.of(model))
        found["authorId"] = global_id("User", model.author_id)
        if model.content is not None:
            found["content"] = model.content
        return found
    if isinstance(model, entities.PostBody):
        return {"id": global_id("Post", model.post_id), "content": model.content}
    if isinstance(model, entities.Comment):
        found = _own_fields(types.Comment.of(model))
        found["postId"] = global_id("Post", model.post_id)
        found["authorId"] = global_id("User", model.author_id)
        return found
    if isinstance(model, entities.Vote):
        # The API has no Vote type (a vote shows as viewerVote, and in ups and downs): its id
        # has the global ids' form, but node(id) does not resolve it.
        return {
            "id": global_id("Vote", model.post_id, model.user_id),
            "postId": global_id("Post", model.post_id),
            "userId": global_id("User", model.user_id),
            "direction": model.direction,
        }
    raise Undecodable(f"no public shape for {type(model).__name__}")


# Events


def event_of(change: Change) -> dict[str, Any] | None:
    """The normalized event of a change; None when nothing public changed after all."""
    before = shape(change.before) if change.before is not None else None
    after = shape(change.after) if change.after is not None else None
    if change.kind is Kind.UPDATED and after is not None:
        # A post's first body: its content was not known before (no field but the id).
        before = before if before is not None else {"id": after["id"]}
        # A field only `before` has moved out of this item (a head's content, to the body):
        # the item that now holds it says so.
        changed = sorted(k for k, v in after.items() if k not in before or before[k] != v)
        if not changed:
            return None
    else:
        changed = sorted((after or before or {}).keys())
    changed = [name for name in changed if name != "id"]
    subject = after if after is not None else before
    assert subject is not None
    record = change.record
    return {
        "eventVersion": EVENT_VERSION,
        "id": record.event_id,
        "time": record.time.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "sequence": record.sequence,
        "entity": change.entity.entity,
        "entityId": subject["id"],
        "change": change.kind.value,
        "changed": changed,
        "before": before,
        "after": after,
        "cause": "migration" if change.migration else "api",
        "migration": change.migration,
    }


def normalize(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """A stream record (Lambda's shape) as its event, or None; Undecodable if it is none."""
    change = change_of(StreamRecord.parse(raw))
    return event_of(change) if change is not None else None


def entry_for(event: dict[str, Any], source: str) -> Entry:
    """The event as a PutEvents entry. One over EventBridge's size limit (a post's body edit
    can carry twice 200 KB) loses `before` fields, largest first, listed in `omitted`."""
    entry = _entry(event, source)
    before = event.get("before")
    if fits(entry) or not before:
        return entry
    trimmed, omitted = dict(before), []
    for name in sorted(trimmed, key=lambda n: -len(json.dumps(trimmed[n]))):
        if name == "id":
            continue
        del trimmed[name]
        omitted.append(f"before.{name}")
        entry = _entry({**event, "before": trimmed, "omitted": omitted}, source)
        if fits(entry):
            break
    return entry  # (still too large: the publisher reports it)


def _entry(event: dict[str, Any], source: str) -> Entry:
    detail = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    moment = datetime.fromisoformat(event["time"])
    return Entry(source, f"{event['entity']} {event['change']}", detail, moment, event["sequence"])
