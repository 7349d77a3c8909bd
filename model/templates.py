"""Key templates: how an entity's keys are spelled ("POST#{post_id}"), built from its values
and parsed back, and the index keys an entity declares."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidInput
from .shape import Index


@dataclass(frozen=True)
class Segment:
    """How a value becomes one key segment (`encode` validates, or escapes, and may raise
    InvalidInput) and back."""

    encode: Callable[[str], str]
    decode: Callable[[str], str] = lambda segment: segment


class Template:
    """A key string with placeholders, e.g. "POST#{post_id}": built from values through
    their segments, parsed back into them. Its constant start is its `prefix`."""

    _PLACEHOLDER = re.compile(r"\{(\w+)\}")

    def __init__(self, pattern: str, **segments: Segment) -> None:
        self.pattern = pattern
        self.fields = tuple(self._PLACEHOLDER.findall(pattern))
        missing = set(self.fields) - set(segments)
        assert not missing, f"{pattern}: no segment for {missing}"
        self.segments = segments
        self.prefix = pattern.split("{", 1)[0]
        # Sort-key ranges a Query reads in partitions of this template, each with the entities
        # it expects there (`reads`): any other entity keyed inside one fails at its class.
        self.ranges: list[tuple[str, str, frozenset[str]]] = []
        regex = re.escape(pattern)
        for name in self.fields:
            regex = regex.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^#]*)")
        self._regex = re.compile(regex)

    def reads(self, low: str, high: str, *entities: str) -> None:
        """Declares that a Query reads sort keys `low`..`high` of these partitions, expecting
        only `entities` there."""
        self.ranges.append((low, high, frozenset(entities)))

    def build(self, **values: object) -> str:
        text = self.pattern
        for name in self.fields:
            value = values.get(name)
            if not isinstance(value, str | int):
                raise InvalidInput(f"{name} is missing from {self.pattern}")
            text = text.replace("{" + name + "}", self.segments[name].encode(str(value)), 1)
        return text

    def parse(self, text: str) -> dict[str, str]:
        match = self._regex.fullmatch(text)
        if match is None:
            raise InvalidInput(f"{text!r} is not a {self.pattern} key")
        return {k: self.segments[k].decode(v) for k, v in match.groupdict().items()}

    def matches(self, text: str) -> bool:
        return self._regex.fullmatch(text) is not None

    def relaxed(self, **segments: Segment) -> Template:
        """The same pattern with other segments (to address items today's rules reject)."""
        return Template(self.pattern, **{**self.segments, **segments})

    def __repr__(self) -> str:
        return f"Template({self.pattern!r})"


@dataclass(frozen=True)
class KeySpec:
    """An index's key for an entity: partition and sort templates. Placeholders name the
    entity's attributes, or `aliases` map them to one (the post partition's post_id is a
    Post's own `id`). A sort key of None is an attribute of the entity itself (GSI3 sorts
    by `score`)."""

    pk: Template
    sk: Template | None
    aliases: Mapping[str, str] = field(default_factory=dict)

    def values(self, source: Callable[[str], object]) -> dict[str, object]:
        names = {*self.pk.fields, *(self.sk.fields if self.sk else ())}
        return {name: source(self.aliases.get(name, name)) for name in names}


@dataclass(frozen=True)
class IndexKey:
    """An entity appears in `index` under `key`; `derive` computes placeholders that are
    not attributes (the feed shard)."""

    index: Index
    key: KeySpec
    derive: Mapping[str, Callable[[Any], object]] = field(default_factory=dict)


# Attributes


def inside(prefix: str, low: str, high: str) -> bool:
    """Can a sort key that starts with `prefix` fall within `low`..`high` (inclusive)?"""
    return prefix <= high and (low <= prefix or low.startswith(prefix))
