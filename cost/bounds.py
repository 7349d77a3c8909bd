"""The largest item each entity can be under the input limits, as the table and each index
hold it: what the cost model's worst cases are computed from.

Each attribute declares its largest value where the entity is declared (model/entities.py:
`Attribute(largest=...)`, from model/limits.py), so an attribute added without one fails the
entity's first prediction, and tests/store/test_cost.py checks every entity has them all.
Items are those of the current schema versions (a post head written before v4, still holding
its content, is larger until migration 0003 moves it).
"""

from __future__ import annotations

from model import keys
from model.attrs import RawItem, marshal_item
from model.declarations import Model
from model.limits import LARGEST_ID as ULID
from model.shape import Index

from .billing import item_size

__all__ = ["ULID", "largest", "largest_item"]


_ITEMS: dict[type[Model], RawItem] = {}


def largest_item(model: type[Model]) -> RawItem:
    """The largest `model` item, as DynamoDB holds it (made once: the declarations are
    constants)."""
    if model not in _ITEMS:
        _ITEMS[model] = marshal_item(model.largest().item())
    return _ITEMS[model]


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
