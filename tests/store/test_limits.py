"""Input limits hold for the value that is stored: trimming first, then the limits."""

from __future__ import annotations

import pytest

from model import InvalidInput
from model.limits import check_line, check_text


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("a" + " " * 100_000, "a"),
        ("  Hello, world \t", "Hello, world"),
        ("\u3000全角\u00a0", "全角"),  # Unicode whitespace is whitespace
        ("caf\u00e9 \U0001f600", "caf\u00e9 \U0001f600"),
        ("\u202eevil", "\u202eevil"),  # format characters are text (right-to-left scripts)
    ],
)
def test_a_line_is_stored_trimmed(given: str, stored: str) -> None:
    assert check_line(given, "title", 200) == stored


@pytest.mark.parametrize(
    "given",
    [
        "",
        " \t ",
        "x" * 201,
        "a\x00b",
        "a\nb",
        "a\rb",
        "tab\there",  # inside a line: refused
        "a\x1bb",  # ESC: terminal escapes
        "a\x85b",  # C1 control (NEL)
        "a\u2028b",  # line separator
        "a\ud800b",  # lone surrogate
    ],
)
def test_a_line_refuses(given: str) -> None:
    with pytest.raises(InvalidInput, match="title"):
        check_line(given, "title", 200)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("a" + " " * 400_000, "a"),
        ("\n\n  indented code\nnext\n\n", "  indented code\nnext"),
        ("line\r\nline\ttab", "line\r\nline\ttab"),
        (" \n \t\n x", " x"),
    ],
)
def test_text_keeps_its_lines_and_first_indent(given: str, stored: str) -> None:
    assert check_text(given, "content", 50_000) == stored


@pytest.mark.parametrize("given", ["", "\n \n", "a\x00", "a\x07", "a\x7f", "\udfff", "x" * 50_001])
def test_text_refuses(given: str) -> None:
    with pytest.raises(InvalidInput, match="content"):
        check_text(given, "content", 50_000)


def test_the_error_says_what_and_where() -> None:
    with pytest.raises(InvalidInput, match=r"U\+0007 .* position 5"):
        check_line("hello\x07", "title", 200)
    with pytest.raises(InvalidInput, match=r"1-200 characters.*\(201 given\)"):
        check_line(" " + "x" * 201 + " ", "title", 200)
