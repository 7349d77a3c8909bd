"""The comparison as a markdown report and a PNG chart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .harness import Measurement
from .workload import Operation


@dataclass
class Growth:
    operation: str
    scale: str
    posts: int
    singlet: Measurement
    baseline: Measurement


def _calls(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items(), key=lambda x: -x[1]))


def _ratio(baseline: float, singlet: float) -> str:
    return f"{baseline / singlet:.1f}x" if singlet else "-"


def markdown(
    operations: Sequence[Operation],
    results: dict[tuple[str, str, float], Measurement],
    delays: Sequence[float],
    growth: Sequence[Growth],
    setup: str,
) -> str:
    out = [setup, "", "## Per operation", ""]
    out.append("| operation | Singlet: DynamoDB calls | baseline: DynamoDB calls | fewer calls "
               "| round trips (S / B) | capacity units (S / B) |")  # fmt: skip
    out.append("| --- | --- | --- | --- | --- | --- |")
    for op in operations:
        s, b = results[(op.name, "singlet", delays[0])], results[(op.name, "baseline", delays[0])]
        out.append(
            f"| {op.title} | {s.total_calls} ({_calls(s.calls)}) | {b.total_calls} "
            f"({_calls(b.calls)}) | {_ratio(b.total_calls, s.total_calls)} "
            f"| {s.round_trips} / {b.round_trips} | {s.capacity:g} / {b.capacity:g} |"
        )
    out += ["", "## Latency (ms, through the whole HTTP + GraphQL stack)", ""]
    header = "| operation |"
    rule = "| --- |"
    for delay in delays:
        header += f" p50 S / B at +{delay:g} ms | faster | p95 S / B at +{delay:g} ms |"
        rule += " --- | --- | --- |"
    out += [header, rule]
    for op in operations:
        row = f"| {op.name} |"
        for delay in delays:
            s, b = results[(op.name, "singlet", delay)], results[(op.name, "baseline", delay)]
            row += (f" {s.p50:.1f} / {b.p50:.1f} | {_ratio(b.p50, s.p50)} "
                    f"| {s.p95:.1f} / {b.p95:.1f} |")  # fmt: skip
        out.append(row)
    out += ["", "## How cost grows with the table", ""]
    out.append("| operation | posts in table | Singlet calls / capacity / p50 "
               "| baseline calls / capacity / p50 |")  # fmt: skip
    out.append("| --- | --- | --- | --- |")
    for g in growth:
        out.append(
            f"| {g.operation} | {g.posts:,} | {g.singlet.total_calls} / {g.singlet.capacity:g}"
            f" / {g.singlet.p50:.1f} ms | {g.baseline.total_calls} / {g.baseline.capacity:g}"
            f" / {g.baseline.p50:.1f} ms |"
        )
    return "\n".join(out) + "\n"


def chart(
    operations: Sequence[Operation],
    results: dict[tuple[str, str, float], Measurement],
    delay: float,
    path: Path,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [op.name for op in operations]
    x = range(len(names))
    fig, (calls_ax, latency_ax) = plt.subplots(1, 2, figsize=(13, 4.8))
    for offset, design, colour in ((-0.2, "singlet", "#2a9d8f"), (0.2, "baseline", "#e76f51")):
        calls = [results[(n, design, 0.0)].total_calls for n in names]
        p50 = [results[(n, design, delay)].p50 for n in names]
        calls_ax.bar([i + offset for i in x], calls, 0.4, label=design, color=colour)
        latency_ax.bar([i + offset for i in x], p50, 0.4, label=design, color=colour)
    calls_ax.set_yscale("log")
    calls_ax.set_ylim(bottom=1)
    calls_ax.set_title("DynamoDB calls per operation (log scale)")
    latency_ax.set_title(f"p50 latency, ms, with +{delay:g} ms per DynamoDB call")
    for ax in (calls_ax, latency_ax):
        ax.set_xticks(list(x), names, rotation=35, ha="right")
        ax.legend()
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Singlet (one table, dataloaders) vs. table-per-entity resolvers")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
