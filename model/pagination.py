"""Pages and opaque cursors.

A cursor is the key of the last item a page returned, as base64url JSON: clients never see
a raw LastEvaluatedKey. Decoding checks that the cursor names a position in the list being
read, so a cursor from another list is refused rather than silently followed. (The API signs
cursors on top of this: tamper-evidence is its job; shape and origin are checked here.)
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .errors import InvalidInput

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


Position = Mapping[str, str | int]  # the key attributes a cursor encodes


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    # One per item: where the next page starts if it ends there. Encoded into a cursor only
    # when asked for: most pages are read without their edges' cursors.
    positions: list[Position]
    has_next_page: bool

    def cursor(self, index: int) -> str:
        return encode_cursor(self.positions[index])

    @property
    def end_cursor(self) -> str | None:
        return self.cursor(-1) if self.positions else None


def check_page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise InvalidInput(f"first must be between 1 and {MAX_PAGE_SIZE}")
    return first


def encode_cursor(position: Position) -> str:
    raw = json.dumps(dict(position), separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, attributes: Sequence[str]) -> dict[str, Any]:
    """The position in `cursor`, which must name exactly these attributes (strings, or
    whole numbers for numeric keys such as GSI3's score)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise InvalidInput("malformed cursor") from error
    if (
        not isinstance(position, dict)
        or sorted(position) != sorted(attributes)
        or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in position.values())
    ):
        raise InvalidInput("malformed cursor")
    return position
