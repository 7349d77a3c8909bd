"""Entities declared once: their attributes, key templates and indexes (entities.py holds
the declarations). Everything else is derived from a declaration: the item an entity is
stored as, decoding with lazy defaults, keys built and parsed, and the attribute references
that condition and update expressions are made of. The idea is ElectroDB's and OneTable's
(single-table entities as a model, not as strings); the typed attributes are PynamoDB's.

    class Post(Model):
        entity = "Post"
        schema_version = 4
        key = KeySpec(POST_PARTITION, Template("#POST"), post_id="id")
        ups: Attribute[int] = Attribute()
        score: Attribute[int] = Attribute(since=2, lazy=lambda item: item["ups"] - ...)

`Post.ups` is the attribute (its DynamoDB name, `Post.ups.add(1)`), `post.ups` the value;
the constructor takes every attribute by keyword, checked by mypy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import (
    Any,
    ClassVar,
    Generic,
    NamedTuple,
    Self,
    TypeVar,
    dataclass_transform,
    overload,
)

from .errors import CorruptItem
from .expressions import Action, Condition
from .keys import TABLE
from .templates import IndexKey, KeySpec, inside

T = TypeVar("T")
M = TypeVar("M", bound="Model")

ENTITY = "entity"  # every item says which entity it is
VERSION = "schemaVersion"  # and the schema version it was written at
_MISSING: Any = object()
_STORED_KEY = "_stored_key"  # a decoded model's primary key, as the item carried it


def camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


# Keys


class Key(NamedTuple, Generic[M]):
    """A primary key; its type parameter says what entity it leads to."""

    pk: str
    sk: str


class Attribute(Generic[T]):
    """One attribute of an entity: its DynamoDB name (the camelCase of its field unless
    given), the schema version that introduced it, and for items written before that
    version its lazy default: a value, or `lazy`, a function of the old item. `optional`
    attributes are left out of the item while they hold their default (None, empty)."""

    def __init__(
        self,
        *,
        name: str | None = None,
        since: int = 1,
        default: T = _MISSING,
        lazy: Callable[[Mapping[str, Any]], T] | None = None,
        optional: bool = False,
        encode: Callable[[T], Any] | None = None,
        decode: Callable[[Any], T] | None = None,
        largest: T = _MISSING,
    ) -> None:
        self._name = name
        self.since = since
        self.default = default
        self.lazy = lazy
        self.optional = optional
        self.encoder = encode
        self.decoder = decode
        # The largest value the input limits allow (its default, when that is the largest an
        # item holds): what the cost model's worst case is made of (cost/bounds.py).
        self.largest = largest
        self.field = ""
        self.name = name or ""

    def __set_name__(self, owner: type, field_name: str) -> None:
        self.field = field_name
        self.name = self._name or camel(field_name)

    @overload
    def __get__(self, instance: None, owner: type) -> Attribute[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> Attribute[T] | T:
        if instance is None:
            return self
        value: T = instance.__dict__[self.field]
        return value

    def __set__(self, instance: object, value: T) -> None:
        raise AttributeError(f"{self.field} is read-only: use replace()")

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING or self.lazy is not None

    def fill(self, item: Mapping[str, Any]) -> T:
        return self.lazy(item) if self.lazy is not None else self.default

    def to_item(self, value: T) -> Any:
        return self.encoder(value) if self.encoder is not None else value

    def from_item(self, value: Any) -> T:
        return self.decoder(value) if self.decoder is not None else value

    # Update expressions

    def set(self, value: T) -> Action:
        stored = self.to_item(value)
        return Action("SET", lambda e: f"{e.name(self.name)} = {e.value(stored)}",
                      lambda item: item.get(self.name) == stored)  # fmt: skip

    def add(self, value: Any) -> Action:
        """ADD a number to a number, or elements to a set."""
        return Action("ADD", lambda e: f"{e.name(self.name)} {e.value(value)}")

    def delete(self, value: Any) -> Action:
        """DELETE elements from a set."""
        return Action("DELETE", lambda e: f"{e.name(self.name)} {e.value(value)}")

    def increment(self, by: int = 1) -> Action:
        return Action("SET", lambda e: f"{e.name(self.name)} = {e.name(self.name)} + {e.value(by)}")

    def shift(self, start: int, by: int) -> Action:
        """SET the attribute to itself plus `by`, or to `start` plus `by` if it is missing."""
        return Action(
            "SET",
            lambda e: (
                f"{e.name(self.name)} = if_not_exists({e.name(self.name)}, {e.value(start)})"
                f" + {e.value(by)}"
            ),
        )

    def remove(self) -> Action:
        return Action("REMOVE", lambda e: e.name(self.name), lambda item: self.name not in item)

    # Conditions

    def eq(self, value: T) -> Condition:
        return Condition(lambda e: f"{e.name(self.name)} = {e.value(self.to_item(value))}")

    def exists(self) -> Condition:
        return Condition(lambda e: f"attribute_exists({e.name(self.name)})")

    def absent(self) -> Condition:
        return Condition(lambda e: f"attribute_not_exists({e.name(self.name)})")

    def size_below(self, limit: int) -> Condition:
        return Condition(lambda e: f"size({e.name(self.name)}) < {e.value(limit)}")

    def __repr__(self) -> str:
        return f"Attribute({self.name})"


def _check_ranges(model: type[Model]) -> None:
    """An entity keyed inside a range that a Query reads for other entities would be read as
    one of them (the post page once answered 500 for it): refused where it is declared."""
    key = getattr(model, "key", None)
    if key is None or key.sk is None:
        return
    for low, high, expected in key.pk.ranges:
        if model.entity not in expected and inside(key.sk.prefix, low, high):
            raise TypeError(
                f"{model.entity}'s sort keys ({key.sk.pattern}) can fall inside {low!r}..{high!r},"
                f" the range a Query reads in {key.pk.pattern} partitions for"
                f" {', '.join(sorted(expected))} only: key it outside that range, or make that"
                " read expect it"
            )


def attribute_named(name: str) -> Attribute[Any]:
    """An attribute every item may have, not one entity's: a key attribute (GSI1SK) or the
    schema version, for expressions on any item."""
    attribute: Attribute[Any] = Attribute(name=name)
    attribute.field = name
    return attribute


# Models


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(Attribute,))
class Model:
    """Base of the entity declarations: values are immutable, set by keyword."""

    entity: ClassVar[str]
    schema_version: ClassVar[int] = 1
    key: ClassVar[KeySpec]
    indexes: ClassVar[tuple[IndexKey, ...]] = ()
    attributes: ClassVar[tuple[Attribute[Any], ...]]
    registry: ClassVar[dict[str, type[Model]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Attribute[Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Attribute):
                    found[name] = value
        cls.attributes = tuple(found.values())
        if "entity" in vars(cls):
            _check_ranges(cls)
            Model.registry[cls.entity] = cls
            cls.schema_version = max(cls.schema_version, *(a.since for a in cls.attributes))

    def __init__(self, **values: Any) -> None:
        for attribute in self.attributes:
            if attribute.field in values:
                value = values.pop(attribute.field)
            elif attribute.has_default and attribute.lazy is None:
                value = attribute.default
            else:
                raise TypeError(f"{type(self).__name__} needs {attribute.field}")
            self.__dict__[attribute.field] = value
        if values:
            raise TypeError(f"{type(self).__name__} has no {', '.join(values)}")

    def _values(self) -> tuple[Any, ...]:
        return tuple(self.__dict__[a.field] for a in self.attributes)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Model)
            and type(other) is type(self)
            and (self._values() == other._values())
        )

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{a.field}={self.__dict__[a.field]!r}" for a in self.attributes)
        return f"{type(self).__name__}({fields})"

    # False: bookkeeping no request reads or writes, which the cost model never prices.
    bounded: ClassVar[bool] = True

    @classmethod
    def largest(cls) -> Self:
        """The largest item of this entity the input limits allow, from each attribute's
        declared largest value; TypeError for an attribute that declares none."""
        missing = [a.field for a in cls.attributes if a.largest is _MISSING]
        if missing:
            raise TypeError(
                f"{cls.entity}: {', '.join(missing)} declare no largest value"
                " (Attribute(largest=...)): the cost model's worst case needs one"
            )
        return cls(**{a.field: a.largest for a in cls.attributes})

    def replace(self, **changes: Any) -> Self:
        return type(self)(**{**{a.field: self.__dict__[a.field] for a in self.attributes},
                             **changes})  # fmt: skip

    # Keys

    @classmethod
    def key_of(cls, **parts: object) -> Key[Self]:
        """The primary key from its parts (validated: user input cannot forge a key)."""
        spec = cls.key
        values = spec.values(lambda name: parts.get(name))
        sk = spec.sk.build(**values) if spec.sk else ""
        return Key(spec.pk.build(**values), sk)

    def primary_key(self) -> Key[Self]:
        return type(self).key_of(**{a.field: self.__dict__[a.field] for a in self.attributes})

    def read_key(self) -> Key[Self]:
        """The key the item was read under (decoded), else the primary key: what a cache of
        items read keys them by. Not for writes, which address the key the attributes make."""
        stored: Key[Self] | None = self.__dict__.get(_STORED_KEY)
        return self.primary_key() if stored is None else stored

    @classmethod
    def parse_key(cls, key: Key[Any]) -> dict[str, str]:
        spec = cls.key
        parts = spec.pk.parse(key.pk)
        if spec.sk is not None:
            parts.update(spec.sk.parse(key.sk))
        return {spec.aliases.get(k, k): v for k, v in parts.items()}

    def index_keys(self) -> dict[str, object]:
        """The index key attributes this item carries (the indexes it appears in)."""
        found: dict[str, object] = {}
        for index_key in self.indexes:
            derived = {name: fn(self) for name, fn in index_key.derive.items()}

            def value(name: str, derived: dict[str, object] = derived) -> object:
                return derived[name] if name in derived else self.__dict__[name]

            values = index_key.key.values(value)
            found[index_key.index.pk] = index_key.key.pk.build(**values)
            if index_key.key.sk is not None:
                found[index_key.index.sk] = index_key.key.sk.build(**values)
        return found

    # Items

    def item(self) -> dict[str, Any]:
        """The whole item: keys, index keys, entity type, version and attributes."""
        key = self.primary_key()
        table_pk, table_sk = self.key_attributes()
        item: dict[str, Any] = {table_pk: key.pk, table_sk: key.sk, **self.index_keys(),
                                ENTITY: self.entity, VERSION: self.schema_version}  # fmt: skip
        for attribute in self.attributes:
            value = attribute.to_item(self.__dict__[attribute.field])
            if attribute.optional and (value is None or value == attribute.default):
                continue
            item[attribute.name] = value
        return item

    @classmethod
    def key_attributes(cls) -> tuple[str, str]:
        return TABLE.pk, TABLE.sk

    @classmethod
    def decode(cls, item: Mapping[str, Any]) -> Self:
        """The entity in `item`; attributes newer than the item's version take their lazy
        defaults, an attribute missing where the version promises it is CorruptItem."""
        if item.get(ENTITY) != cls.entity:
            raise CorruptItem(f"expected a {cls.entity} item, found {item.get(ENTITY)!r}")
        version = int(item.get(VERSION, 1))
        values: dict[str, Any] = {}
        for attribute in cls.attributes:
            if attribute.name in item:
                values[attribute.field] = attribute.from_item(item[attribute.name])
            elif attribute.optional or version < attribute.since:
                if not attribute.has_default:
                    raise CorruptItem(f"{cls.entity}.{attribute.name} has no default")
                values[attribute.field] = attribute.fill(item)
            else:
                raise CorruptItem(f"{cls.entity} v{version} item lacks {attribute.name}")
        model = cls(**values)
        if TABLE.pk in item and TABLE.sk in item:
            # The key it was read under (read_key): the loaders prime their cache with it;
            # building it again from the attributes, segment by segment, costs more than decoding.
            model.__dict__[_STORED_KEY] = Key(item[TABLE.pk], item[TABLE.sk])
        return model


def decode(item: Mapping[str, Any]) -> Model:
    """Any item of the table, by its entity attribute."""
    model = Model.registry.get(str(item.get(ENTITY, "")))
    if model is None:
        raise CorruptItem(f"unknown entity {item.get(ENTITY)!r}")
    return model.decode(item)


def models() -> Iterator[type[Model]]:
    return iter(Model.registry.values())
