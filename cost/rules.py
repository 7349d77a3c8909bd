"""The read rules: each field's access pattern, as the calls it adds to the prediction.

A field declares its rule next to its resolver (`metadata=cost(page(Post, GSI2, queries=4))`);
the walk (cost/walk.py) calls it with the field's parents and arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from model import Comment, InvalidInput, Post, PostBody, User
from model.declarations import Model
from model.ids import parse_global_id
from model.keys import GSI1
from model.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from model.shape import Index

from .prediction import At, Call, Rule, cost

__all__ = ["cost"]  # the metadata of a field, with its rule


def item(entity: type[Model]) -> Rule:
    """AP1: one item per parent, through the items loader."""

    def rule(call: Call) -> At:
        at = call.parents.ready + 1
        call.prediction.load_items(at, entity, call.parents.count, call.path)
        return At(call.parents.count, at)

    return rule


def page(entity: type[Model], index: Index | None, queries: int = 1) -> Rule:
    """A connection read with `queries` Queries per page (AP3-AP6, AP9), Limit first + 1."""

    def rule(call: Call) -> At:
        if call.refused:
            return At(0, call.parents.ready)
        at = call.parents.ready + 1
        entries = [(entity, index, call.first + 1)]
        call.prediction.query(at, call.parents.count * queries, entries, call.path)
        return At(call.parents.count, at, page=call.first)

    return rule


def comments_page(call: Call) -> At:
    """AP4, unless the post's own Query brought this page already (post(id) looks ahead)."""
    if call.refused:
        return At(0, call.parents.ready)
    if call.args.get("after") is None and call.parents.primed.get("comments") == call.first:
        return At(call.parents.count, call.parents.ready, page=call.first)
    return page(Comment, None)(call)


def ids_then_items(entity: type[Model], link: type[Model], index: Index) -> Rule:
    """AP7: a Query of link items, then the items they name in the next wave."""

    def rule(call: Call) -> At:
        if call.refused:
            return At(0, call.parents.ready)
        at = call.parents.ready + 1
        entries = [(link, index, call.first + 1)]
        call.prediction.query(at, call.parents.count, entries, call.path)
        call.prediction.load_items(at + 1, entity, call.parents.count * call.first, call.path)
        return At(call.parents.count, at + 1, page=call.first)

    return rule


def user_lookup(call: Call) -> At:
    """user(id | username): AP1 by id, AP2 (a Query on GSI1, Limit 1) by username."""
    if call.args.get("username") is None:
        return item(User)(call)
    at = call.parents.ready + 1
    call.prediction.query(at, call.parents.count, [(User, GSI1, 1)], call.path)
    return At(call.parents.count, at)


_NODE_TYPES: dict[str, type[Model]] = {"User": User, "Post": Post, "Comment": Comment}


def node(call: Call) -> At:
    """node(id): the id names the type, and the type the item."""
    try:
        type_name, _ = parse_global_id(str(call.args["id"]))
    except InvalidInput:
        return At(0, call.parents.ready)  # refused by the resolver: no call
    if type_name not in _NODE_TYPES:
        return At(0, call.parents.ready)
    found = item(_NODE_TYPES[type_name])(call)
    return At(found.count, found.ready, runtime=type_name)


@dataclass(frozen=True)
class PostRead:
    """How post(id) reads, decided here once from what its selection asks: the resolver
    (resolvers/query.py) reads this way and the `post` rule prices it."""

    comments: int | None  # `first`: the head, the body and that page in one Query (AP1+AP4)
    content: bool  # the head and the body in one batch (AP1)


def post_read(selected: Mapping[str, Sequence[Mapping[str, Any]]]) -> PostRead:
    """From the post's subfields by name, each with the arguments of its selections (aliases
    are selections too): one page of comments, from the start, when every selection of
    `comments` asks for the same one; else the body with the head when `content` is asked."""
    firsts = {
        -1 if args.get("after") is not None else int(args.get("first", DEFAULT_PAGE_SIZE))
        for args in selected.get("comments", ())
    }
    if len(firsts) == 1 and 1 <= (first := next(iter(firsts))) <= MAX_PAGE_SIZE:
        return PostRead(first, content=True)
    return PostRead(None, content="content" in selected)


def post(call: Call) -> At:
    """post(id), as post_read decides: one Query for the head, the body and the first page of
    comments (Limit first + 3); or the head and the body in a batch; otherwise AP1."""
    selected: dict[str, list[dict[str, Any]]] = {}
    for details in call.subfields("Post").values():
        name = details[0].node.name.value
        arguments = call.arguments("Post", details) if name == "comments" else {}
        selected.setdefault(name, []).append(arguments)
    read = post_read(selected)
    at = call.parents.ready + 1
    if read.comments is not None:
        entries = [(Post, None, 1), (PostBody, None, 1), (Comment, None, read.comments + 1)]
        call.prediction.query(at, call.parents.count, entries, call.path)
        return At(call.parents.count, at, primed={"comments": read.comments, "content": 1})
    if read.content:
        call.prediction.load_items(at, Post, call.parents.count, call.path)
        call.prediction.load_items(at, PostBody, call.parents.count, call.path)
        return At(call.parents.count, at, primed={"content": 1})
    return item(Post)(call)


def content(call: Call) -> At:
    """A post's content: in its body (the next wave), unless the post's read brought it."""
    if "content" in call.parents.primed:
        return At(call.parents.count, call.parents.ready)
    return item(PostBody)(call)


def viewers(entity: type[Model]) -> Rule:
    """An item keyed by the caller's user id: the identity link comes first (in the first
    wave), then `entity` for each parent (the viewer's User; AP8, their Vote on each post).
    Anonymous callers get null without a call."""

    def rule(call: Call) -> At:
        if not call.prediction.signed_in:
            return At(0, call.parents.ready)
        at = max(call.parents.ready, call.prediction.viewer_link()) + 1
        call.prediction.load_items(at, entity, call.parents.count, call.path)
        return At(call.parents.count, at)

    return rule


def edges(call: Call) -> At:
    return At(call.parents.count * call.parents.page, call.parents.ready)
