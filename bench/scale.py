"""How the feed and tag pages' cost grows with the table, in each design (`make bench`).

    python -m bench.scale [--sizes 2k,20k,100k] [--iterations 10]

Each size is loaded into a DynamoDB Local of its own; both designs serve the feed page and
the tag page of bench/workload.py. Singlet at every size; the baseline, whose Scans read the
whole table, wherever one request finishes in under a minute. Writes results/scale.md and
results/scale.png.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

from singlet_tools.local import start

from .compare import RESULTS, prepare
from .data import SCALES, generate
from .harness import Design, Measurement, baseline, measure, request, singlet
from .workload import Operation, operations

PAGES = ("feed_page", "tag_page")
PATIENCE_S = 60.0  # the baseline is measured only where one request takes less


@dataclass
class Point:
    posts: int
    operation: str
    design: str
    measurement: Measurement | None  # None: one request took over PATIENCE_S
    probe_s: float


async def _size(endpoint: str, scale: str, iterations: int) -> list[Point]:
    data = generate(scale)
    ops = {op.name: op for op in operations(data) if op.name in PAGES}
    table, tables, _, _ = await prepare(endpoint, scale)
    points: list[Point] = []
    async with singlet(endpoint, table) as s_design, baseline(endpoint, tables) as b_design:
        for name, op in ops.items():
            for design in (s_design, b_design):
                points.append(await _point(design, op, len(data.posts), iterations))
                m = points[-1].measurement
                shown = f"{m.capacity:g} units, p50 {m.p50:.1f} ms" if m else "skipped"
                print(f"{scale:>5} {name:10} {design.name:8} {shown}", flush=True)
    return points


async def _point(design: Design, op: Operation, posts: int, iterations: int) -> Point:
    started = time.perf_counter()
    probe = asyncio.ensure_future(request(design, op))
    done, _ = await asyncio.wait({probe}, timeout=PATIENCE_S)
    if not done:
        probe.cancel()
        return Point(posts, op.name, design.name, None, PATIENCE_S)
    probe_s = time.perf_counter() - started
    runs = iterations if probe_s < 1 else max(2, min(iterations, int(20 / probe_s)))
    return Point(posts, op.name, design.name, await measure(design, op, runs), probe_s)


def markdown(points: list[Point], iterations: int) -> str:
    out = [
        "# How the feed and tag pages' cost grows with the table",
        "",
        f"`python -m bench.scale` on {platform.machine()} with {os.cpu_count()} cores, "
        f"DynamoDB Local 1.25.1 (in memory, one per size). Capacity by AWS's billing rules "
        f"(read units; see report.md). Latency: p50 of up to {iterations} runs through the whole "
        f"HTTP + GraphQL stack, at loopback speed. The baseline is left out where one request "
        f"took over {PATIENCE_S:.0f} s.",
        "",
        "| page | posts | Singlet calls / capacity / p50 | baseline calls / capacity / p50 |",
        "| --- | --- | --- | --- |",
    ]
    by = {(p.operation, p.posts, p.design): p for p in points}
    for name in PAGES:
        for posts in sorted({p.posts for p in points}):
            cells = []
            for design in ("singlet", "baseline"):
                m = by[(name, posts, design)].measurement
                cells.append(f"{m.total_calls} / {m.capacity:g} / {m.p50:,.1f} ms" if m
                             else f"over {PATIENCE_S:.0f} s a request: not measured")  # fmt: skip
            out.append(f"| {name} | {posts:,} | {cells[0]} | {cells[1]} |")
    return "\n".join(out) + "\n"


def chart(points: list[Point], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    colours = {"singlet": "#2a9d8f", "baseline": "#e76f51"}
    for column, name in enumerate(PAGES):
        for design, colour in colours.items():
            mine = [p for p in points if p.operation == name and p.design == design]
            series = sorted((p.posts, p.measurement) for p in mine if p.measurement)
            xs = [x for x, _ in series]
            axes[0][column].plot(xs, [m.capacity for _, m in series], "o-", color=colour,
                                 label=design)  # fmt: skip
            axes[1][column].plot(xs, [m.p50 for _, m in series], "o-", color=colour,
                                 label=design)  # fmt: skip
            for p in mine:
                if p.measurement is None:  # over the patience: said where it would be
                    for row in (0, 1):
                        axes[row][column].annotate(
                            f"over {PATIENCE_S:.0f} s a request:\nnot measured",
                            (p.posts, axes[row][column].get_ylim()[1]), color=colour,
                            fontsize=8, ha="right", va="top",
                        )  # fmt: skip
        axes[0][column].set_title(f"{name}: read units per request (AWS's rules)")
        axes[1][column].set_title(f"{name}: p50 latency, ms")
        for row in (0, 1):
            ax = axes[row][column]
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("posts in the table")
            ax.grid(alpha=0.3)
            ax.legend()
    fig.suptitle("Singlet's Queries read a page; the baseline's Scans read the table")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2k,20k,100k", help="of bench/data.py's SCALES")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    points: list[Point] = []
    for scale in args.sizes.split(","):
        if scale not in SCALES:
            parser.error(f"unknown size {scale}: one of {', '.join(SCALES)}")
        local = start()  # a fresh one per size: Local slows down as it holds more
        try:
            points += asyncio.run(_size(local.endpoint_url, scale, args.iterations))
        finally:
            local.stop()
    text = markdown(points, args.iterations)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "scale.md").write_text(text)
    chart(points, args.output / "scale.png")
    print(text)
    print(f"wrote {args.output / 'scale.md'} and {args.output / 'scale.png'}")


if __name__ == "__main__":
    main()
