"""DynamoDB I/O: the client, the table (batching, retries, refusals), the access patterns
(reads.py), the writes (writes.py), the façade over both (store.py), migrations.

Imports the model below it, never the packages above (cost, resolvers, changes, api).
"""

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
    "AllPosts",
    "CommentsByPost",
    "CommentsByUser",
    "ListQuery",
    "PostIdsByTag",
    "PostsByUser",
    "Store",
    "Table",
    "TopPostsByUser",
]
