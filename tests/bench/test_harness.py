"""Smoke test of the benchmark harness on a tiny dataset: it runs, and counts calls right.

(The benchmark itself is `make bench`; nothing here is timed.)
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from singlet_tools.tables import create_table, delete_table

from bench.baseline import tables as baseline_tables
from bench.baseline.tables import Tables
from bench.data import generate
from bench.harness import baseline, measure, singlet
from bench.load import load_baseline, load_singlet
from bench.workload import NODE_BATCH, operations
from model.ids import parse_typed_id

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from types_aiobotocore_dynamodb import DynamoDBClient

DATA = generate("tiny")
OPS = {op.name: op for op in operations(DATA)}


@pytest.fixture
async def loaded(
    client: DynamoDBClient, dynamodb_endpoint: str
) -> AsyncIterator[tuple[str, Tables]]:
    suffix = uuid.uuid4().hex[:8]
    table, tables = f"bench-{suffix}", Tables.named(f"bench-{suffix}")
    await create_table(client, table)
    await baseline_tables.create(client, tables)
    await load_singlet(client, table, DATA)
    await load_baseline(client, tables, DATA)
    yield table, tables
    await delete_table(client, table)
    await baseline_tables.delete(client, tables)


@pytest.mark.allow_scan  # the baseline Scans, as the tutorials do
async def test_harness_counts_calls_for_both_designs(
    loaded: tuple[str, Tables], dynamodb_endpoint: str
) -> None:
    table, tables = loaded
    post_page, node_batch = OPS["post_page"], OPS["node_batch"]
    post_id = parse_typed_id(post_page.variables["id"], "Post")[0]
    post = next(p for p in DATA.posts if p.id == post_id)
    async with singlet(dynamodb_endpoint, table) as s, baseline(dynamodb_endpoint, tables) as b:
        s_post = await measure(s, post_page, iterations=2)
        b_post = await measure(b, post_page, iterations=2)
        s_nodes = await measure(s, node_batch, iterations=1)
        b_nodes = await measure(b, node_batch, iterations=1)
        b_feed = await measure(b, OPS["feed_page"], iterations=1)
        s_feed = await measure(s, OPS["feed_page"], iterations=1)
    shown = min(20, post.comment_count)
    # Baseline: a GetItem for the post, its author, each shown comment's author and the
    # viewer's vote, and one Query for the comments: N+1 by construction.
    assert b_post.calls == {"GetItem": 3 + shown, "Query": 1}
    # Singlet: one Query (post, body, comments), the viewer's link, one batch for the rest.
    assert s_post.calls == {"Query": 1, "BatchGetItem": 2}
    assert s_post.round_trips == 2
    assert b_nodes.calls == {"GetItem": 2 * NODE_BATCH}
    assert s_nodes.calls == {"BatchGetItem": 2}
    assert b_feed.calls["Scan"] >= 1
    assert "Scan" not in s_feed.calls
    assert len(s_post.latencies_ms) == 2
    # Capacity by AWS's rules, from what the calls touched: reads are priced as Local does.
    assert s_post.capacity == s_post.capacity_reported > 0
    assert b_post.capacity == b_post.capacity_reported > 0
    assert s_post.checked == s_post.matched == 3
    # Singlet's prediction came with the response, and bounds what it cost.
    assert s_post.predicted is not None
    assert s_post.predicted["calls"] == {"Query": 1, "BatchGetItem": 2}
    assert b_post.predicted is None
