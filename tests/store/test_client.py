"""Which credentials a client signs with: the caller's anywhere but DynamoDB Local."""

from __future__ import annotations

import pytest

from store.client import LOCAL_CREDENTIALS, open_client


async def access_key(endpoint: str | None, dynamodb_local: bool | None = None) -> str:
    client = await open_client("us-east-1", endpoint, dynamodb_local)
    try:
        credentials = client._get_credentials()  # what the request signer holds
        frozen = await credentials.get_frozen_credentials()
        return str(frozen.access_key)
    finally:
        await client.close()


async def test_a_custom_endpoint_signs_with_the_callers_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIACALLER")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "caller-secret")
    # A VPC endpoint or a proxy in front of DynamoDB: not this machine.
    assert await access_key("https://vpce-0abc.dynamodb.us-east-1.vpce.amazonaws.com") == (
        "AKIACALLER"
    )
    assert await access_key(None) == "AKIACALLER"  # AWS's own endpoint
    # DynamoDB Local checks no credentials: it gets placeholders, never the caller's.
    local = LOCAL_CREDENTIALS["aws_access_key_id"]
    assert await access_key("http://127.0.0.1:8000") == local
    assert await access_key("http://dynamodb-local:8000", dynamodb_local=True) == local
    assert await access_key("http://127.0.0.1:8000", dynamodb_local=False) == "AKIACALLER"
