"""Runs operations against both designs and measures them.

Per operation and design: latency percentiles over timed runs, optionally with a delay added
to every DynamoDB call to stand in for the network (DynamoDB Local answers over loopback in
well under a millisecond); then one accounting run: DynamoDB calls by type, sequential round
trips (calls that overlap in time count once), capacity by AWS's billing rules (the cost
model applied to what the calls touched, accounting.py) beside DynamoDB Local's own figure,
and Singlet's predicted cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from singlet_tools.local import start
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from api.app import RequestContext, create_app
from api.auth import Authenticator, issue_token
from api.execution import Executor
from api.http import COST_HEADER, Caller, GraphQLHTTP
from api.settings import Settings
from cost.budget import Budget
from cost.meter import DATA_OPERATIONS, Usage, meter_of
from model.shape import Shape, load_shape
from resolvers.internals import graphql_schema
from store.client import open_client

from .baseline.schema import BaselineContext, build_schema
from .baseline.tables import Tables, definitions
from .data import SCALES
from .workload import Operation

RESULTS = Path(__file__).resolve().parent / "results"
T = TypeVar("T")


def on_dynamodb(run: Callable[[str], Coroutine[Any, Any, T]]) -> T:
    """`run(endpoint)` on DYNAMODB_ENDPOINT_URL if set, else on a DynamoDB Local started for
    it and stopped after."""
    endpoint = os.environ.get("DYNAMODB_ENDPOINT_URL")
    local = None if endpoint else start()
    try:
        return asyncio.run(run(endpoint or local.endpoint_url))  # type: ignore[union-attr]
    finally:
        if local:
            local.stop()


def paired_arguments(doc: str, iterations: int, warmup: int) -> argparse.Namespace:
    """The options of a paired run (bench.floor, bench.limiter), `doc` its module's."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--scale", default="small", choices=SCALES)
    parser.add_argument("--iterations", type=int, default=iterations, help="runs of each side")
    parser.add_argument("--warmup", type=int, default=warmup, help="runs of each side not kept")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args()


if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

SECRET = "benchmark-secret-of-at-least-32-bytes"


class Instruments:
    """Counting, pricing by the cost model and an injectable delay, on one client."""

    def __init__(self, client: DynamoDBClient, shapes: Mapping[str, Shape]) -> None:
        meter = meter_of(client)
        self.calls = Usage()
        meter.listeners.append(self.calls)
        assert meter.pricer is not None, "a benchmark client talks to DynamoDB Local"
        self.pricer = meter.pricer
        self.pricer.shape_of = lambda table: shapes[table]
        # Pricing reads items around each write: only in the accounting run, never timed.
        self.pricer.operations = frozenset()
        self.delay = 0.0
        client.meta.events.register("before-send.dynamodb", self._network)

    async def _network(self, **_: Any) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)

    @contextmanager
    def pricing_every_call(self) -> Iterator[None]:
        """The accounting run: every call priced by the model."""
        usual, self.pricer.operations = self.pricer.operations, DATA_OPERATIONS
        try:
            yield
        finally:
            self.pricer.operations = usual


@dataclass
class Design:
    name: str
    http: httpx.AsyncClient
    instruments: Instruments
    reports_cost: bool = False  # answers with its predicted cost (Singlet)


@dataclass
class Measurement:
    operation: str
    design: str
    delay_ms: float
    calls: Counter[str]
    round_trips: int
    read_capacity: float  # by AWS's billing rules: the model applied to the calls made
    write_capacity: float
    capacity_reported: float  # what DynamoDB Local reported for the same calls
    latencies_ms: list[float] = field(default_factory=list)
    predicted: dict[str, Any] | None = None  # Singlet's prediction, before it ran
    checked: int = 0  # non-transactional calls priced by the model ...
    matched: int = 0  # ... where Local reported the same

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def capacity(self) -> float:
        return self.read_capacity + self.write_capacity

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def baseline_endpoint(client: DynamoDBClient, tables: Tables, settings: Settings) -> GraphQLHTTP:
    """The baseline behind the same HTTP layer and pipeline as Singlet (its fields declare
    no cost, so nothing is refused for cost)."""
    authenticator = Authenticator(settings)
    unlimited = Budget(None, None, None)

    async def authenticate(request: Request) -> Caller:
        return Caller(await authenticator.subject(request.headers.get("authorization")))

    def new_context(subject: str | None, prefetch_viewer: bool) -> BaselineContext:
        return BaselineContext(client, tables, subject)

    executor = Executor(graphql_schema(build_schema()), budget=unlimited)
    return GraphQLHTTP(executor, authenticate, new_context)


