"""Change events, measured locally (not a test).

    python -m bench.events [--writes 2000] [--lag-writes 200] [--spacing 0.02]

Against a DynamoDB Local of its own (a stream slows Local down for good) or
DYNAMODB_ENDPOINT_URL, on a table with the template's stream:

  decode    the stream records of a blog-like workload written through the store, turned into
            events as the stream function does (parse, decode by the entity codecs, public
            shape, JSON for PutEvents), timed in-process over several passes: records/s and
            events/s (internal items are records that make no event)
  lag       writes through the store, one every `spacing` seconds, while a reader follows the
            stream from LATEST and polls it without pause: the time from a write's call to
            its event decoded, p50 / p95 / max, beside the write's own time

Writes bench/results/events.md. Lambda's own polling and batching window are not in these
figures: on AWS, add up to MaximumBatchingWindowInSeconds (1 s in infra/template.yaml).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from singlet_tools.local import start
from singlet_tools.stream import StreamReader, open_streams_client, stream_arn
from singlet_tools.tables import create_table

from changes.events import entry_for, normalize
from model import Post
from store import Store, Table
from store.client import open_client

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"


@contextmanager
def dynamodb() -> Iterator[str]:
    configured = os.environ.get("DYNAMODB_ENDPOINT_URL")
    if configured:
        yield configured
        return
    local = start()
    try:
        yield local.endpoint_url
    finally:
        local.stop()


async def workload(store: Store, writes: int, rng: random.Random) -> None:
    """Users, posts, votes, comments, tags and edits, about `writes` API-like writes."""
    users = [await store.create_user(f"bench-{n}", f"bench_{n}") for n in range(20)]
    posts: list[Post] = []
    for n in range(writes - len(users)):
        kind = rng.random()
        if kind < 0.2 or not posts:
            author = rng.choice(users)
            post, _ = await store.create_post(author.id, f"Post {n}", "Lorem ipsum " * 40,
                                              tags=rng.sample(["a", "b", "c", "d"], 2))  # fmt: skip
            posts.append(post)
        elif kind < 0.55:
            await store.vote(rng.choice(users).id, rng.choice(posts).id, rng.choice(["UP", "DOWN"]))
        elif kind < 0.85:
            await store.add_comment(rng.choice(users).id, rng.choice(posts).id, "A comment")
        else:
            post = rng.choice(posts)
            await store.add_tag(post.author_id, post.id, rng.choice(["e", "f", "g"]))


async def read_all(streams: Any, arn: str) -> list[dict[str, Any]]:
    return [r async for batch in StreamReader(streams, arn).batches() for r in batch.records]


def decode_rate(records: list[dict[str, Any]], passes: int) -> dict[str, float]:
    events = 0
    started = time.perf_counter()
    for _ in range(passes):
        for record in records:
            event = normalize(record)
            if event is not None:
                entry_for(event, "singlet")
                events += 1
    elapsed = time.perf_counter() - started
    return {"records_per_s": len(records) * passes / elapsed, "events_per_s": events / elapsed,
            "events_per_pass": events / passes}  # fmt: skip


async def lag(
    store: Store, streams: Any, arn: str, writes: int, spacing: float
) -> tuple[list[float], list[float]]:
    """Seconds from each write's call to its event decoded by a reader polling the stream,
    and each write's own duration (its record can be read before its answer is in)."""
    author = await store.create_user("lag-author", "lag_author")
    post, _ = await store.create_post(author.id, "Lag", "x")
    called: dict[str, float] = {}
    took: list[float] = []
    seen: dict[str, float] = {}
    reader = StreamReader(streams, arn, start="LATEST", poll_interval=0)
    ready = asyncio.Event()

    async def follow() -> None:
        await reader.position()  # at LATEST before the first write
        ready.set()
        async for batch in reader.batches(follow=True):
            moment = time.perf_counter()
            for record in batch.records:
                event = normalize(record)
                if event is not None and event["entity"] == "Comment":
                    seen[event["after"]["body"]] = moment
            if len(seen) >= writes:
                return

    follower = asyncio.create_task(follow())
    await ready.wait()
    for n in range(writes):
        body = f"lag {n}"
        called[body] = time.perf_counter()
        await store.add_comment(author.id, post.id, body)
        took.append(time.perf_counter() - called[body])
        await asyncio.sleep(spacing)
    await asyncio.wait_for(follower, timeout=60)
    return [seen[body] - called[body] for body in called], took


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> str:
    with dynamodb() as endpoint:
        client = await open_client(REGION, endpoint)
        streams = await open_streams_client(REGION, endpoint)
        try:
            name = f"bench-events-{uuid.uuid4().hex[:8]}"
            await create_table(client, name, stream=True)
            store = Store(Table(client, name))
            arn = await stream_arn(client, name)
            await workload(store, args.writes, random.Random(42))
            records = await read_all(streams, arn)
            decode_rate(records[:200], 1)  # warm: the schema the shapes come from is built
            rates = [decode_rate(records, args.passes) for _ in range(3)]
            best = max(rates, key=lambda r: r["records_per_s"])
            lags, took = await lag(store, streams, arn, args.lag_writes, args.spacing)
        finally:
            await streams.close()
            await client.close()
    ms = [1000 * value for value in lags]
    write_ms = [1000 * value for value in took]
    report = [
        "Change events, measured locally (`python -m bench.events`): DynamoDB Local 1.25.1,"
        f" {os.cpu_count()} CPUs, Python {'.'.join(map(str, sys.version_info[:3]))}.",
        "",
        f"Decoding: {len(records):,} stream records of {args.writes:,} writes through the store"
        f" ({best['events_per_pass']:,.0f} events; the rest are internal items), parsed,"
        " decoded, shaped and serialized for PutEvents as the stream function does; best of"
        f" 3 runs of {args.passes} passes.",
        "",
        "| | per second |",
        "| --- | --- |",
        f"| stream records | {best['records_per_s']:,.0f} |",
        f"| events | {best['events_per_s']:,.0f} |",
        "",
        f"Lag: {len(ms)} comments written through the store (a transaction: the comment and its"
        f" post's count), one every {args.spacing * 1000:.0f} ms, while a reader follows the"
        " stream (GetRecords without pause); from the write's call to its event decoded, and"
        " the write's own time for comparison.",
        "",
        "| | p50 | p95 | max |",
        "| --- | --- | --- | --- |",
        f"| write to event | {statistics.median(ms):.1f} ms | {percentile(ms, 95):.1f} ms"
        f" | {max(ms):.1f} ms |",
        f"| the write itself | {statistics.median(write_ms):.1f} ms"
        f" | {percentile(write_ms, 95):.1f} ms | {max(write_ms):.1f} ms |",
        "",
        "On AWS, Lambda's polling and its batching window (MaximumBatchingWindowInSeconds: 1 in"
        " infra/template.yaml) add to this, and PutEvents and EventBridge's delivery to targets"
        " come after it.",
    ]
    return "\n".join(report) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--passes", type=int, default=5, help="decoding passes per run")
    parser.add_argument("--lag-writes", type=int, default=200)
    parser.add_argument("--spacing", type=float, default=0.02, help="seconds between writes")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "events.md")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    print(report, end="")
    args.output.write_text(report)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
