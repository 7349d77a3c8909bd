"""Condition and update expressions, built from attribute references, never from strings.

`Expr` collects the placeholders of one request (`#name`, `:v0`), so no caller formats them;
`Condition` and `Update` are built by the entities' attributes (model.py): `Post.ups.add(1)`,
`Post.version.eq(3) & Post.deleting.absent()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .attrs import marshal


class Expr:
    """The names and values of one request's expressions."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, attribute: str) -> str:
        placeholder = f"#{attribute}"
        self.names[placeholder] = attribute
        return placeholder

    def value(self, value: object) -> str:
        placeholder = f":v{len(self.values)}"
        self.values[placeholder] = marshal(value)
        return placeholder

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if self.names:
            params["ExpressionAttributeNames"] = self.names
        if self.values:
            params["ExpressionAttributeValues"] = self.values
        return params


Render = Callable[[Expr], str]


@dataclass(frozen=True)
class Condition:
    render: Render

    def __and__(self, other: Condition) -> Condition:
        return Condition(lambda e: f"({self.render(e)} AND {other.render(e)})")

    def __or__(self, other: Condition) -> Condition:
        return Condition(lambda e: f"({self.render(e)} OR {other.render(e)})")


@dataclass(frozen=True)
class Action:
    """One clause of an update expression: SET, ADD, REMOVE or DELETE. `holds` says whether
    an item already shows the clause's effect, where that can be told from the item alone
    (a SET of a value, a REMOVE; not an increment)."""

    verb: str
    render: Render
    holds: Callable[[Mapping[str, Any]], bool] | None = None


@dataclass(frozen=True)
class Update:
    actions: tuple[Action, ...]

    def __init__(self, *actions: Action) -> None:
        object.__setattr__(self, "actions", actions)

    def __add__(self, other: Update) -> Update:
        return Update(*self.actions, *other.actions)

    def holds(self, item: Mapping[str, Any]) -> bool:
        """The item shows every clause's effect (False if one cannot be told)."""
        return all(a.holds is not None and a.holds(item) for a in self.actions)

    def render(self, expr: Expr) -> str:
        clauses: dict[str, list[str]] = {}
        for action in self.actions:
            clauses.setdefault(action.verb, []).append(action.render(expr))
        return " ".join(f"{verb} {', '.join(parts)}" for verb, parts in clauses.items())


def item_exists(key_attribute: str) -> Condition:
    """The item is there (its key attribute exists)."""
    return Condition(lambda e: f"attribute_exists({e.name(key_attribute)})")


def item_absent(key_attribute: str) -> Condition:
    return Condition(lambda e: f"attribute_not_exists({e.name(key_attribute)})")
