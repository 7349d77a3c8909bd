"""The table's shape: its key schema and global secondary indexes with their projections, as
infra/template.yaml defines them (model/table.json is generated from it: `make schema`; a test
checks they agree)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .attrs import AttributeValue, RawItem

SHAPE_FILE = Path(__file__).with_name("table.json")


@dataclass(frozen=True)
class Index:
    name: str | None  # None: the table itself
    keys: tuple[str, ...]  # partition key, then sort key if any
    projection: str = "ALL"  # ALL, KEYS_ONLY or INCLUDE
    included: frozenset[str] = frozenset()

    @property
    def pk(self) -> str:
        return self.keys[0]

    @property
    def sk(self) -> str:
        return self.keys[1]


@dataclass(frozen=True)
class Shape:
    """The table's key schema and its global secondary indexes with their projections."""

    table: Index
    indexes: tuple[Index, ...] = ()

    @classmethod
    def from_definition(cls, definition: Mapping[str, Any]) -> Shape:
        """From CreateTable parameters (or the template's table properties)."""

        def keys(schema: list[dict[str, str]]) -> tuple[str, ...]:
            order = {"HASH": 0, "RANGE": 1}
            ordered = sorted(schema, key=lambda k: order[k["KeyType"]])
            return tuple(k["AttributeName"] for k in ordered)

        indexes = tuple(
            Index(
                gsi["IndexName"],
                keys(gsi["KeySchema"]),
                gsi["Projection"]["ProjectionType"],
                frozenset(gsi["Projection"].get("NonKeyAttributes", ())),
            )
            for gsi in definition.get("GlobalSecondaryIndexes", ())
        )
        return cls(Index(None, keys(definition["KeySchema"])), indexes)

    def index(self, name: str | None) -> Index:
        if name is None:
            return self.table
        for index in self.indexes:
            if index.name == name:
                return index
        raise KeyError(f"no index {name}")

    def entry(self, index: Index, item: Mapping[str, AttributeValue] | None) -> RawItem | None:
        """The item as `index` holds it: None when it lacks a key attribute (sparse)."""
        if item is None or any(k not in item for k in index.keys):
            return None
        if index.name is None or index.projection == "ALL":
            return dict(item)
        kept = {*self.table.keys, *index.keys}
        if index.projection == "INCLUDE":
            kept |= index.included
        return {k: v for k, v in item.items() if k in kept}


def load_shape(path: Path = SHAPE_FILE) -> Shape:
    return Shape.from_definition(json.loads(path.read_text()))
