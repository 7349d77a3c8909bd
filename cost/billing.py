"""DynamoDB's billing rules as code: item sizes, read and write capacity units.

From the AWS DynamoDB Developer Guide: "DynamoDB item sizes and formats", "DynamoDB read and
write operations", "Global secondary indexes: provisioned throughput considerations" and
"Capacity management for transactions". These figures are what AWS bills (read and write
request units on demand, capacity units when provisioned). DynamoDB Local reports reads and
non-transactional writes by the same rules, but transactional writes at 4 units per KB where
AWS bills 2 (tests/store/test_cost.py measures both): never publish Local's write figures.

Items here are raw DynamoDB JSON (`{"title": {"S": "..."}}`), as requests and responses carry
them, so sizes are computed from exactly what DynamoDB stores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from model.attrs import AttributeValue
from model.shape import Shape

READ_BLOCK = 4 * 1024  # a read unit covers up to 4 KB
WRITE_BLOCK = 1024  # a write unit covers up to 1 KB
EVENTUAL, STRONG, TRANSACTIONAL = 0.5, 1.0, 2.0  # read units per 4 KB block


# Item sizes


def number_size(text: str) -> int:
    """AWS documents "approximately 1 byte per two significant digits, plus 1". DynamoDB
    stores base-100 digits aligned on the decimal point, plus a terminator byte for negative
    numbers shorter than 20 digit pairs: 1.5 takes 3 bytes, -1 takes 3 (measured on
    DynamoDB Local, tests/store/test_cost.py)."""
    sign, raw, exponent = Decimal(text).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, raw)).lstrip("0")
    significant = digits.rstrip("0")
    if not significant:
        return 1
    exponent += len(digits) - len(significant)
    integer_digits = len(significant) + exponent  # e: the value is 0.d1d2... x 10**e
    digits = significant
    pairs = math.ceil((len(digits) + integer_digits % 2) / 2)
    return 1 + pairs + (1 if sign and pairs < 20 else 0)


def value_size(value: AttributeValue) -> int:
    ((tag, inner),) = value.items()
    if tag == "S":
        return len(inner.encode())
    if tag == "N":
        return number_size(inner)
    if tag == "B":
        return len(inner)
    if tag in ("BOOL", "NULL"):
        return 1
    if tag == "SS":
        return sum(len(s.encode()) for s in inner)
    if tag == "NS":
        return sum(number_size(n) for n in inner)
    if tag == "BS":
        return sum(len(b) for b in inner)
    # Lists and maps: 3 bytes of overhead, plus 1 byte for each element.
    if tag == "L":
        return 3 + sum(1 + value_size(v) for v in inner)
    if tag == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in inner.items())
    raise ValueError(f"unknown DynamoDB type {tag}")


def item_size(item: Mapping[str, AttributeValue]) -> int:
    """Attribute names count as much as values."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


# Reads


def read_units(size: int, rate: float = EVENTUAL) -> float:
    """One GetItem of `size` bytes: 4 KB blocks, at least one (an absent item costs one)."""
    return max(1, math.ceil(size / READ_BLOCK)) * rate


def query_read_units(sizes: Iterable[int], rate: float = EVENTUAL) -> float:
    """A Query (or a Scan page) sums the sizes of the items it read, then rounds up. One that
    finds nothing costs nothing (DynamoDB Local; AWS documents no minimum)."""
    return math.ceil(sum(sizes) / READ_BLOCK) * rate


def batch_read_units(sizes: Iterable[int | None], rate: float = EVENTUAL) -> float:
    """BatchGetItem rounds every item up on its own. A key not found costs nothing
    (DynamoDB Local; AWS documents nothing for it)."""
    return sum(read_units(size, rate) for size in sizes if size is not None)


# Writes


def write_blocks(size: int) -> int:
    return max(1, math.ceil(size / WRITE_BLOCK))


@dataclass
class WriteUnits:
    table: float = 0.0
    indexes: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.table + sum(self.indexes.values())

    def add(self, other: WriteUnits) -> WriteUnits:
        self.table += other.table
        for name, units in other.indexes.items():
            self.indexes[name] = self.indexes.get(name, 0.0) + units
        return self


def write_units(
    shape: Shape,
    old: Mapping[str, AttributeValue] | None,
    new: Mapping[str, AttributeValue] | None,
    transactional: bool = False,
) -> WriteUnits:
    """One Put, Update or Delete that turns item `old` into `new` (None: absent).

    The table bills the larger of the two images (a delete bills the item deleted, at least
    one unit even if there was none). Each index bills its own entries: a put when the item
    enters it, a delete when it leaves, both when its key changes, one write when only
    projected attributes change, nothing when the write does not touch what it holds.
    Transactions bill every one of these twice (prepare and commit).
    """
    factor = 2.0 if transactional else 1.0
    biggest = max(item_size(old) if old else 0, item_size(new) if new else 0)
    units = WriteUnits(write_blocks(biggest) * factor)
    for index in shape.indexes:
        before, after = shape.entry(index, old), shape.entry(index, new)
        blocks = 0
        if before is None and after is not None:
            blocks = write_blocks(item_size(after))
        elif before is not None and after is None:
            blocks = write_blocks(item_size(before))
        elif before is not None and after is not None:
            if any(before[k] != after[k] for k in index.keys):
                blocks = write_blocks(item_size(before)) + write_blocks(item_size(after))
            elif before != after:
                blocks = write_blocks(max(item_size(before), item_size(after)))
        if blocks:
            units.indexes[index.name or ""] = blocks * factor
    return units


def condition_check_units(item: Mapping[str, AttributeValue] | None) -> WriteUnits:
    """A ConditionCheck in TransactWriteItems: a transactional read of the checked item
    (4 KB blocks, 2 units each; an absent item costs one block), billed as write units, on
    the table only. AWS documents nothing; DynamoDB Local bills twice this, like every
    transactional write, and a small item measured on AWS costs 2."""
    return WriteUnits(read_units(item_size(item) if item else 0, TRANSACTIONAL))
