"""The app against its database floor: CPU and wall time per request (`make bench`).

    python -m bench.floor [--scale small] [--iterations 300] [--warmup 50]

A request's floor is the DynamoDB calls it made, made again directly with an aiobotocore
client configured as the app's, in the same waves (a wave's calls at once, the waves one after
another): what any Python program answering that request would spend on the database. What
the app spends over it is GraphQL, the resolvers, the store, auth and the HTTP layer.

For the post page, the feed with comments and a vote, one request's calls are recorded through
botocore's events on the app's own client (untimed), with their parameters as sent and
grouped into waves by overlap; then app requests and floor replays alternate, each timed in
wall time (perf_counter) and CPU time (process_time: the whole Python process; DynamoDB Local
runs in a process of its own). The app is called as an ASGI app, as Mangum calls it on Lambda
(no socket, no HTTP client), configured as on AWS (no pricing reads around writes), its heap
settled as the Lambda handler settles it (api/heap.py), the floor's client likewise. Writes
bench/results/floor.md and bench/results/floor.json.
"""

from __future__ import annotations

import asyncio
import copy
import gc
import json
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiobotocore.session import get_session
from botocore import xform_name
from starlette.applications import Starlette
from starlette.types import Message

from api import heap
from api.app import create_app
from api.auth import issue_token
from api.settings import Settings
from store.client import LOCAL_CREDENTIALS, call_config

from .harness import SECRET, on_dynamodb, paired_arguments
from .load import loaded_table
from .workload import Operation, operations

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

PATTERNS = ("post_page", "feed_with_comments", "vote")
REGION = "us-east-1"


@dataclass
class Recorded:
    """One DynamoDB call as the app made it."""

    operation: str
    params: dict[str, Any]
    started: float
    ended: float = 0.0


Waves = list[list[Recorded]]


@dataclass
class Timing:
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    def add(self, wall: float, cpu: float) -> None:
        self.wall_ms.append(wall * 1000)
        self.cpu_ms.append(cpu * 1000)

    def summary(self) -> dict[str, float]:
        wall, cpu = statistics.median(self.wall_ms), statistics.median(self.cpu_ms)
        # Means as well: Lambda bills the sum of durations, so the occasional slow request
        # (a full garbage collection) counts in the bill, which medians leave out.
        return {"wall_ms": wall, "cpu_ms": cpu, "cpu_share": cpu / wall,
                "wall_mean_ms": statistics.fmean(self.wall_ms),
                "cpu_mean_ms": statistics.fmean(self.cpu_ms)}  # fmt: skip


@dataclass
class Pattern:
    operation: Operation
    waves: list[Waves]  # per variant of the operation (a vote: up, then down)
    app: Timing = field(default_factory=Timing)
    floor: Timing = field(default_factory=Timing)

    def summary(self) -> dict[str, Any]:
        app, floor = self.app.summary(), self.floor.summary()
        waves = self.waves[0]
        calls = Counter(c.operation for wave in waves for c in wave)
        return {
            "title": self.operation.title,
            "calls": dict(sorted(calls.items())),
            "waves": len(waves),
            "runs": len(self.app.wall_ms),
            "app": app,
            "floor": floor,
            "ratio": {
                "wall": app["wall_ms"] / floor["wall_ms"],
                "cpu": app["cpu_ms"] / floor["cpu_ms"],
                "wall_mean": app["wall_mean_ms"] / floor["wall_mean_ms"],
                "cpu_mean": app["cpu_mean_ms"] / floor["cpu_mean_ms"],
            },
            "app_over_floor_cpu_ms": app["cpu_ms"] - floor["cpu_ms"],
        }


class Recorder:
    """The calls a client makes while `recording()` runs: parameters as sent, and timings."""

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client
        self.calls: list[Recorded] = []

    @contextmanager
    def recording(self) -> Iterator[list[Recorded]]:
        self.calls = []
        events = self.client.meta.events
        # before-parameter-build: after the meter added ReturnConsumedCapacity, before
        # serialization; registered only while recording, so timed runs carry no extra hook.
        events.register("before-parameter-build.dynamodb", self._params)
        events.register("after-call.dynamodb", self._ended)
        events.register("after-call-error.dynamodb", self._ended)
        try:
            yield self.calls
        finally:
            events.unregister("before-parameter-build.dynamodb", self._params)
            events.unregister("after-call.dynamodb", self._ended)
            events.unregister("after-call-error.dynamodb", self._ended)

    def _params(self, params: dict[str, Any], model: Any, context: dict[str, Any],
                **_: Any) -> None:  # fmt: skip
        recorded = copy.deepcopy(params)
        # An idempotency token (a transaction's ClientRequestToken) is generated per call:
        # replaying the app's would make DynamoDB treat the replay as a duplicate.
        for name, shape in model.input_shape.members.items():
            if shape.metadata.get("idempotencyToken"):
                recorded.pop(name, None)
        call = Recorded(model.name, recorded, time.perf_counter())
        context["bench_floor_call"] = call
        self.calls.append(call)

    def _ended(self, context: dict[str, Any], **_: Any) -> None:
        call: Recorded | None = context.get("bench_floor_call")
        if call is not None:
            call.ended = time.perf_counter()


