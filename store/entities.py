"""What the table holds, as plain immutable values. Keys are derived, never stored here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["UP", "DOWN"]


@dataclass(frozen=True)
class User:
    id: str
    username: str
    display_name: str
    bio: str
    created_at: str


@dataclass(frozen=True)
class Post:
    id: str
    author_id: str
    title: str
    content: str
    url: str | None
    tags: tuple[str, ...]
    ups: int
    downs: int
    version: int
    comment_count: int
    created_at: str
    updated_at: str
    score: int = 0  # ups - downs, kept as an attribute for GSI3 (AP9)


@dataclass(frozen=True)
class Comment:
    id: str
    post_id: str
    author_id: str
    body: str
    created_at: str


@dataclass(frozen=True)
class Vote:
    post_id: str
    user_id: str
    direction: Direction


@dataclass(frozen=True)
class TagLink:
    """Marks a post as carrying a tag: the item AP7 queries."""

    post_id: str
    tag: str


@dataclass(frozen=True)
class SubjectLink:
    """Links a token subject (the caller's identity) to its user."""

    subject: str
    user_id: str


@dataclass(frozen=True)
class UsernameClaim:
    """Holds a username (case-insensitively) for one user."""

    username: str
    user_id: str


Entity = User | Post | Comment | Vote | TagLink | SubjectLink | UsernameClaim
