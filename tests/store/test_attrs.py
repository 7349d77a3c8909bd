from __future__ import annotations

from decimal import Decimal

import pytest

from model.attrs import marshal, marshal_item, unmarshal, unmarshal_item


def test_round_trip_of_every_type_the_model_uses() -> None:
    item = {
        "s": "x",
        "n": 42,
        "neg": -1,
        "b": True,
        "none": None,
        "tags": frozenset({"b", "a"}),
        "l": [1, "two"],
        "m": {"k": 1},
    }
    raw = marshal_item(item)
    assert raw["n"] == {"N": "42"}
    assert raw["b"] == {"BOOL": True}  # not a number
    assert raw["tags"] == {"SS": ["a", "b"]}
    assert unmarshal_item(raw) == item


def test_fractional_numbers_stay_exact() -> None:
    assert unmarshal({"N": "1.5"}) == Decimal("1.5")


@pytest.mark.parametrize("bad", [frozenset(), 1.5, object()])
def test_values_dynamodb_cannot_hold_are_refused(bad: object) -> None:
    with pytest.raises(TypeError):
        marshal(bad)
