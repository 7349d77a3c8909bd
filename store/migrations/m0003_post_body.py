"""0003: a post becomes three items: its head, its body and its author link.

Posts written before schema v4 are one item holding the content, projected into GSI1, GSI2
and GSI3, so every vote and comment rewrote the whole content into three indexes. This moves
the content to the post's body item (no index projects it), adds the author link (the post's
entry in its author's list on GSI1) and takes the head out of GSI1, in one transaction per
post. Until it has run, readers take the content from an old head and list it by itself;
an API edit of the content meanwhile already writes the body (and the move then only adds
the link).
"""

from __future__ import annotations

from model.attrs import Item
from model.declarations import attribute_named
from model.entities import AuthorLink, Post, PostBody
from model.keys import GSI1

from ..table import put
from .base import Change, Migration


class PostBodies(Migration):
    id = "0003_post_body"
    description = "Move post content to a body item and list posts by author links"
    entities = (Post,)
    to_version = 4
    reads = (Post.content, Post.version)

    def change(self, item: Item) -> Change:
        post_id, author_id = item[Post.id.name], item[Post.author_id.name]
        also = [put(AuthorLink(post_id=post_id, author_id=author_id).item())]
        content = item.get(Post.content.name)
        if content is not None:  # (else an edit already moved it)
            also.append(put(PostBody(post_id=post_id, content=content).item()))
        return Change(remove=(Post.content, attribute_named(GSI1.sk)), also=tuple(also))