def waves_of(calls: Sequence[Recorded]) -> Waves:
    """Calls grouped into sequential waves: a call that starts before the wave's calls have
    all answered belongs to it (as store.usage.Usage.round_trips counts them)."""
    waves: Waves = []
    wave_end = float("-inf")
    for call in sorted(calls, key=lambda c: c.started):
        if call.started > wave_end:
            waves.append([])
            wave_end = call.ended
        else:
            wave_end = max(wave_end, call.ended)
        waves[-1].append(call)
    return waves


async def replay(client: DynamoDBClient, waves: Waves) -> None:
    for wave in waves:
        # A shallow copy each time: botocore adds parameters (idempotency tokens) in place.
        calls = [getattr(client, xform_name(c.operation))(**dict(c.params)) for c in wave]
        if len(calls) == 1:
            await calls[0]
        else:
            await asyncio.gather(*calls)


class AsgiCaller:
    """POST /graphql straight into the ASGI app, as Mangum does on Lambda."""

    def __init__(self, app: Starlette, token: str | None) -> None:
        self.app = app
        self.headers = [(b"content-type", b"application/json"), (b"host", b"singlet")]
        if token is not None:
            self.headers.append((b"authorization", f"Bearer {token}".encode()))

    async def __call__(self, body: bytes) -> tuple[int, bytes]:
        headers = [*self.headers, (b"content-length", str(len(body)).encode())]
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "https", "path": "/graphql",
            "raw_path": b"/graphql", "query_string": b"", "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 1), "server": ("singlet", 443),
        }  # fmt: skip
        sent = False
        status, chunks = 0, []

        async def receive() -> Message:
            nonlocal sent
            if sent:  # pragma: no cover (the app reads the body once)
                await asyncio.Event().wait()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def body_of(operation: Operation, run: int) -> bytes:
    variables = dict(operation.variables)
    if operation.variants:
        variables.update(operation.variants[run % len(operation.variants)])
    return json.dumps({"query": operation.query, "variables": variables}).encode()


def check(operation: Operation, status: int, body: bytes) -> None:
    result = json.loads(body)
    if status != 200 or result.get("errors"):
        raise RuntimeError(f"{operation.name} failed: {status} {result}")


