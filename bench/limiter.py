"""What the rate limiter adds to a request, and how far its charges are from the bill.

    python -m bench.limiter [--scale small] [--iterations 200] [--warmup 30]

Every benchmark operation runs through two apps on the same table: one with the default
budgets (RATE_LIMIT_ANONYMOUS, RATE_LIMIT_SIGNED_IN), one with none. Requests alternate
between them (and which goes first), each timed in CPU (process_time) as an ASGI call, as
Mangum makes it on Lambda (on AWS's terms: no pricing reads). The limited app's clock moves 10
seconds a request, so buckets
never run dry and every take from the table succeeds at once: what is measured is the cost of
holding the budget, not of refusing. From every limited request's `extensions.cost`: the
limiter's own calls and write units (amortized: takes happen once per lease), the worst case
(`requested.readUnits` and `writeUnits`, in units), what was reserved
(`requested.units`) and what was charged (`actual.units`), from as many requests again to an
app whose meter prices transactions as AWS bills them. Writes bench/results/limiter.md.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field, replace
from typing import Any

from api.app import create_app
from api.auth import issue_token
from api.http import COST_HEADER
from api.settings import Settings
from cost.meter import WRITE_UNIT_WEIGHT

from .floor import AsgiCaller, body_of, check, settings_for, timed
from .harness import on_dynamodb, paired_arguments
from .load import loaded_table
from .workload import Operation, operations

STEP_SECONDS = 10.0  # the limited app's clock, a request


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Figures:
    name: str
    cpu_limited: list[float] = field(default_factory=list)
    cpu_unlimited: list[float] = field(default_factory=list)
    takes: int = 0
    take_write_units: float = 0.0
    requests: int = 0
    worst: float = 0.0
    reserved: float = 0.0
    charged: float = 0.0

    def add(self, cost: dict[str, Any]) -> None:
        self.requests += 1
        self.takes += sum(cost["limiter"]["calls"].values())
        self.take_write_units += cost["limiter"]["writeUnits"]
        requested = cost["requested"]
        self.worst += requested["readUnits"] + WRITE_UNIT_WEIGHT * requested["writeUnits"]
        self.reserved += requested["units"]
        self.charged += cost["actual"]["units"]


async def measure(endpoint: str, scale: str, iterations: int, warmup: int) -> list[Figures]:
    data, table = await loaded_table(endpoint, scale, "limiter")
    plain = settings_for(table, endpoint)  # as on AWS: no pricing reads around writes
    limits = Settings.from_env({"JWT_SECRET": "x" * 32}).limits
    clock = Clock()
    limited = create_app(replace(plain, limits=limits), clock=clock)
    unlimited = create_app(plain)
    # The charges counted apart, by an app whose meter prices transactions as AWS bills them
    # (DynamoDB Local bills them twice, docs/cost.md): what a caller is charged on AWS.
    priced = create_app(replace(plain, limits=limits, dynamodb_local=True), clock=clock)
    results = []
    try:
        for operation in operations(data):
            figures = await _timed(operation, plain, limited, unlimited, clock, iterations,
                                   warmup)  # fmt: skip
            await _charged(figures, operation, plain, priced, clock, iterations)
            results.append(figures)
    finally:
        for app in (limited, unlimited, priced):
            await app.state.resources.close()
    return results


def _token(settings: Settings, operation: Operation) -> str | None:
    return issue_token(settings, operation.as_user) if operation.as_user else None


async def _timed(
    operation: Operation, settings: Settings, limited: Any, unlimited: Any, clock: Clock,
    iterations: int, warmup: int,
) -> Figures:  # fmt: skip
    token = _token(settings, operation)
    sides = {"limited": AsgiCaller(limited, token), "unlimited": AsgiCaller(unlimited, token)}
    figures = Figures(operation.name)
    run = 0
    for i in range(warmup + iterations):
        for side in ("limited", "unlimited") if i % 2 == 0 else ("unlimited", "limited"):
            clock.now += STEP_SECONDS
            body = body_of(operation, run)
            (status, answer), _, cpu = await timed(sides[side](body))
            check(operation, status, answer)
            run += 1
            if i < warmup:
                continue
            if side == "limited":
                figures.cpu_limited.append(cpu)
            else:
                figures.cpu_unlimited.append(cpu)
    return figures


async def _charged(figures: Figures, operation: Operation, settings: Settings, priced: Any,
                   clock: Clock, iterations: int) -> None:  # fmt: skip
    call = AsgiCaller(priced, _token(settings, operation))
    call.headers.append((COST_HEADER.encode(), b"1"))
    for run in range(iterations):
        clock.now += STEP_SECONDS
        status, answer = await call(body_of(operation, run))
        check(operation, status, answer)
        figures.add(json.loads(answer)["extensions"]["cost"])


def markdown(results: list[Figures], scale: str, iterations: int) -> str:
    out = [
        "# The rate limiter: what it adds to a request, and its charges against the bill",
        "",
        f"`python -m bench.limiter --scale {scale} --iterations {iterations}`: each benchmark"
        " operation through an app with the default budgets and one without, alternating;"
        " CPU per request (medians, process time, ASGI calls as on Lambda). Takes: the"
        " limiter's UpdateItems on callers' buckets, per request (one per lease spent). Units"
        " are read-unit equivalents (a write unit counts 5), means per request.",
        "",
        "| operation | CPU without / with limiter (ms) | added | takes a request | their units |"
        " worst case | reserved | charged | worst / charged |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in results:
        without = statistics.median(f.cpu_unlimited) * 1000
        with_ = statistics.median(f.cpu_limited) * 1000
        n = f.requests
        out.append(
            f"| {f.name} | {without:.2f} / {with_:.2f} | {with_ - without:+.2f} |"
            f" {f.takes / n:.3f} | {WRITE_UNIT_WEIGHT * f.take_write_units / n:.2f} |"
            f" {f.worst / n:.1f} | {f.reserved / n:.1f} | {f.charged / n:.1f} |"
            f" {f.worst / f.charged:.1f}x |"
        )
    takes = sum(f.takes for f in results) / sum(f.requests for f in results)
    out += [
        "",
        f"Over all operations: {takes:.3f} takes a request, each one UpdateItem of one write"
        " unit on the caller's own item.",
    ]
    return "\n".join(out) + "\n"


def main() -> None:
    args = paired_arguments(__doc__, iterations=200, warmup=30)
    results = on_dynamodb(lambda endpoint: measure(endpoint, args.scale, args.iterations,
                                                   args.warmup))  # fmt: skip
    text = markdown(results, args.scale, args.iterations)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "limiter.md").write_text(text)
    print(text)
    print(f"wrote {args.output / 'limiter.md'}")


if __name__ == "__main__":
    main()
