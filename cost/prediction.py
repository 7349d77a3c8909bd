"""What an operation will cost, as its rules add it up: the prediction and the calls it is made
of (round trips as waves, the item loads of a wave sharing BatchGetItem calls of 100 keys, its
Queries side by side, a Query past DynamoDB's 1 MB page followed through LastEvaluatedKey).

Worst case means: every list full, every key distinct and present, every item as large as the
input limits allow (cost/bounds.py), priced by DynamoDB's billing rules (cost/billing.py). What
the loaders save at run time (cached items, short pages) makes the actual cost lower, never
higher; retries are reported apart and not predicted.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql.execution.collect_fields import FieldDetails

from model import InvalidInput, SubjectLink
from model.declarations import Model
from model.pagination import DEFAULT_PAGE_SIZE, check_page_size
from model.shape import Index
from store.table import BATCH_GET_LIMIT

from .billing import EVENTUAL, batch_read_units, query_read_units
from .bounds import largest

COST = "singlet.cost"  # the key of a field's rule in its Strawberry metadata
PAGE_BYTES = 1024 * 1024  # a Query returns at most 1 MB of items per call


# What rules see and say


@dataclass(frozen=True)
class At:
    """Values a field yields: how many (across all parents) and after which round trip."""

    count: int
    ready: int
    page: int = 1  # items in each connection, for its edges
    runtime: str | None = None  # the object type, when the field's type is an interface
    primed: Mapping[str, int] = field(default_factory=dict)  # connection field -> its `first`


@dataclass
class Call:
    """One field's call site: where a rule adds its cost."""

    path: str
    args: dict[str, Any]
    parents: At
    prediction: Prediction
    subfields: Callable[[str], dict[str, list[FieldDetails]]]  # by object type name
    arguments: Callable[[str, list[FieldDetails]], dict[str, Any]]  # of a subfield

    @property
    def first(self) -> int:
        return int(self.args.get("first", DEFAULT_PAGE_SIZE))

    @property
    def refused(self) -> bool:
        """The page size is out of range: the resolver refuses the field, calling nothing."""
        try:
            check_page_size(self.first)
        except InvalidInput:
            return True
        return False


Rule = Callable[[Call], At]


def cost(rule: Rule) -> dict[str, Any]:
    """A field's Strawberry metadata: its cost rule."""
    return {COST: rule}


# The prediction


@dataclass
class Wave:
    keys: int = 0  # BatchGetItem keys (eventually consistent, from the loaders)
    key_units: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)  # Queries and direct calls
    pages: int = 1  # the longest run of sequential calls in this wave
    units: float = 0.0
    write_units: float = 0.0
    items: int = 0

    @property
    def batch_calls(self) -> int:
        return math.ceil(self.keys / BATCH_GET_LIMIT)


@dataclass
class Contribution:
    calls: float = 0.0  # a share of a BatchGetItem counts keys / 100
    read_units: float = 0.0
    write_units: float = 0.0


@dataclass
class Prediction:
    waves: defaultdict[int, Wave] = field(default_factory=lambda: defaultdict(Wave))
    by_path: defaultdict[str, Contribution] = field(
        default_factory=lambda: defaultdict(Contribution)
    )
    signed_in: bool = False
    needs_viewer: bool = False  # the caller's identity link is loaded in the first wave

    # Figures

    @property
    def calls(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for wave in self.waves.values():
            total += wave.calls
            if wave.keys:
                total["BatchGetItem"] += wave.batch_calls
        return total

    @property
    def round_trips(self) -> int:
        return sum(w.pages for w in self.waves.values() if w.keys or w.calls)

    @property
    def items(self) -> int:
        return sum(w.items for w in self.waves.values())

    @property
    def read_units(self) -> float:
        return sum(w.units + w.key_units for w in self.waves.values())

    @property
    def write_units(self) -> float:
        return sum(w.write_units for w in self.waves.values())

    def summary(self) -> dict[str, Any]:
        return {
            "calls": dict(sorted(self.calls.items())),
            "roundTrips": self.round_trips,
            "items": self.items,
            "readUnits": self.read_units,
            "writeUnits": self.write_units,
        }

    def top(self, n: int = 3) -> list[dict[str, Any]]:
        """The paths that contribute most (calls first, then read units)."""
        ranked = sorted(
            self.by_path.items(),
            key=lambda kv: (kv[1].calls, kv[1].read_units),
            reverse=True,
        )
        return [
            {"path": path, "calls": math.ceil(c.calls), "readUnits": c.read_units}
            for path, c in ranked[:n]
            if c.calls or c.read_units
        ]  # fmt: skip

    # What rules add

    def load_items(self, at: int, entity: type[Model], count: int, path: str) -> None:
        """`count` keys for the items loader in wave `at` (AP1: BatchGetItem)."""
        if count <= 0:
            return
        units = count * batch_read_units([largest(entity)], EVENTUAL)
        wave = self.waves[at]
        wave.keys += count
        wave.key_units += units
        wave.items += count
        contribution = self.by_path[path]
        contribution.calls += count / BATCH_GET_LIMIT
        contribution.read_units += units

    def query(
        self,
        at: int,
        count: int,
        entries: Sequence[tuple[type[Model], Index | None, int]],
        path: str,
        rate: float = EVENTUAL,
    ) -> None:
        """`count` Queries in wave `at`, each reading up to `entries`: (entity, index, how
        many), following LastEvaluatedKey past 1 MB pages."""
        if count <= 0:
            return
        sizes = [largest(entity, index) for entity, index, n in entries for _ in range(n)]
        pages, units = _pages(sizes, rate)
        wave = self.waves[at]
        wave.calls["Query"] += count * pages
        wave.pages = max(wave.pages, pages)
        wave.units += count * units
        wave.items += count * len(sizes)
        contribution = self.by_path[path]
        contribution.calls += count * pages
        contribution.read_units += count * units

    def direct(
        self,
        at: int,
        operation: str,
        path: str,
        *,
        read_units: float = 0.0,
        write_units: float = 0.0,
        items: int = 0,
        calls: int = 1,
        sequential: int = 1,
    ) -> None:
        """A call the store makes itself (writes, consistent reads), in its own round trip."""
        wave = self.waves[at]
        wave.calls[operation] += calls
        wave.pages = max(wave.pages, sequential)
        wave.units += read_units
        wave.write_units += write_units
        wave.items += items
        contribution = self.by_path[path]
        contribution.calls += calls
        contribution.read_units += read_units
        contribution.write_units += write_units

    def viewer_link(self) -> int:
        """The caller's identity link: prefetched in the first wave. Returns that wave."""
        if not self.needs_viewer:
            self.needs_viewer = True
            self.load_items(1, SubjectLink, 1, "viewer")
        return 1


def _pages(sizes: list[int], rate: float) -> tuple[int, float]:
    """Query calls and read units to read items of `sizes` in order: a call returns items
    until their total passes 1 MB, the item that passes it included."""
    pages, units, page = 1, 0.0, 0
    for position, size in enumerate(sizes):
        page += size
        if page >= PAGE_BYTES and position < len(sizes) - 1:
            units += query_read_units([page], rate)
            pages, page = pages + 1, 0
    return pages, units + query_read_units([page], rate)
