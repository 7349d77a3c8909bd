"""Keys: user-supplied values can never break or forge a key."""

from __future__ import annotations

import pytest

from store import InvalidInput, keys


def test_ids_are_ulids_sorting_by_creation() -> None:
    first, second = keys.new_id(), keys.new_id()
    assert keys.check_id(first) == first
    assert first[:10] <= second[:10]  # the time part


@pytest.mark.parametrize(
    "bad", ["", "x", "01ARZ3NDEKTSV4RRFFQ69G5FA#", "01arz3ndektsv4rrffq69g5fav"]
)
def test_ids_with_separators_or_wrong_shape_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput):
        keys.post_key(bad)


@pytest.mark.parametrize("bad", ["ab", "a#b", "a b", "x" * 31, "USER#x", "näme"])
def test_usernames_that_could_break_a_key_are_rejected(bad: str) -> None:
    with pytest.raises(InvalidInput):
        keys.username_key(bad)


def test_usernames_are_unique_case_insensitively() -> None:
    assert keys.username_key("Ada_L") == keys.username_key("ada_l")
    assert keys.username_partition("ADA_L") == keys.username_partition("ada_l")


@pytest.mark.parametrize("bad", ["", "Web", "a#b", "-x", "x-", "a b", "é", "x" * 33, "TAG#x"])
def test_tags_are_validated_never_silently_rewritten(bad: str) -> None:
    with pytest.raises(InvalidInput):
        keys.tag_key(keys.new_id(), bad)


@pytest.mark.parametrize("subject", ["auth0|123", "a#b", "a%23b", "a%b#c%25", "#", "%"])
def test_subjects_are_escaped_into_one_segment(subject: str) -> None:
    key = keys.subject_key(subject)
    prefix, segment = key.pk.split("#", 1)
    assert prefix == "SUBJECT"
    assert "#" not in segment
    assert keys.unescape(segment) == subject


def test_distinct_subjects_never_share_a_key() -> None:
    subjects = ["a#b", "a%23b", "a%2523b", "a", "a#", "a%23"]
    assert len({keys.subject_key(s) for s in subjects}) == len(subjects)


def test_feed_shards_spread_posts() -> None:
    shards = {keys.feed_shard(keys.new_id()) for _ in range(200)}
    assert shards == set(range(keys.FEED_SHARDS))
