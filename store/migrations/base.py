"""What a migration is: which items it touches, the version it moves them to, and a pure,
idempotent change per item. The runner (runner.py) does all the I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..attrs import Item


@dataclass(frozen=True)
class Change:
    """What to write for one item: attributes to set and to remove on the item itself, and
    other items' writes (TransactWriteItems actions) that must happen with it, atomically."""

    set: dict[str, Any] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    also: list[dict[str, Any]] = field(default_factory=list)


class Migration:
    id: str
    description: str
    entities: tuple[str, ...]  # entity types it touches
    to_version: int  # the schema version it moves them to
    # Attributes the change is computed from: the write is conditional on them still
    # holding the values read, so a concurrent write is never overwritten (along with the
    # schema version and, when the item has one, its `version`).
    reads: tuple[str, ...] = ()

    def change(self, item: Item) -> Change:
        """The change for an item below `to_version`; raise InvalidInput if it cannot be
        migrated. Must depend only on the item (and `reads`), so a re-run is a no-op."""
        raise NotImplementedError
