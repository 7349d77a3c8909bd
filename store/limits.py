"""Input limits and the checks that enforce them, applied once, before anything is written.

Worst case (4-byte UTF-8 everywhere) a post's body stays near 200 KB and its head near 4 KB,
well under DynamoDB's 400 KB item limit (store/bounds.py computes the exact figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ulid import ULID

from .errors import InvalidInput
from .keys import check_tag

MAX_TITLE = 200
MAX_CONTENT = 50_000
MAX_URL = 2_048
MAX_TAGS = 10
MAX_BODY = 10_000
MAX_DISPLAY_NAME = 100
MAX_BIO = 1_000


def check_text(value: str, what: str, maximum: int, minimum: int = 1) -> str:
    if not isinstance(value, str) or not minimum <= len(value.strip()) <= maximum:
        raise InvalidInput(f"{what} must be {minimum}-{maximum} characters")
    return value


def check_url(url: str) -> str:
    """An absolute http(s) URL, as RFC 3986 writes it: printable ASCII (an international
    address is percent-encoded), so it takes one byte a character."""
    parts = urlsplit(url) if isinstance(url, str) and url.isascii() else None
    if (
        parts is None
        or len(url) > MAX_URL
        or not url.isprintable()
        or " " in url
        or parts.scheme not in ("http", "https")
        or not parts.netloc
    ):
        raise InvalidInput(
            f"url must be an http(s) URL of at most {MAX_URL} printable ASCII characters"
        )
    return url


def check_tags(tags: Sequence[str]) -> tuple[str, ...]:
    unique = tuple(sorted({check_tag(t) for t in tags}))
    if len(unique) > MAX_TAGS:
        raise InvalidInput(f"a post has at most {MAX_TAGS} tags")
    return unique


def now() -> str:
    return _iso(datetime.now(UTC))


def created_at(entity_id: str) -> str:
    """Creation time from the ULID itself, so the two can never disagree."""
    return _iso(ULID.from_str(entity_id).datetime)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
