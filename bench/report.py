"""The comparison as a markdown report and a PNG chart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .harness import Measurement
from .workload import Operation

Results = dict[tuple[str, str, float], Measurement]

CAPACITY_NOTE = (
    "Capacity is what AWS would bill: DynamoDB's billing rules (cost/billing.py) applied to the "
    "calls each operation made and the items they read and wrote (cost/pricing.py), in read "
    "and write request units together. DynamoDB Local's own figure follows in parentheses "
    "where it differs: Local bills a transactional write at 4 units per KB where AWS bills 2, "
    "and a transaction of several items at other than the sum of its items, so Singlet's "
    "writes (transactions) show figures there that AWS would not bill. Reads and "
    "non-transactional writes are priced the same by both"
)


def _calls(counts: Counter[str]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(counts.items(), key=lambda x: -x[1]))


def _ratio(baseline: float, singlet: float) -> str:
    return f"{baseline / singlet:.1f}x" if singlet else "-"


def capacity(m: Measurement) -> str:
    if abs(m.capacity - m.capacity_reported) < 1e-9:
        return f"{m.capacity:g}"
    return f"{m.capacity:g} ({m.capacity_reported:g})"


def markdown(
    operations: Sequence[Operation], results: Results, delays: Sequence[float], setup: str
) -> str:
    first = delays[0]
    out = [setup, "", "## Per operation", ""]
    out.append("| operation | Singlet: DynamoDB calls | baseline: DynamoDB calls | fewer calls "
               "| round trips (S / B) | capacity, AWS's rules (Local's) S / B |")  # fmt: skip
    out.append("| --- | --- | --- | --- | --- | --- |")
    checked = matched = 0
    for op in operations:
        s, b = results[(op.name, "singlet", first)], results[(op.name, "baseline", first)]
        checked += s.checked + b.checked
        matched += s.matched + b.matched
        out.append(
            f"| {op.title} | {s.total_calls} ({_calls(s.calls)}) | {b.total_calls} "
            f"({_calls(b.calls)}) | {_ratio(b.total_calls, s.total_calls)} "
            f"| {s.round_trips} / {b.round_trips} | {capacity(s)} / {capacity(b)} |"
        )
    out += ["", CAPACITY_NOTE + f" ({matched} of {checked} non-transactional calls priced the "
            "same by the model and by Local).", ""]  # fmt: skip
    out += _writes_by_size(results, first)
    out += _predictions(operations, results, first)
    out += ["## Latency (ms, through the whole HTTP + GraphQL stack)", ""]
    header, rule = "| operation |", "| --- |"
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
    return "\n".join(out) + "\n"


def _writes_by_size(results: Results, delay: float) -> list[str]:
    names = sorted({name for name, _, _ in results if name.startswith(("vote_", "comment_"))})
    if not names:
        return []
    out = ["## Writes and the size of the post", "",
           "The same write on a short post and on a long one, capacity by AWS's rules:", "",
           "| write | Singlet | baseline |", "| --- | --- | --- |"]  # fmt: skip
    for name in names:
        s, b = results[(name, "singlet", delay)], results[(name, "baseline", delay)]
        length = int(name.split("_")[1])
        out.append(f"| {name.split('_')[0]} on a {length:,}-character post "
                   f"| {s.capacity:g} | {b.capacity:g} |")  # fmt: skip
    return [*out, ""]


def _predictions(operations: Sequence[Operation], results: Results, delay: float) -> list[str]:
    out = ["## Predicted before, measured after (Singlet)", "",
           "Each operation's cost as predicted before it ran (its worst case: full pages, "
           "the largest items the input limits allow) and as measured in the accounting run. "
           "See docs/cost.md.", "",
           "| operation | calls predicted / actual | round trips | read units | write units |",
           "| --- | --- | --- | --- | --- |"]  # fmt: skip
    worst: dict[str, float] = {}
    for op in operations:
        m = results[(op.name, "singlet", delay)]
        if m.predicted is None:
            continue
        p = m.predicted
        figures = {
            "calls": (sum(p["calls"].values()), m.total_calls),
            "round trips": (p["roundTrips"], m.round_trips),
            "read units": (p["readUnits"], m.read_capacity),
            "write units": (p["writeUnits"], m.write_capacity),
        }
        cells = []
        for name, (predicted, actual) in figures.items():
            ratio = predicted / actual if actual else None
            if ratio is not None:
                worst[name] = max(worst.get(name, 0.0), ratio)
            shown = f"{ratio:.1f}x" if ratio is not None else "-"
            cells.append(f"{predicted:g} / {actual:g} ({shown})")
        out.append(f"| {op.name} | " + " | ".join(cells) + " |")
    summary = ", ".join(f"{name} {ratio:.1f}x" for name, ratio in worst.items())
    return [*out, "", f"Worst ratio of predicted to actual: {summary}.", ""]


def chart(operations: Sequence[Operation], results: Results, delay: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [op.name for op in operations]
    x = range(len(names))
    fig, (calls_ax, latency_ax) = plt.subplots(1, 2, figsize=(14, 4.8))
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
