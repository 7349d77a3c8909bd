"""Opaque global ids: base64url("Type:part[:part]"), resolvable by `node(id)`."""

from __future__ import annotations

import base64
import binascii

from model import InvalidInput


def global_id(type_name: str, *parts: str) -> str:
    raw = ":".join((type_name, *parts)).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parse_global_id(value: str) -> tuple[str, list[str]]:
    """The type name and key parts; InvalidInput for anything not made by `global_id`."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput("malformed id") from error
    type_name, _, rest = raw.partition(":")
    if not type_name or not rest:
        raise InvalidInput("malformed id")
    return type_name, rest.split(":")


def parse_typed_id(value: str, type_name: str, parts: int = 1) -> list[str]:
    """The key parts of an id that must be a `type_name` id."""
    found, key_parts = parse_global_id(value)
    if found != type_name or len(key_parts) != parts:
        raise InvalidInput(f"not a {type_name} id")
    return key_parts
