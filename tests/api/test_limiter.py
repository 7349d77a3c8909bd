"""Each caller held to a budget of DynamoDB capacity, on DynamoDB Local, over real HTTP.

Time is the limiter's clock, frozen or moved by the test: what a bucket holds depends on
nothing else, so every count here is exact.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from singlet_tools.seed import seed
from starlette.applications import Starlette

from api.app import create_app
from api.callers import caller_of
from api.settings import Settings, SettingsError
from cost.buckets import MICROSECONDS, Rate
from cost.limiter import MINIMUM, Limiter, Limits
from cost.meter import meter_of
from model.entities import Bucket
from store import Store
from tests.faults import Throttled

from .conftest import Api, Reply, make_token, serve_http

# The feed's 4 shards: 4 Queries of empty partitions (no read unit): charged the minimum.
FEED = "{ posts(first: 1) { edges { cursor } } }"
JSON = {"content-type": "application/json", "x-singlet-cost": "1"}
START = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def limited(settings: Settings, anonymous: str = "20/1", signed_in: str = "none") -> Settings:
    env = {"JWT_SECRET": "x" * 32, "RATE_LIMIT_ANONYMOUS": anonymous,
           "RATE_LIMIT_SIGNED_IN": signed_in}  # fmt: skip
    return replace(settings, limits=Settings.from_env(env).limits)


@pytest.fixture
async def server(settings: Settings, clock: Clock) -> AsyncIterator[Api]:
    async with serve_http(create_app(limited(settings), clock=clock)) as api:
        yield api


async def post(api: Api, query: str, token: str | None = None,
               headers: dict[str, str] | None = None) -> Reply:  # fmt: skip
    sent = {**JSON, **(headers or {})}
    if token is not None:
        sent["authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query}).encode()
    return await api.request("POST", "/graphql", body=body, headers=sent)


def limiter_of(app: Starlette) -> Limiter:
    limiter = app.state.resources.limiter
    assert isinstance(limiter, Limiter)
    return limiter


async def bucket_full_at(store: Store, caller: str) -> int | None:
    found = await store.table.get_items([Bucket.key_of(caller=caller)], consistent=True)
    item = found.get(Bucket.key_of(caller=caller))
    return None if item is None else int(item[Bucket.full_at.name])


def cost(reply: Reply) -> dict[str, Any]:
    found: dict[str, Any] = reply.json()["extensions"]["cost"]
    return found


# What a request is charged


async def test_a_request_reserves_a_step_is_charged_what_it_consumed_and_the_rest_returns(
    server: Api, store: Store
) -> None:
    reply = await post(server, FEED)
    assert reply.status == 200, reply.body
    report = cost(reply)
    # A step reserved (a twentieth of the bucket: its worst case is more), nothing consumed,
    # the minimum charged.
    assert report["requested"]["units"] == 1.0
    assert report["actual"]["readUnits"] == 0.0
    assert report["actual"]["units"] == MINIMUM == 1.0
    # The container took a lease (a tenth of the bucket) for its requests.
    assert report["limiter"]["calls"] == {"UpdateItem": 1}
    assert report["limiter"]["writeUnits"] == 1.0
    assert report["throttleStatus"] == {
        "maximumAvailable": 20.0, "currentlyAvailable": 19.0, "restoreRate": 1.0,
    }  # fmt: skip
    # In the table: the lease taken (2 units at 1 a second: full 2 s from now).
    assert await bucket_full_at(store, "ip:127.0.0.1") == int((START + 2) * MICROSECONDS)
    # The next request reserves from what the container holds: no call to the table.
    again = cost(await post(server, FEED))
    assert again["limiter"]["calls"] == {}
    assert again["throttleStatus"]["currentlyAvailable"] == 18.0


async def test_a_request_that_needs_no_call_is_charged_the_minimum(server: Api) -> None:
    report = cost(await post(server, "{ __typename }"))
    assert report["actual"]["calls"] == {}
    assert report["actual"]["units"] == MINIMUM
    assert report["throttleStatus"]["currentlyAvailable"] == 20.0 - MINIMUM


async def test_a_request_that_does_not_run_is_charged_the_minimum(server: Api) -> None:
    for query in ("{ posts(", "{ nope }", "{ posts(first: 100) { edges { node { "
                  + " ".join(f"c{n}: comments(first: 100) {{ totalCount: __typename }}"
                             for n in range(30)) + " } } } }"):  # fmt: skip
        assert (await post(server, query)).status == 200  # (application/json)
    report = cost(await post(server, FEED))
    assert report["throttleStatus"]["currentlyAvailable"] == 20.0 - 4 * MINIMUM


# Over budget


async def test_a_spent_budget_is_a_429_with_retry_after_and_no_read(
    server: Api, clock: Clock
) -> None:
    for _ in range(20):  # 20 x 1 unit: the bucket of 20
        assert (await post(server, FEED)).status == 200
    client = (await server.app.state.resources.store()).table.client
    with meter_of(client).listening() as calls:
        reply = await post(server, FEED, headers={"accept": "application/graphql-response+json"})
    assert reply.status == 429
    assert reply.headers["retry-after"] == "1"  # a step (1 unit) at 1 a second
    body = reply.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0.0
    # Refused by what the container knows of the bucket: no call at all, not even the
    # limiter's (one abusive caller cannot make their bucket item hot).
    assert calls.calls == []
    # A request that would not run is refused for the budget first, as a proxy would.
    assert (await post(server, "{ posts(")).status == 429
    clock.now += 1
    assert (await post(server, FEED)).status == 200


async def test_refill_follows_the_clock(server: Api, clock: Clock) -> None:
    for _ in range(20):
        assert (await post(server, FEED)).status == 200
    assert (await post(server, FEED)).status == 429
    clock.now += 0.5  # half a unit: less than a request's reservation (1)
    assert (await post(server, FEED)).status == 429
    clock.now += 0.5
    assert (await post(server, FEED)).status == 200
    clock.now += 3600  # an hour: full, and no fuller
    report = cost(await post(server, FEED))
    assert report["throttleStatus"]["currentlyAvailable"] == 19.0


async def test_a_request_reserves_what_the_bucket_holds_when_less_than_a_step(
    settings: Settings, clock: Clock
) -> None:
    async with serve_http(create_app(limited(settings, anonymous="40/1"), clock=clock)) as api:
        replies = [await post(api, FEED) for _ in range(41)]  # steps of 2, charged 1 each
        assert [r.status for r in replies].count(200) == 40
        assert replies[-1].status == 429
        clock.now += 1  # 1 unit back: less than a step (2), enough for this request
        reply = await post(api, FEED)
    assert reply.status == 200
    report = cost(reply)
    assert report["requested"]["units"] == 1.0
    assert report["actual"]["units"] == 1.0
    assert report["throttleStatus"]["currentlyAvailable"] == 0.0


async def test_anonymous_and_signed_in_callers_have_buckets_of_their_own(
    settings: Settings, clock: Clock, store: Store
) -> None:
    app = create_app(limited(settings, anonymous="20/1", signed_in="40/2"), clock=clock)
    async with serve_http(app) as api:
        for _ in range(20):
            assert (await post(api, FEED)).status == 200
        assert (await post(api, FEED)).status == 429
        token = make_token("auth0|reader")
        reply = await post(api, FEED, token=token)
        assert reply.status == 200
        status = cost(reply)["throttleStatus"]
        # A lease of 4, a step of 2 reserved, the minimum charged.
        assert status == {"maximumAvailable": 40.0, "currentlyAvailable": 39.0,
                          "restoreRate": 2.0}  # fmt: skip
        # Another address's header does not make the anonymous caller someone else.
        spoofed = await post(api, FEED, headers={"x-forwarded-for": "203.0.113.9"})
        assert spoofed.status == 429
    assert await bucket_full_at(store, "user:auth0|reader") == int((START + 2) * MICROSECONDS)
    assert await bucket_full_at(store, "ip:127.0.0.1") == int((START + 20) * MICROSECONDS)


def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy() -> None:
    assert caller_of(None, "198.51.100.1", "203.0.113.9", ()) == "ip:198.51.100.1"
    assert caller_of(None, "10.0.0.2", "203.0.113.9, 10.0.0.3", ("10.0.0.2", "10.0.0.3")) == (
        "ip:203.0.113.9"
    )
    # A client's own X-Forwarded-For entries come first: the proxy's last hop is believed.
    assert caller_of(None, "10.0.0.2", "6.6.6.6, 203.0.113.9", ("10.0.0.2",)) == ("ip:203.0.113.9")
    assert caller_of("auth0|x", "198.51.100.1", None, ()) == "user:auth0|x"


# Two app instances, one bucket


async def test_two_servers_never_overspend_one_bucket_under_concurrency(
    settings: Settings, clock: Clock, store: Store
) -> None:
    config = limited(settings, anonymous="40/1")
    one, two = create_app(config, clock=clock), create_app(config, clock=clock)
    async with serve_http(one) as first, serve_http(two) as second:
        replies = list(await asyncio.gather(
            *(post(api, FEED) for _ in range(30) for api in (first, second))
        ))  # fmt: skip
        # Which of those got in depends on how they interleaved (a request holds its step
        # until it ends); what is left is then spent one request at a time, on each server
        # until it refuses: whatever the interleaving, the bucket serves exactly its size.
        for api in (first, second):
            while (reply := await post(api, FEED)).status == 200:
                replies.append(reply)
            replies.append(reply)
    admitted = [cost(r) for r in replies if r.status == 200]
    assert {r.status for r in replies} == {200, 429}
    assert [report["actual"]["units"] for report in admitted] == [1.0] * 40
    # Nothing is left in either server's lease, and the bucket gave its 40 units, no more.
    assert [limiter_of(app).leases["ip:127.0.0.1"].units for app in (one, two)] == [0.0, 0.0]
    assert await bucket_full_at(store, "ip:127.0.0.1") == int((START + 40) * MICROSECONDS)


# While a request runs


async def test_a_request_stops_calling_at_its_read_limit_and_the_rest_stands(
    settings: Settings, store: Store
) -> None:
    await seed(store)
    # Half a unit: the least a Query that finds items consumes (the feed's shards hold the
    # posts by their random ids, so at least one of its four Queries finds some).
    capped = replace(settings, limits=Limits(read_units=0.5))
    query = "{ posts(first: 2) { edges { node { title author { username } } } } }"
    async with serve_http(create_app(capped)) as api:
        reply = await post(api, query)
    body = reply.json()
    assert reply.status == 200
    edges = body["data"]["posts"]["edges"]
    assert [bool(e["node"]["title"]) for e in edges] == [True, True]
    assert [e["node"]["author"] for e in edges] == [None, None]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"COST_LIMIT_EXCEEDED"}
    # The feed's wave ran (4 Queries); the authors' BatchGetItem was never made.
    assert body["extensions"]["cost"]["actual"]["calls"] == {"Query": 4}


async def test_a_request_takes_more_steps_as_it_consumes(
    settings: Settings, store: Store, clock: Clock
) -> None:
    await seed(store)
    query = "{ posts(first: 20) { edges { node { title content comments(first: 20) {" \
            " edges { node { body author { username } } } } } } } }"  # fmt: skip
    app = create_app(limited(settings, anonymous="40/1"), clock=clock)
    async with serve_http(app) as api:
        reply = await post(api, query)
    assert reply.status == 200
    body = reply.json()
    assert "errors" not in body
    report = body["extensions"]["cost"]
    assert report["limiter"]["calls"]["UpdateItem"] > 1  # it consumed more than a lease
    # A wave's calls go once the request has reserved more than it consumed: the last wave
    # can overshoot, and the overshoot is charged all the same (the lease owes it).
    charged = report["actual"]["units"]
    assert charged == report["actual"]["readUnits"]
    held = limiter_of(app).leases["ip:127.0.0.1"].units
    full_at = await bucket_full_at(store, "ip:127.0.0.1")
    assert full_at is not None
    assert charged + held == (full_at - START * MICROSECONDS) / MICROSECONDS


# The limiter's own failure


async def test_when_the_bucket_cannot_be_read_the_caller_is_refused_and_nothing_is_read(
    server: Api,
) -> None:
    """Fail closed, for this caller only: a throttled bucket item is that caller's alone."""
    client = (await server.app.state.resources.store()).table.client
    with Throttled(client, "UpdateItem", times=1), meter_of(client).listening() as calls:
        reply = await post(server, FEED)
    assert reply.status == 429
    assert reply.headers["retry-after"] == "1"
    assert [e["extensions"]["code"] for e in reply.json()["errors"]] == ["RATE_LIMITED"]
    assert [c.operation for c in calls.calls] == ["UpdateItem"]
    assert (await post(server, FEED)).status == 200  # the next take succeeds


# Settings


def test_rates_are_capacity_over_refill_or_none() -> None:
    env = {"JWT_SECRET": "x" * 32}
    defaults = Settings.from_env(env).limits
    assert defaults.anonymous == Rate(600, 20)
    assert defaults.signed_in == Rate(1200, 40)
    off = Settings.from_env({**env, "RATE_LIMIT_ANONYMOUS": "none"}).limits
    assert off.anonymous is None
    for bad in ("200", "200/0", "abc/1", "5/1", "-10/1"):
        with pytest.raises(SettingsError, match="RATE_LIMIT_SIGNED_IN"):
            Settings.from_env({**env, "RATE_LIMIT_SIGNED_IN": bad})


async def test_unlimited_callers_get_no_throttle_status(settings: Settings) -> None:
    async with serve_http(create_app(settings)) as api:
        report = cost(await post(api, FEED))
    assert "throttleStatus" not in report
    assert "limiter" not in report
    assert isinstance(report["actual"], dict)
