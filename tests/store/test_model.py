"""The model: entities declared once; keys built, validated and parsed from their templates;
items encoded and decoded with lazy defaults."""

from __future__ import annotations

import pytest

from model import (
    CorruptItem,
    InvalidInput,
    Post,
    PostBody,
    SubjectLink,
    TagLink,
    User,
    UsernameClaim,
    keys,
)
from model.declarations import ENTITY, VERSION, Attribute, Model, decode
from model.entities import POST_PARTITION, AuthorLink, Comment, Vote
from model.templates import KeySpec, Segment, Template
from store.reads import visible


def _post(**changes: object) -> Post:
    post = Post(id=keys.new_id(), author_id=keys.new_id(), title="t", tags=("a", "b"), ups=1,
                downs=2, version=3, comment_count=4, created_at="2026-01-01T00:00:00.000Z",
                updated_at="2026-01-02T00:00:00.000Z", score=-1)  # fmt: skip
    return post.replace(**changes)


# Keys: user-supplied values can never break or forge a key.


def test_ids_are_ulids_sorting_by_creation() -> None:
    first, second = keys.new_id(), keys.new_id()
    assert keys.check_id(first) == first
    assert first[:10] <= second[:10]  # the time part


@pytest.mark.parametrize(
    "bad", ["", "x", "01ARZ3NDEKTSV4RRFFQ69G5FA#", "01arz3ndektsv4rrffq69g5fav"]
)
def test_ids_with_separators_or_wrong_shape_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput):
        Post.key_of(id=bad)


@pytest.mark.parametrize("bad", ["ab", "a#b", "a b", "x" * 31, "USER#x", "näme"])
def test_usernames_that_could_break_a_key_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput):
        UsernameClaim.key_of(username=bad)


def test_usernames_are_unique_case_insensitively() -> None:
    assert UsernameClaim.key_of(username="Ada_L") == UsernameClaim.key_of(username="ada_l")


@pytest.mark.parametrize("bad", ["", "Web", "a#b", "-x", "x-", "a b", "é", "x" * 33, "TAG#x"])
def test_tags_are_validated_never_silently_rewritten(bad: str) -> None:
    with pytest.raises(InvalidInput):
        TagLink.key_of(post_id=keys.new_id(), tag=bad)


@pytest.mark.parametrize("subject", ["auth0|123", "a#b", "a%23b", "a%b#c%25", "#", "%"])
def test_subjects_are_escaped_into_one_segment_and_parse_back(subject: str) -> None:
    key = SubjectLink.key_of(subject=subject)
    assert "#" not in key.pk.removeprefix(SubjectLink.key.pk.prefix)
    assert SubjectLink.parse_key(key) == {"subject": subject}


def test_distinct_subjects_never_share_a_key() -> None:
    subjects = ["a#b", "a%23b", "a%2523b", "a", "a#", "a%23"]
    assert len({SubjectLink.key_of(subject=s) for s in subjects}) == len(subjects)


def test_keys_parse_back_into_their_parts() -> None:
    post_id, comment_id = keys.new_id(), keys.new_id()
    key = Comment.key_of(post_id=post_id, id=comment_id)
    assert Comment.parse_key(key) == {"post_id": post_id, "id": comment_id}
    assert Post.parse_key(Post.key_of(id=post_id)) == {"id": post_id}
    with pytest.raises(InvalidInput):
        Post.parse_key(key)


def test_feed_shards_spread_posts() -> None:
    shards = {keys.feed_shard(keys.new_id()) for _ in range(200)}
    assert shards == set(range(keys.FEED_SHARDS))


def test_a_posts_three_items_share_its_collection_and_lead_it() -> None:
    post = _post()
    head, body = post.primary_key(), PostBody.key_of(post_id=post.id)
    link = AuthorLink(post_id=post.id, author_id=post.author_id).primary_key()
    comment = Comment.key_of(post_id=post.id, id=keys.new_id())
    vote = Vote.key_of(post_id=post.id, user_id=keys.new_id())
    assert len({head.pk, body.pk, link.pk, comment.pk, vote.pk}) == 1
    # The post page reads the head, then the body, then comments; links and votes sort after.
    assert head.sk < body.sk < comment.sk < link.sk < vote.sk