def settings_for(table: str, endpoint: str) -> Settings:
    return Settings(table_name=table, endpoint_url=endpoint, jwt_secret=SECRET,
                    cursor_secret=SECRET, log_level="WARNING")  # fmt: skip


@asynccontextmanager
async def singlet(endpoint: str, table: str) -> AsyncIterator[Design]:
    app = create_app(settings_for(table, endpoint))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://singlet") as http:  # fmt: skip
        store = await app.state.resources.store()  # the app's own client, made here
        instruments = Instruments(store.table.client, {table: load_shape()})
        try:
            yield Design("singlet", http, instruments, reports_cost=True)
        finally:
            await app.state.resources.close()


@asynccontextmanager
async def baseline(endpoint: str, tables: Tables) -> AsyncIterator[Design]:
    client = await open_client("us-east-1", endpoint)
    endpoint_app = baseline_endpoint(client, tables, settings_for("unused", endpoint))
    app = Starlette(routes=[Route("/graphql", endpoint_app.handle, methods=["GET", "POST"])])
    app.add_middleware(RequestContext, max_body_bytes=512 * 1024)  # the same HTTP stack
    shapes = {d["TableName"]: Shape.from_definition(d) for d in definitions(tables)}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://baseline") as http:  # fmt: skip
        try:
            yield Design("baseline", http, Instruments(client, shapes))
        finally:
            await client.close()


async def request(
    design: Design, operation: Operation, run: int = 0
) -> tuple[float, dict[str, Any]]:
    headers = {"content-type": "application/json"}
    if design.reports_cost:
        headers[COST_HEADER] = "1"
    if operation.as_user:
        token = issue_token(settings_for("-", "-"), operation.as_user)
        headers["authorization"] = f"Bearer {token}"
    variables = dict(operation.variables)
    if operation.variants:
        variables.update(operation.variants[run % len(operation.variants)])
    body = json.dumps({"query": operation.query, "variables": variables})
    started = time.perf_counter()
    response = await design.http.post("/graphql", content=body, headers=headers)
    elapsed = (time.perf_counter() - started) * 1000
    result: dict[str, Any] = response.json()
    if response.status_code != 200 or result.get("errors"):
        raise RuntimeError(f"{design.name} {operation.name} failed: {result}")
    return elapsed, result


async def measure(
    design: Design, operation: Operation, iterations: int, delay_ms: float = 0.0
) -> Measurement:
    """Runs the operation `iterations` times after one warm-up (latencies), then once more to
    account for its cost (calls, round trips, capacity, prediction)."""
    instruments = design.instruments
    instruments.delay = delay_ms / 1000
    try:
        await request(design, operation, run=-1)  # warm-up: connections, caches
        latencies = []
        for run in range(iterations):
            elapsed, _ = await request(design, operation, run)
            latencies.append(elapsed)
    finally:
        instruments.delay = 0.0
    instruments.calls.clear()
    with instruments.pricing_every_call():
        _, result = await request(design, operation, iterations)
    calls = instruments.calls
    checked = [c for c in calls.calls if c.operation != "TransactWriteItems" and c.reported]
    predicted = result.get("extensions", {}).get("cost", {}).get("requested")
    return Measurement(
        operation.name, design.name, delay_ms, calls.first_attempts, calls.round_trips,
        calls.read_units, calls.write_units, sum(c.as_reported for c in calls.calls),
        latencies, predicted, len(checked),
        sum(abs(c.capacity - c.as_reported) < 1e-9 for c in checked),
    )  # fmt: skip
