"""The post layouts Singlet could have, priced by the cost model (`python -m bench.alternatives`).

For each layout: a vote and a comment on a post of 100 and of 50,000 characters (write units
by AWS's rules, the transaction included), and what the feed page reads. Items are the real
entities' (model/entities.py), reshaped as each layout would store them; docs/data-model.md
shows this table and the choice it led to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cost.billing import item_size, query_read_units, write_units
from model import AuthorLink, Comment, Post, PostBody, Vote, keys
from model.attrs import RawItem, marshal_item
from model.entities import POST_PARTITION
from model.limits import created_at
from model.shape import Index, Shape

AUTHOR = "01JC0000000000000000000000"
TITLE = "Access patterns first, then the table"  # a typical title: 37 characters


@dataclass(frozen=True)
class Layout:
    name: str
    shape: Shape
    # The items a post is stored as (head first), for a content of n characters.
    post: Callable[[str], list[RawItem]]


def _indexes(projection: str, included: frozenset[str] = frozenset()) -> Shape:
    table = keys.SHAPE.table
    return Shape(table, tuple(Index(i.name, i.keys, projection, included)
                              for i in keys.SHAPE.indexes))  # fmt: skip


def _head(content: str | None) -> dict[str, object]:
    post_id = keys.new_id()
    stamp = created_at(post_id)
    post = Post(id=post_id, author_id=AUTHOR, title=TITLE, url="https://example.org/a-post",
                tags=("dynamodb", "design"), ups=12, downs=1, version=3, comment_count=4,
                created_at=stamp, updated_at=stamp, score=11, content=content)  # fmt: skip
    return post.item()


def _one_item(content: str) -> list[RawItem]:
    """Before issue 11: one item, content included, listed on GSI1 by itself."""
    head = _head(content)
    head[keys.GSI1.sk] = POST_PARTITION.build(post_id=str(head[Post.id.name]))
    return [marshal_item(head)]


def _split(in_gsi1: bool) -> Callable[[str], list[RawItem]]:
    def post(content: str) -> list[RawItem]:
        head = _head(None)
        post_id = str(head[Post.id.name])
        items = [head, PostBody(post_id=post_id, content=content).item()]
        if in_gsi1:
            head[keys.GSI1.sk] = POST_PARTITION.build(post_id=post_id)
        else:
            items.append(AuthorLink(post_id=post_id, author_id=AUTHOR).item())
        return [marshal_item(i) for i in items]

    return post


NOT_CONTENT = frozenset(a.name for a in Post.attributes if a is not Post.content)
LAYOUTS = [
    Layout("one item, indexes project ALL (before)", keys.SHAPE, _one_item),
    Layout("one item, indexes project all but the content", _indexes("INCLUDE", NOT_CONTENT),
           _one_item),
    Layout("head + body, the head listed on GSI1", keys.SHAPE, _split(True)),
    Layout("head + body + author link (chosen)", keys.SHAPE, _split(False)),
    Layout("head + body + author link, GSI3 KEYS_ONLY",
           Shape(keys.SHAPE.table, tuple(Index(i.name, i.keys, "KEYS_ONLY")
                                         if i.name == "GSI3" else i
                                         for i in keys.SHAPE.indexes)),
           _split(False)),
]  # fmt: skip


def vote(layout: Layout, length: int) -> float:
    head, *_ = layout.post("x" * length)
    ups, score = Post.ups.name, Post.score.name
    after = {**head, ups: {"N": "13"}, score: {"N": "12"}}
    new_vote = marshal_item(Vote(post_id=keys.new_id(), user_id=AUTHOR, direction="UP").item())
    return (write_units(layout.shape, head, after, True).total
            + write_units(layout.shape, None, new_vote, True).total)  # fmt: skip


def comment(layout: Layout, length: int) -> float:
    head, *_ = layout.post("x" * length)
    after = {**head, Post.comment_count.name: {"N": "5"}}
    comment_id = keys.new_id()
    item = Comment(id=comment_id, post_id=keys.new_id(), author_id=AUTHOR, body="Nice.",
                   created_at=created_at(comment_id)).item()  # fmt: skip
    return (
        write_units(layout.shape, head, after, True).total
        + write_units(layout.shape, None, marshal_item(item), True).total
        + 2
    )  # + check


def feed_read_units(layout: Layout, length: int) -> float:
    """A feed page of 20: 4 shards, 21 items each, as GSI2 holds them."""
    head, *_ = layout.post("x" * length)
    entry = layout.shape.entry(layout.shape.index("GSI2"), head)
    assert entry is not None
    return 4 * query_read_units([item_size(entry)] * 21)


def main() -> None:
    print("| layout | vote, 100 / 50,000 characters | comment, 100 / 50,000 | feed page read "
          "units, 100 / 50,000 |")  # fmt: skip
    print("| --- | --- | --- | --- |")
    for layout in LAYOUTS:
        cells = [f"{f(layout, 100):g} / {f(layout, 50_000):g}"
                 for f in (vote, comment, feed_read_units)]  # fmt: skip
        print(f"| {layout.name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
