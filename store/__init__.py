"""The single-table model of the blog: entities, keys, table I/O, access patterns.

Imports nothing from `api` or `resolvers`: the layers above depend on it, never the reverse.
"""

from .entities import (
    AuthorLink,
    Comment,
    Direction,
    Entity,
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
from .model import Key
from .pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page
from .reads import (
    AllPosts,
    CommentsByPost,
    CommentsByUser,
    ListQuery,
    PostIdsByTag,
    PostsByUser,
    TopPostsByUser,
)
from .store import Store
from .table import Table

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "AllPosts",
    "AlreadyExists",
    "AuthorLink",
    "Comment",
    "CommentsByPost",
    "CommentsByUser",
    "CorruptItem",
    "Direction",
    "Entity",
    "Forbidden",
    "InvalidInput",
    "Key",
    "ListQuery",
    "NotFound",
    "Page",
    "Post",
    "PostBody",
    "PostIdsByTag",
    "PostsByUser",
    "Store",
    "StoreError",
    "SubjectLink",
    "Table",
    "TagLink",
    "TopPostsByUser",
    "Unavailable",
    "User",
    "UsernameClaim",
    "VersionConflict",
    "Vote",
]
