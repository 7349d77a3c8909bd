"""Marshalling between plain Python values and DynamoDB's typed AttributeValue JSON.

Only the types the model uses: str, int, bool, None, sets of str, lists and maps.
(boto3's TypeSerializer would do this, but boto3 pins its own botocore next to aiobotocore's.)
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

AttributeValue = dict[str, Any]
RawItem = dict[str, AttributeValue]
Item = dict[str, Any]


def marshal(value: object) -> AttributeValue:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):  # before int: bool is an int
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, set | frozenset):
        if not value or not all(isinstance(v, str) for v in value):
            raise TypeError("only non-empty sets of strings can be stored")
        return {"SS": sorted(value)}
    if isinstance(value, list | tuple):
        return {"L": [marshal(v) for v in value]}
    if isinstance(value, Mapping):
        return {"M": {str(k): marshal(v) for k, v in value.items()}}
    raise TypeError(f"cannot store a {type(value).__name__}")


def unmarshal(value: AttributeValue) -> Any:
    ((tag, inner),) = value.items()
    if tag == "S":
        return inner
    if tag == "N":
        number = Decimal(inner)
        return int(number) if number == number.to_integral_value() else number
    if tag == "BOOL":
        return bool(inner)
    if tag == "NULL":
        return None
    if tag == "SS":
        return frozenset(inner)
    if tag == "L":
        return [unmarshal(v) for v in inner]
    if tag == "M":
        return {k: unmarshal(v) for k, v in inner.items()}
    raise TypeError(f"unsupported DynamoDB type {tag}")


def marshal_item(item: Mapping[str, object]) -> RawItem:
    return {name: marshal(value) for name, value in item.items()}


def unmarshal_item(raw: Mapping[str, Any]) -> Item:
    return {name: unmarshal(value) for name, value in raw.items()}
