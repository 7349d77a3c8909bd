"""Codecs and lazy defaults: old items decode without a migration."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from store import CorruptItem, Post, keys
from store.codecs import POST, VERSION_ATTR, Field, decode


def _post() -> Post:
    post_id = keys.new_id()
    return Post(
        post_id, keys.new_id(), "t", "c", None, ("a", "b"), 1, 2, 3, 4,
        "2026-01-01T00:00:00.000Z", "2026-01-02T00:00:00.000Z",
    )  # fmt: skip


def test_encode_decode_round_trip() -> None:
    post = _post()
    item = POST.encode(post)
    assert item["entity"] == "Post"
    assert item[VERSION_ATTR] == POST.version
    assert "url" not in item  # None is left out, not stored as NULL
    assert item["tags"] == frozenset({"a", "b"})
    assert decode(item) == post


def test_post_without_tags_stores_no_empty_set() -> None:
    item = POST.encode(_post().__class__(**{**_post().__dict__, "tags": ()}))
    assert "tags" not in item
    assert decode(item).tags == ()  # type: ignore[union-attr]


@dataclass(frozen=True)
class PinnablePost(Post):
    pinned: bool = False


def test_a_field_added_in_a_later_version_defaults_on_older_items() -> None:
    nxt = POST.version + 1
    v2 = POST.evolve(PinnablePost, Field("pinned", default=False, since=nxt))
    derived = POST.evolve(
        PinnablePost, Field("pinned", default_from=lambda item: item["ups"] > 0, since=nxt)
    )
    assert derived.decode(POST.encode(_post())).pinned is True  # computed from the old item
    assert v2.version == nxt
    old_item = POST.encode(_post())  # written by today's code: no `pinned`
    assert v2.decode(old_item).pinned is False
    new_item = v2.encode(PinnablePost(**{**_post().__dict__, "pinned": True}))
    assert new_item[VERSION_ATTR] == nxt
    assert v2.decode(new_item).pinned is True
    del new_item["pinned"]
    with pytest.raises(CorruptItem):  # a newer item must have it: no silent default
        v2.decode(new_item)


def test_missing_required_attribute_is_corruption() -> None:
    item = POST.encode(_post())
    del item["title"]
    with pytest.raises(CorruptItem):
        decode(item)


def test_unknown_entity_is_corruption() -> None:
    with pytest.raises(CorruptItem):
        decode({"entity": "Nope"})


def test_posts_written_before_v2_read_their_score_lazily() -> None:
    item = POST.encode(_post())
    del item["score"]
    item[VERSION_ATTR] = 1
    assert decode(item).score == 1 - 2  # type: ignore[union-attr]  # ups - downs
