"""The single-table model of the blog: keys, entity codecs, table I/O, access patterns.

Imports nothing from `api` or `resolvers`: the layers above depend on it, never the reverse.
"""

from .entities import Comment, Direction, Entity, Post, SubjectLink, TagLink, User, Vote
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
from .table import Table
from .writes import Store

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "AlreadyExists",
    "Comment",
    "CorruptItem",
    "Direction",
    "Entity",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Page",
    "Post",
    "Store",
    "StoreError",
    "SubjectLink",
    "Table",
    "TagLink",
    "Unavailable",
    "User",
    "VersionConflict",
    "Vote",
]
