"""What a migration is: which items it touches, the version it moves them to, and a pure,
idempotent change per item. The runner (runner.py) does all the I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from model.attrs import Item
from model.declarations import Attribute, Model

from ..table import Write


@dataclass(frozen=True)
class Change:
    """What to write for one item: attributes to set and to remove on the item itself, and
    other items' writes that must happen with it, in one transaction."""

    set: Mapping[Attribute[Any], Any] = field(default_factory=dict)
    remove: tuple[Attribute[Any], ...] = ()
    also: tuple[Write, ...] = ()


class Migration:
    id: str
    description: str
    entities: tuple[type[Model], ...]  # the entity types it touches
    to_version: int  # the schema version it moves them to
    # Attributes the change is computed from: the write is conditional on them still
    # holding the values read (and on the item's schema version), so a concurrent write is
    # never overwritten. A post's `version` belongs here whenever it is a post.
    reads: tuple[Attribute[Any], ...] = ()

    def change(self, item: Item) -> Change:
        """The change for an item below `to_version`; raise InvalidInput if it cannot be
        migrated. Must depend only on the item (and `reads`), so a re-run is a no-op."""
        raise NotImplementedError
