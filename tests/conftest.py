"""Fixtures: one real DynamoDB Local per session, a fresh table per test, a Scan guard."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest
from singlet_tools.local import LocalUnavailable, start
from singlet_tools.tables import create_table, delete_table

from cost.meter import Usage, meter_of
from store import Store, Table
from store.client import open_client
from store.retry import Backoff

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

REGION = "us-east-1"
# Retries as in production, but with short sleeps so fault-injection tests stay quick.
FAST_BACKOFF = Backoff(attempts=8, base=0.001, cap=0.01)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_scan: the test may issue Scan (migrations)")


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    """DYNAMODB_ENDPOINT_URL if set; otherwise a DynamoDB Local started for this session."""
    yield from local_dynamodb()


def local_dynamodb() -> Iterator[str]:
    """DYNAMODB_ENDPOINT_URL if set; otherwise a DynamoDB Local, stopped when this resumes."""
    configured = os.environ.get("DYNAMODB_ENDPOINT_URL")
    if configured:
        yield configured
        return
    try:
        local = start()
    except LocalUnavailable as error:
        pytest.exit(f"singlet: {error}", returncode=3)
    yield local.endpoint_url
    local.stop()


@pytest.fixture
def own_dynamodb() -> Iterator[str]:
    """A DynamoDB Local for this test alone (DYNAMODB_ENDPOINT_URL's endpoint if set)."""
    configured = os.environ.get("DYNAMODB_ENDPOINT_URL")
    if configured:
        yield configured
        return
    local = start()
    yield local.endpoint_url
    local.stop()


@pytest.fixture(scope="session")
async def client(dynamodb_endpoint: str) -> AsyncIterator[DynamoDBClient]:
    dynamodb = await open_client(REGION, dynamodb_endpoint)
    yield dynamodb
    await dynamodb.close()


@pytest.fixture
async def table_name(client: DynamoDBClient) -> AsyncIterator[str]:
    """A freshly created table, from infra/template.yaml, for this test alone."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    await create_table(client, name)
    yield name
    await delete_table(client, name)


@pytest.fixture
def store(client: DynamoDBClient, table_name: str) -> Store:
    return Store(Table(client, table_name, FAST_BACKOFF))


@pytest.fixture
def calls(client: DynamoDBClient) -> Iterator[Usage]:
    """Every DynamoDB call the test makes from here on."""
    with meter_of(client).listening() as usage:
        yield usage


@pytest.fixture(autouse=True)
def no_scan(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fails any test whose code issued a Scan: no read path may Scan."""
    if request.node.get_closest_marker("allow_scan") or "client" not in request.fixturenames:
        yield
        return
    dynamodb: DynamoDBClient = request.getfixturevalue("client")
    with meter_of(dynamodb).listening() as usage:
        yield
    assert usage.counts["Scan"] == 0, "a Scan was issued"