def test_post_heads_are_in_the_feed_and_by_score_but_not_in_their_authors_list() -> None:
    item = _post().item()
    assert {keys.GSI2.pk, keys.GSI2.sk, keys.GSI3.pk, keys.GSI3.sk} <= set(item)
    assert keys.GSI1.sk not in item  # GSI1 lists a post by its author link instead
    link = AuthorLink(post_id=item[Post.id.name], author_id=item[Post.author_id.name]).item()
    assert link[keys.GSI1.pk] == item[keys.GSI3.pk]


# Items: encoded and decoded with lazy defaults.


def test_encode_decode_round_trip() -> None:
    post = _post()
    item = post.item()
    assert item[ENTITY] == "Post"
    assert item[VERSION] == Post.schema_version
    assert Post.url.name not in item  # None is left out, not stored as NULL
    assert Post.content.name not in item  # a v4 head: the content is in the body
    assert item[Post.tags.name] == frozenset({"a", "b"})
    assert decode(item) == post


def test_post_without_tags_stores_no_empty_set() -> None:
    item = _post(tags=()).item()
    assert Post.tags.name not in item
    assert Post.decode(item).tags == ()


class PinnablePost(Model):
    """A later version of an entity: the same declaration with an attribute added."""

    entity = "PinnablePost"
    schema_version = 2
    key = KeySpec(Template("PIN#{id}", id=Segment(str)), Template("PIN"))
    id: Attribute[str] = Attribute()
    ups: Attribute[int] = Attribute()
    pinned: Attribute[bool] = Attribute(since=2, default=False)
    starred: Attribute[bool] = Attribute(since=2, lazy=lambda item: item["ups"] > 0)


def test_an_attribute_added_in_a_later_version_defaults_on_older_items() -> None:
    pin = PinnablePost(id=keys.new_id(), ups=3, pinned=True, starred=False)
    item = pin.item()
    assert item[VERSION] == 2
    assert PinnablePost.decode(item) == pin
    old = {k: v for k, v in item.items() if k not in ("pinned", "starred")}
    old[VERSION] = 1  # written before version 2
    assert PinnablePost.decode(old) == pin.replace(pinned=False, starred=True)  # computed
    del item["pinned"]
    with pytest.raises(CorruptItem):  # a newer item must have it: no silent default
        PinnablePost.decode(item)


def test_missing_required_attribute_is_corruption() -> None:
    item = _post().item()
    del item[Post.title.name]
    with pytest.raises(CorruptItem):
        decode(item)


def test_unknown_entity_is_corruption() -> None:
    with pytest.raises(CorruptItem):
        decode({ENTITY: "Nope"})


def test_posts_written_before_v2_read_their_score_lazily() -> None:
    item = _post().item()
    del item[Post.score.name]
    item[VERSION] = 1
    assert Post.decode(item).score == 1 - 2  # the score rule: ups - downs


def test_a_head_written_before_v4_still_shows_its_content() -> None:
    item = {**_post().item(), Post.content.name: "old text", VERSION: 3}
    assert Post.decode(item).content == "old text"


def test_a_post_being_deleted_is_invisible() -> None:
    item = {**_post().item(), Post.deleting.name: True}
    assert visible(item) is None


def test_constructors_take_every_attribute_by_name() -> None:
    with pytest.raises(TypeError, match="needs"):
        User(id="x", username="u", display_name="d", bio="")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="has no"):
        Vote(post_id="p", user_id="u", direction="UP", extra=1)  # type: ignore[call-arg]
    with pytest.raises(AttributeError, match="read-only"):
        _post().title = "x"  # type: ignore[misc]


def test_an_entity_keyed_inside_the_post_pages_range_fails_where_it_is_declared() -> None:
    """The post page reads a post's collection from its head to its last comment: an entity
    sorting in between would be read as a comment (issue 22: it once made the page a 500)."""
    with pytest.raises(TypeError, match=r"Bookmark's sort keys .* can fall inside '#POST'"):

        class Bookmark(Model):
            entity = "Bookmark"
            key = KeySpec(POST_PARTITION, Template("BOOKMARK#{user_id}", user_id=Segment(str)))

            post_id: Attribute[str] = Attribute()

    assert "Bookmark" not in Model.registry

    class Pin(Model):  # "PIN#..." sorts after "COMMENT#~": outside the page
        entity = "Pin"
        key = KeySpec(POST_PARTITION, Template("PIN#{user_id}", user_id=Segment(str)))

        post_id: Attribute[str] = Attribute()

    assert Model.registry.pop("Pin") is Pin
