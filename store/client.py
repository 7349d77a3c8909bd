"""Creating the aiobotocore DynamoDB client: once per process (per Lambda container)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.useragent import UserAgentString

from cost.meter import Meter
from cost.pricing import Pricer
from model.keys import SHAPE

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


def call_config(session: AioSession, config: AioConfig = CLIENT_CONFIG) -> AioConfig:
    """`config` without the work botocore would redo on every call for nothing, by its own
    documented options (each call costs ~1 ms of CPU in botocore and aiohttp, and Lambda bills
    the CPU time a request takes):

    - the User-Agent, fixed: botocore rebuilds it twice a call (~0.1 ms), component by
      component and character by character, although only its `m/` list of SDK feature ids
      (AWS's usage metrics of the SDK, nothing the service acts on) can change between calls.
      The same string otherwise, built once by botocore's own builder.
    - no client-side parameter validation: a walk of every parameter against the model
      (~0.1 ms for a BatchGetItem of 20 keys) that the store's typed builders make redundant;
      DynamoDB validates what it receives all the same (a mistake is a ValidationException
      instead of a ParamValidationError).
    """
    # As botocore builds it for a client: with the app id from the environment or the config
    # file if any, without the session's "extra", which botocore appends to a supplied string.
    appid = config.user_agent_appid or session.get_config_variable("user_agent_appid")
    agent = UserAgentString.from_environment().set_session_config(
        session.user_agent_name, session.user_agent_version, None
    )
    user_agent = agent.with_client_config(config.merge(AioConfig(user_agent_appid=appid)))
    fixed = AioConfig(user_agent=user_agent.to_string(), parameter_validation=False)
    merged: AioConfig = config.merge(fixed)
    return merged


async def open_client(
    region: str, endpoint_url: str | None = None, dynamodb_local: bool | None = None
) -> DynamoDBClient:
    """A client to keep open; close it with `await client.close()`. Every call it makes is
    metered (cost/meter.py). `dynamodb_local` (default: an endpoint on this machine) says
    the endpoint is DynamoDB Local: it gets placeholder credentials (it checks none, and real
    ones have no business there), and the meter prices its transactions by the cost model.
    Any other endpoint, custom or AWS's (a VPC endpoint, a proxy), signs with the caller's
    credentials, from botocore's usual chain."""
    local = is_local(endpoint_url) if dynamodb_local is None else dynamodb_local
    credentials = LOCAL_CREDENTIALS if local else {}
    session = get_session()
    context = session.create_client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint_url,
        config=call_config(session),
        **credentials,
    )
    client: DynamoDBClient = await context.__aenter__()
    pricer = Pricer(client, lambda _: SHAPE).attach() if local else None
    Meter(pricer).attach(client)
    return client


def is_local(endpoint_url: str | None) -> bool:
    """An endpoint on this machine: DynamoDB Local, as `make run` and the tests start it."""
    host = urlsplit(endpoint_url).hostname if endpoint_url else None
    return host in ("localhost", "127.0.0.1", "::1")
