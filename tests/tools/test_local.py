"""DynamoDB Local as `singlet dev` and the tests start it: in memory, or kept on disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from singlet_tools.local import LocalUnavailable, start
from singlet_tools.tables import create_table

from store.client import open_client

ITEM = {"PK": {"S": "KEPT#1"}, "SK": {"S": "KEPT"}, "note": {"S": "across restarts"}}


async def _write(endpoint: str) -> None:
    client = await open_client("us-east-1", endpoint)
    try:
        await create_table(client, "kept")
        await client.put_item(TableName="kept", Item=ITEM)
    finally:
        await client.close()


async def _read(endpoint: str) -> Any:
    client = await open_client("us-east-1", endpoint)
    try:
        found = await client.get_item(TableName="kept", Key={k: ITEM[k] for k in ("PK", "SK")})
    finally:
        await client.close()
    return found.get("Item")


async def test_data_kept_in_a_directory_survives_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "not-yet" / "data"  # created on first use
    first = start(data=data)
    try:
        await _write(first.endpoint_url)
    finally:
        first.stop()
    assert (data / "shared-local-instance.db").is_file()  # -sharedDb: one file, any region
    second = start(data=data)
    try:
        assert await _read(second.endpoint_url) == ITEM
    finally:
        second.stop()


async def test_in_memory_data_does_not_survive(tmp_path: Path) -> None:
    local = start()
    try:
        await _write(local.endpoint_url)
    finally:
        local.stop()
    again = start()
    try:
        client = await open_client("us-east-1", again.endpoint_url)
        try:
            assert (await client.list_tables())["TableNames"] == []
        finally:
            await client.close()
    finally:
        again.stop()


def test_one_data_directory_serves_one_dynamodb_local_at_a_time(tmp_path: Path) -> None:
    first = start(data=tmp_path)
    try:
        with pytest.raises(LocalUnavailable, match="in use by another DynamoDB Local"):
            start(data=tmp_path)
    finally:
        first.stop()
    start(data=tmp_path).stop()  # free again once the first has stopped


def test_a_data_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(LocalUnavailable, match="cannot keep DynamoDB Local's data in"):
        start(data=tmp_path / "file")