async def timed(run: Awaitable[Any]) -> tuple[Any, float, float]:
    """The awaitable's result, wall and CPU seconds (a coroutine runs only when awaited)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = await run
    return result, time.perf_counter() - wall, time.process_time() - cpu


def settings_for(table: str, endpoint: str) -> Settings:
    # As on AWS: no pricer reading items around writes (DynamoDB Local's transactions are
    # priced by the model only in tests and the comparison's accounting run), and the client
    # signing with credentials from the environment (a role's, there; DynamoDB Local takes any).
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, LOCAL_CREDENTIALS[name.lower()])
    return Settings(table_name=table, endpoint_url=endpoint, jwt_secret=SECRET,
                    cursor_secret=SECRET, log_level="WARNING", dynamodb_local=False)  # fmt: skip


async def measure(endpoint: str, scale: str, iterations: int, warmup: int) -> list[Pattern]:
    data, table = await loaded_table(endpoint, scale, "floor")
    chosen = {op.name: op for op in operations(data) if op.name in PATTERNS}
    settings = settings_for(table, endpoint)
    app = create_app(settings)
    heap.settle(app)  # as api/handler.py does after init (and again once the client exists)
    store = await app.state.resources.store()
    # The floor's client: aiobotocore configured as the app's (store/client.py: timeouts,
    # retries, pool, and the per-call savings), so the floor is the least those calls cost and
    # the app is not credited with what its client saves.
    session = get_session()
    async with session.create_client(
        "dynamodb", region_name=REGION, endpoint_url=endpoint, config=call_config(session),
        **LOCAL_CREDENTIALS,
    ) as floor:  # fmt: skip
        gc.freeze()  # the floor's client settled likewise: the process serves both sides
        try:
            recorder = Recorder(store.table.client)
            patterns = [await _pattern(chosen[name], app, settings, recorder, floor, iterations,
                                       warmup) for name in PATTERNS]  # fmt: skip
        finally:
            await app.state.resources.close()
    return patterns


async def _pattern(
    operation: Operation,
    app: Starlette,
    settings: Settings,
    recorder: Recorder,
    floor: DynamoDBClient,
    iterations: int,
    warmup: int,
) -> Pattern:
    token = issue_token(settings, operation.as_user) if operation.as_user else None
    call = AsgiCaller(app, token)
    variants = max(1, len(operation.variants))
    # Warm-up with the last variant (so that a vote really writes in every recorded request),
    # one recorded request per variant, then the floor's warm-up (its connections) replays
    # variant 0.
    check(operation, *await call(body_of(operation, variants - 1)))
    recorded: list[Waves] = []
    for variant in range(variants):
        with recorder.recording() as calls:
            check(operation, *await call(body_of(operation, variant)))
        recorded.append(waves_of(calls))
    pattern = Pattern(operation, recorded)
    await replay(floor, recorded[0])
    # Alternate app and floor, and which goes first. Run n sends variant n (app or floor), so
    # a vote always changes direction and both sides write every time. The first `warmup`
    # rounds are not kept: DynamoDB Local's JVM is still compiling its hot paths.
    run = 1
    for i in range(warmup + iterations):
        for side in ("app", "floor") if i % 2 == 0 else ("floor", "app"):
            if side == "app":
                request = call(body_of(operation, run))  # the body is built untimed
                (status, answer), wall, cpu = await timed(request)
                check(operation, status, answer)
                timing = pattern.app
            else:
                _, wall, cpu = await timed(replay(floor, recorded[run % variants]))
                timing = pattern.floor
            if i >= warmup:
                timing.add(wall, cpu)
            run += 1
    return pattern


def markdown(results: dict[str, Any]) -> str:
    out = [
        "# CPU per request: the app against its database floor",
        "",
        f"`python -m bench.floor --scale {results['scale']} --iterations "
        f"{results['iterations']} --warmup {results['warmup']}` on {results['machine']} with "
        f"{results['cores']} cores, "
        f"Python {results['python']}, DynamoDB Local (in memory, its own process).",
        "",
        "The floor is the same DynamoDB calls the request made (recorded with their "
        "parameters), replayed with an aiobotocore client configured as the app's (timeouts, "
        "retries, pool and per-call savings) in the same waves. App: the whole "
        "request through the ASGI app (auth, GraphQL, resolvers, store, HTTP layer), as on "
        "AWS (no pricing reads), its heap settled as the Lambda handler settles it "
        "(api/heap.py). App and floor alternate; medians of each. CPU: process time "
        "of the Python process. Wall time is at loopback speed: in-region DynamoDB adds its "
        "network time to both sides, so the CPU figures are the ones Lambda's bill follows.",
        "",
        "| access pattern | calls (waves) | wall ms app / floor | wall ratio "
        "| CPU ms app / floor | CPU ratio | app CPU over floor | app CPU share of wall |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, p in results["patterns"].items():
        calls = ", ".join(f"{n} {op}" for op, n in p["calls"].items())
        app, floor, ratio = p["app"], p["floor"], p["ratio"]
        out.append(
            f"| {name} | {calls} ({p['waves']}) | {app['wall_ms']:.2f} / {floor['wall_ms']:.2f} "
            f"| {ratio['wall']:.2f}x | {app['cpu_ms']:.2f} / {floor['cpu_ms']:.2f} "
            f"| {ratio['cpu']:.2f}x | {p['app_over_floor_cpu_ms']:.2f} ms "
            f"| {app['cpu_share']:.2f} |"
        )
    out += [
        "",
        "Means of the same runs (Lambda bills the sum of durations: the occasional slow "
        "request, such as one with a full garbage collection, counts in the bill and not in "
        "a median):",
        "",
        "| access pattern | wall ms app / floor | wall ratio | CPU ms app / floor | CPU ratio |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, p in results["patterns"].items():
        app, floor, ratio = p["app"], p["floor"], p["ratio"]
        out.append(
            f"| {name} | {app['wall_mean_ms']:.2f} / {floor['wall_mean_ms']:.2f} "
            f"| {ratio['wall_mean']:.2f}x | {app['cpu_mean_ms']:.2f} / {floor['cpu_mean_ms']:.2f} "
            f"| {ratio['cpu_mean']:.2f}x |"
        )
    return "\n".join(out) + "\n"


def main() -> None:
    args = paired_arguments(__doc__, iterations=300, warmup=50)
    patterns = on_dynamodb(lambda endpoint: measure(endpoint, args.scale, args.iterations,
                                                    args.warmup))  # fmt: skip
    results = {
        "scale": args.scale,
        "iterations": args.iterations,
        "warmup": args.warmup,
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "patterns": {p.operation.name: p.summary() for p in patterns},
    }
    text = markdown(results)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "floor.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.output / "floor.md").write_text(text)
    print(text)
    print(f"wrote {args.output / 'floor.md'} and {args.output / 'floor.json'}")


if __name__ == "__main__":
    main()
