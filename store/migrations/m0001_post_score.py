"""0001: a new access pattern (AP9, a user's posts by score) for posts written before it.

GSI3 is keyed on the author partition and `score`. Posts written by the API since carry
`score` (votes keep it by the score rule); this backfills it on older posts so they appear in
the index. Until then, reading an old post still shows its score (a lazy default).
"""

from __future__ import annotations

from model.attrs import Item
from model.entities import Post, score_of

from .base import Change, Migration


class PostScore(Migration):
    id = "0001_post_score"
    description = "Backfill Post.score (ups - downs) so every post is in GSI3"
    entities = (Post,)
    to_version = 2
    reads = (Post.ups, Post.downs, Post.version)

    def change(self, item: Item) -> Change:
        return Change(set={Post.score: score_of(item[Post.ups.name], item[Post.downs.name])})
