"""0002: a reshaping change lazy defaults cannot do: tags normalised to lower case.

The API has always rejected upper-case tags, but items imported from elsewhere (a bulk load,
the table-per-entity design's free-form tags) can carry them: such a tag can be neither
found by postsByTag nor removed. A tag is a key (TagLink's SK and GSI1PK), so reading it
differently is not enough: the tag items must move and the post's set must change, in one
transaction per post. "Python" and "python" on one post merge.
"""

from __future__ import annotations

from .. import keys
from ..attrs import Item, marshal_item
from ..errors import InvalidInput
from ..items import tag_item
from ..table import key_attributes
from .base import Change, Migration


class LowercaseTags(Migration):
    id = "0002_lowercase_tags"
    description = "Normalise post tags and their tag items to lower case"
    entities = ("Post",)
    to_version = 3
    reads = ("tags",)

    def change(self, item: Item) -> Change:
        tags = set(item.get("tags") or ())
        lowered = {t.lower() for t in tags}
        if lowered == tags:
            return Change()  # nothing to reshape: only the version moves
        for tag in lowered:
            keys.check_tag(tag)  # InvalidInput: a tag lower case cannot fix
        post_id = item["id"]
        also = [
            {"Delete": {"Key": key_attributes(keys.stored_tag_key(post_id, tag))}}
            for tag in sorted(tags - lowered)
        ]
        also += [
            {"Put": {"Item": marshal_item(tag_item(post_id, tag))}}
            for tag in sorted(lowered - tags)
        ]
        if len(also) > 90:  # TransactWriteItems takes 100 actions
            raise InvalidInput("too many tags to move in one transaction")
        return Change(set={"tags": frozenset(lowered)}, also=also)
