"""Singlet against the table-per-entity design, side by side, in one run (`make bench`).

    python -m bench.compare [--scale default] [--iterations 30] [--delay 5]

Loads the same seeded dataset into both designs on one DynamoDB Local, runs every operation
against each, and writes bench/results/report.md and bench/results/comparison.png.
`SCALE=small` (or --scale small) for a quick run.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from singlet_tools.tables import create_table

from store.client import open_client

from . import report
from .baseline import tables as baseline_tables
from .baseline.tables import Tables
from .data import SCALES, generate
from .harness import Measurement, baseline, measure, on_dynamodb, singlet
from .load import load_baseline, load_singlet
from .workload import operations

RESULTS = Path(__file__).resolve().parent / "results"


async def prepare(endpoint: str, scale: str) -> tuple[str, Tables, int, int]:
    """Creates both designs' tables for `scale` and loads them; returns their item counts."""
    data = generate(scale)
    client = await open_client("us-east-1", endpoint)
    try:
        table, tables = f"singlet-{scale}", Tables.named(f"baseline-{scale}")
        await create_table(client, table)
        await baseline_tables.create(client, tables)
        started = time.perf_counter()
        singlet_items = await load_singlet(client, table, data)
        baseline_items = await load_baseline(client, tables, data)
        print(f"loaded {scale}: {singlet_items:,} items (Singlet), {baseline_items:,} items "
              f"(baseline) in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
    finally:
        await client.close()
    return table, tables, singlet_items, baseline_items


async def run(
    endpoint: str, scale: str, iterations: int, delay: float
) -> tuple[str, dict[tuple[str, str, float], Measurement]]:
    data = generate(scale)
    ops = operations(data)
    delays = [0.0, delay]
    table, tables, s_items, b_items = await prepare(endpoint, scale)
    results: dict[tuple[str, str, float], Measurement] = {}
    async with singlet(endpoint, table) as s_design, baseline(endpoint, tables) as b_design:
        for op in ops:  # reads first, mutations last: the reads see the loaded data only
            for d in delays:
                for design in (s_design, b_design):
                    m = await measure(design, op, iterations, d)
                    results[(op.name, design.name, d)] = m
                    print(f"{op.name:20} {design.name:8} +{d:g} ms: {m.total_calls:4} calls,"
                          f" {m.capacity:8g} units, p50 {m.p50:7.1f} ms", flush=True)  # fmt: skip
    sizes = SCALES[scale]
    setup = (
        f"# Singlet vs. table-per-entity: benchmark report\n\n"
        f"`python -m bench.compare --scale {scale} --iterations {iterations} --delay {delay:g}`"
        f" on {platform.machine()} with {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, DynamoDB Local 1.25.1 (in memory).\n\n"
        f"Dataset (seed 42): {sizes.users:,} users, {sizes.posts:,} posts (and one of 100 and "
        f"one of 50,000 characters), {sizes.comments:,} comments, Zipf tags and activity: "
        f"{s_items:,} items in Singlet's one table, {b_items:,} in the baseline's four. Each "
        f"latency: {iterations} runs after a warm-up; calls, round trips, capacity and the "
        f"prediction come from one more run. S = Singlet, B = baseline. The second latency "
        f"column adds {delay:g} ms to every DynamoDB call, standing in for the network to "
        f"in-region DynamoDB. How the feed and tag pages grow with the table: "
        f"[scale.md](scale.md)."
    )
    return setup, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default=os.environ.get("SCALE", "default"), choices=SCALES)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--delay", type=float, default=5.0, help="ms added to each call")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    setup, results = on_dynamodb(
        lambda endpoint: run(endpoint, args.scale, args.iterations, args.delay)
    )
    ops = operations(generate(args.scale))
    text = report.markdown(ops, results, [0.0, args.delay], setup)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "report.md").write_text(text)
    report.chart(ops, results, args.delay, args.output / "comparison.png")
    print(text)
    print(f"wrote {args.output / 'report.md'} and {args.output / 'comparison.png'}")


if __name__ == "__main__":
    main()
