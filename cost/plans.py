"""The write plans: each mutation's DynamoDB calls in order, priced at the largest items the
input limits allow (items a mutation creates from its input, exactly: ids are fixed-length)."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

from model import (
    Comment,
    InvalidInput,
    Post,
    PostBody,
    SubjectLink,
    TagLink,
    User,
    UsernameClaim,
    Vote,
)
from model.attrs import RawItem, marshal_item
from model.declarations import Model
from model.keys import SHAPE
from store.table import BATCH_WRITE_CONCURRENCY, BATCH_WRITE_LIMIT
from store.writes import NewPost, new_body, new_comment

from .billing import STRONG, batch_read_units, condition_check_units, query_read_units, write_units
from .bounds import ULID, largest, largest_item
from .prediction import At, Call, Rule

SWEEP_BOUND = 1_000  # deletePost's prediction assumes at most this many comments, votes, tags


class Step(NamedTuple):
    """One step of a write: `calls` calls of `operation` (several run BATCH_WRITE_CONCURRENCY
    at a time), with their worst-case units."""

    operation: str
    read_units: float
    write_units: float
    calls: int = 1

    @classmethod
    def read(cls, operation: str, units: float) -> Step:
        return cls(operation, units, 0.0)

    @classmethod
    def write(cls, operation: str, units: float, *, calls: int = 1) -> Step:
        return cls(operation, 0.0, units, calls)


# Rules: writes. Each mutation needs the caller's user id (the identity link) first, then
# makes its calls in order; the sizes are the largest the input limits allow.


def _changed(entity: type[Model], **attributes: RawItem) -> tuple[RawItem, RawItem]:
    before = largest_item(entity)
    return before, {**before, **attributes}


_OTHER = {"N": "8" * 38}  # another count of the same size
# What each kind of update changes on the largest item, by name.
_CHANGES: dict[str, RawItem] = {
    "vote": {Post.ups.name: _OTHER, Post.score.name: _OTHER},  # (score: GSI3's sort key)
    "count": {Post.comment_count.name: _OTHER},
    "version": {Post.version.name: _OTHER},
    "tags": {Post.tags.name: {"SS": ["z"]}, Post.version.name: _OTHER},
}


# Cached: a function of the declarations alone (the largest items are constants), and sizing
# every attribute of two items was a third of a vote's prediction, on every request.
@functools.cache
def _units(entity: type[Model], change: str | None, transactional: bool) -> float:
    """Write units of putting (change None) or changing (a `_CHANGES` kind) the largest
    `entity` item."""
    if change is None:
        return write_units(SHAPE, None, largest_item(entity), transactional).total
    before, after = _changed(entity, **_CHANGES[change])
    return write_units(SHAPE, before, after, transactional).total


@functools.cache
def _checked_user() -> float:
    """Write units of the condition check on the caller's user item."""
    return condition_check_units(largest_item(User)).total


def mutation(steps: Callable[[Call], list[Step]], *,
             subject_only: bool = False) -> Rule:  # fmt: skip
    """A mutation: its write's steps, in order."""

    def rule(call: Call) -> At:
        prediction = call.prediction
        if not prediction.signed_in:
            return At(0, call.parents.ready)  # refused: needs a token
        at = call.parents.ready
        if not subject_only:
            at = max(at, prediction.viewer_link())
        try:
            planned = steps(call)
        except InvalidInput:
            return At(1, at)  # the store refuses this input before it writes anything
        for step in planned:
            at += 1
            sequential = math.ceil(step.calls / BATCH_WRITE_CONCURRENCY) if step.calls > 1 else 1
            prediction.direct(at, step.operation, call.path, read_units=step.read_units,
                              write_units=step.write_units, calls=step.calls,
                              sequential=sequential)  # fmt: skip
        return At(1, at)

    return rule


def _input(call: Call) -> dict[str, Any]:
    value = call.args.get("input")
    return value if isinstance(value, dict) else {}


def create_user_steps(call: Call) -> list[Step]:
    writes = sum(_units(e, None, True) for e in (User, UsernameClaim, SubjectLink))
    return [Step.write("TransactWriteItems", writes)]


def _new(entity: Model) -> float:
    """Write units of putting `entity` in a transaction: items a mutation creates from its
    input are known to the byte before it runs (ids are fixed-length ULIDs)."""
    return write_units(SHAPE, None, marshal_item(entity.item()), True).total


def create_post_steps(call: Call) -> list[Step]:
    values = _input(call)
    new = NewPost.of(
        ULID, ULID, values.get("title", ""), values.get("content", ""), values.get("url"),
        values.get("tags") or (),
    )  # fmt: skip
    writes = _checked_user() + sum(map(_new, new.entities()))
    return [Step.write("TransactWriteItems", writes)]


def update_post_steps(call: Call) -> list[Step]:
    """The head alone (UpdateItem); with new content, the body too, in a transaction, and the
    head read back."""
    if _input(call).get("content") is None:
        return [Step.write("UpdateItem", _units(Post, "version", False))]
    body = new_body(ULID, _input(call)["content"])
    writes = _units(Post, "version", True) + _new(body)
    return [Step.write("TransactWriteItems", writes), Step.read("BatchGetItem", _strong(Post))]


def delete_post_steps(call: Call) -> list[Step]:
    """The mark, one Query of the item collection's keys, then deletes (see SWEEP_BOUND)."""
    mark = write_units(SHAPE, largest_item(Post), {}, False).total
    children = _units(PostBody, None, False) + SWEEP_BOUND * _units(Comment, None, False)
    batches = math.ceil(SWEEP_BOUND / BATCH_WRITE_LIMIT)
    return [
        Step.write("UpdateItem", mark),
        Step.read("Query", query_read_units([100 * SWEEP_BOUND], STRONG)),
        Step.write("BatchWriteItem", children, calls=batches),
        Step.write("BatchWriteItem", _units(Post, None, False)),
    ]


@functools.cache
def _strong(*entities: type[Model]) -> float:
    return batch_read_units([largest(e) for e in entities], STRONG)


def vote_steps(call: Call) -> list[Step]:
    writes = _units(Vote, None, True) + _units(Post, "vote", True)
    return [Step.read("BatchGetItem", _strong(Vote, Post)),
            Step.write("TransactWriteItems", writes)]  # fmt: skip


def tag_steps(call: Call) -> list[Step]:
    writes = _units(Post, "tags", True) + _units(TagLink, None, True)
    return [Step.write("TransactWriteItems", writes), Step.read("BatchGetItem", _strong(Post))]


def add_comment_steps(call: Call) -> list[Step]:
    comment = new_comment(ULID, ULID, ULID, _input(call).get("body", ""))
    writes = _checked_user() + _new(comment) + _units(Post, "count", True)
    return [Step.write("TransactWriteItems", writes)]


def delete_comment_steps(call: Call) -> list[Step]:
    writes = _units(Comment, None, True) + _units(Post, "count", True)
    return [Step.read("BatchGetItem", _strong(Comment, Post)),
            Step.write("TransactWriteItems", writes)]  # fmt: skip
