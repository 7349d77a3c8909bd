"""Input limits and the checks that enforce them, applied once, before anything is written.

Worst case (4-byte UTF-8 everywhere) a post's body stays near 200 KB and its head near 4 KB,
well under DynamoDB's 400 KB item limit (cost/bounds.py computes the exact figures).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from ulid import ULID

from .errors import InvalidInput
from .keys import check_tag

# The largest values the limits allow, which each attribute declares (Attribute(largest=...)):
# the cost model's worst cases are the items they make (cost/bounds.py). Strings are filled
# with 4-byte characters (the widest UTF-8 encodes), numbers with 38 digits (DynamoDB's most),
# ids with real ULIDs: a bound, never an average.
WIDE = "\U0001f600"  # 4 bytes in UTF-8
BIG = int("9" * 38)  # 38 significant digits: the largest number DynamoDB stores (20 bytes)
LARGEST_ID = "01KAZZZZZZZZZZZZZZZZZZZZZZ"  # every ULID is 26 ASCII characters (this one of 2025)
LARGEST_STAMP = "2026-11-21T00:00:00.000Z"


def wide(characters: int) -> str:
    """The largest string of `characters` characters, in bytes."""
    return WIDE * characters


MAX_TITLE = 200
MAX_CONTENT = 50_000
MAX_URL = 2_048
MAX_TAGS = 10
MAX_BODY = 10_000
MAX_DISPLAY_NAME = 100
MAX_BIO = 1_000


# What a field may hold. Control characters (Unicode Cc) and lone surrogates (which no
# encoding can store: DynamoDB would refuse the whole request) are refused everywhere; text
# that is one line (titles, display names) also refuses line and paragraph separators, while
# text of several lines (content, comments, bios) keeps tabs and line breaks.
_NOT_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_line(value: str, what: str, maximum: int, minimum: int = 1) -> str:
    """One line of text, as stored: without leading or trailing whitespace (a line break
    included). The limits apply to that stored value."""
    value = _check_characters(_string(value, what).strip(), what, _NOT_IN_LINE)
    return _check_length(value, what, minimum, maximum)


def check_text(value: str, what: str, maximum: int, minimum: int = 1) -> str:
    """Text of any number of lines, as stored: without trailing whitespace or leading blank
    lines (the first line's indentation stays: it may be meaningful, as in Markdown)."""
    value = _check_characters(_string(value, what).rstrip(), what, _NOT_IN_TEXT)
    lead = len(value) - len(value.lstrip())
    first_line = value.rfind("\n", 0, lead) + 1  # past the last line break of the lead
    return _check_length(value[first_line:], what, minimum, maximum)


def _string(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string")
    return value


def _check_characters(value: str, what: str, refused: re.Pattern[str]) -> str:
    found = refused.search(value)
    if found is not None:
        raise InvalidInput(
            f"{what} must not contain U+{ord(found.group()):04X} (a control character or a lone"
            f" surrogate), found at position {found.start()}"
        )
    return value


def _check_length(value: str, what: str, minimum: int, maximum: int) -> str:
    if not minimum <= len(value) <= maximum:
        raise InvalidInput(
            f"{what} must be {minimum}-{maximum} characters, without leading or trailing"
            f" whitespace ({len(value)} given)"
        )
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
