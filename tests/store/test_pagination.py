from __future__ import annotations

import pytest

from model import InvalidInput
from model.pagination import check_page_size, decode_cursor, encode_cursor


def test_cursor_round_trip_is_opaque() -> None:
    position = {"PK": "POST#1", "SK": "COMMENT#2"}
    cursor = encode_cursor(position)
    assert "POST" not in cursor
    assert "=" not in cursor
    assert decode_cursor(cursor, ["SK", "PK"]) == position


@pytest.mark.parametrize(
    "cursor", ["", "!!!", "bm90IGpzb24", encode_cursor({"PK": "x"}), "WzEsMl0"]
)
def test_malformed_cursors_are_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput):
        decode_cursor(cursor, ["PK", "SK"])


@pytest.mark.parametrize("first", [0, -1, 101])
def test_page_size_bounds(first: int) -> None:
    with pytest.raises(InvalidInput):
        check_page_size(first)
