"""0002: a reshaping change lazy defaults cannot do: tags normalised to lower case.

The API has always rejected upper-case tags, but items imported from elsewhere (a bulk load,
the table-per-entity design's free-form tags) can carry them: such a tag can be neither
found by postsByTag nor removed. A tag is a key (TagLink's sort key and GSI1 partition), so
reading it differently is not enough: the tag items must move and the post's set must change,
in one transaction per post. "Python" and "python" on one post merge.
"""

from __future__ import annotations

from model import keys
from model.attrs import Item
from model.declarations import Key
from model.entities import POST_PARTITION, STORED_TAG_SORT, Post, TagLink
from model.errors import InvalidInput

from ..table import delete, put
from .base import Change, Migration


class LowercaseTags(Migration):
    id = "0002_lowercase_tags"
    description = "Normalise post tags and their tag items to lower case"
    entities = (Post,)
    to_version = 3
    reads = (Post.tags, Post.version)

    def change(self, item: Item) -> Change:
        tags = set(item.get(Post.tags.name) or ())
        lowered = {t.lower() for t in tags}
        if lowered == tags:
            return Change()  # nothing to reshape: only the version moves
        for tag in lowered:
            keys.check_tag(tag)  # InvalidInput: a tag lower case cannot fix
        post_id = item[Post.id.name]
        partition = POST_PARTITION.build(post_id=post_id)
        if any("#" in tag or not tag for tag in tags):
            raise InvalidInput("a stored tag never holds the separator")
        also = [
            delete(Key(partition, STORED_TAG_SORT.build(tag=tag))) for tag in sorted(tags - lowered)
        ]
        also += [put(TagLink(post_id=post_id, tag=tag).item()) for tag in sorted(lowered - tags)]
        if len(also) > 90:  # TransactWriteItems takes 100 actions
            raise InvalidInput("too many tags to move in one transaction")
        return Change(set={Post.tags: frozenset(lowered)}, also=tuple(also))
