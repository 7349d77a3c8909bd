"""The blog's model, no I/O: entities declared once (entities.py) and what derives from them
(declarations.py: items, keys, attributes), key values (keys.py), input limits (limits.py),
the table's shape (shape.py), cursors (pagination.py), global ids (ids.py), the store's errors.

Imports nothing of the packages above it (store, cost, resolvers, changes, api).
"""

from .declarations import Key
from .entities import (
    AuthorLink,
    Comment,
    Direction,
    Post,
    PostBody,
    SubjectLink,
    TagLink,
    User,
    UsernameClaim,
    Vote,
)
from .errors import (
    AlreadyExists,
    CorruptItem,
    Forbidden,
    InvalidInput,
    NotFound,
    StoreError,
    Unavailable,
    VersionConflict,
)
from .pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "AlreadyExists",
    "AuthorLink",
    "Comment",
    "CorruptItem",
    "Direction",
    "Forbidden",
    "InvalidInput",
    "Key",
    "NotFound",
    "Page",
    "Post",
    "PostBody",
    "StoreError",
    "SubjectLink",
    "TagLink",
    "Unavailable",
    "User",
    "UsernameClaim",
    "VersionConflict",
    "Vote",
]
