"""Creating the aiobotocore DynamoDB client: once per process (per Lambda container)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from .keys import SHAPE
from .pricing import Pricer
from .usage import Meter

if TYPE_CHECKING:
    from types_aiobotocore_dynamodb import DynamoDBClient

# Fail fast rather than hold a Lambda invocation: DynamoDB answers in milliseconds.
CLIENT_CONFIG = AioConfig(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 4},
    max_pool_connections=64,
)

# DynamoDB Local accepts any credentials; these keep botocore from searching for real ones.
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


async def open_client(
    region: str, endpoint_url: str | None = None, dynamodb_local: bool | None = None
) -> DynamoDBClient:
    """A client to keep open; close it with `await client.close()`. Every call it makes is
    metered (store/usage.py); `dynamodb_local` (default: any custom endpoint) says the
    endpoint is DynamoDB Local, whose transactions the meter prices by the cost model."""
    credentials = LOCAL_CREDENTIALS if endpoint_url else {}
    context = get_session().create_client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint_url,
        config=CLIENT_CONFIG,
        **credentials,
    )
    client: DynamoDBClient = await context.__aenter__()
    local = endpoint_url is not None if dynamodb_local is None else dynamodb_local
    pricer = Pricer(client, lambda _: SHAPE).attach() if local else None
    Meter(pricer).attach(client)
    return client
