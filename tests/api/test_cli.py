"""The `singlet` command, including `singlet dev` (what `make run` runs) end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest
from singlet_tools.cli import main
from singlet_tools.local import free_port

SECRET = "cli-test-secret-of-at-least-32-bytes"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: str, table_name: str) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", dynamodb_endpoint)
    monkeypatch.setenv("TABLE_NAME", table_name)


@pytest.mark.usefixtures("cli_env")
def test_token_prints_a_bearer_token_for_a_seeded_user(capsys: pytest.CaptureFixture[str]) -> None:
    main(["token", "--user", "ada", "--ttl", "60"])
    token = capsys.readouterr().out.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "seed|ada"
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.usefixtures("cli_env")
def test_table_create_and_seed_are_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    main(["table", "create"])
    assert "already exists" in capsys.readouterr().out  # the fixture made it
    main(["seed"])
    assert capsys.readouterr().out.strip() == "demo data seeded"
    main(["seed"])
    assert "already present" in capsys.readouterr().out


def test_missing_configuration_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET", "JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit, match="set JWT_SECRET"):
        main(["seed"])


def test_singlet_dev_serves_a_seeded_api_and_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DYNAMODB_ENDPOINT_URL"}
    env.update(PORT=str(port), TABLE_NAME="dev-cli-test")
    binary = Path(sys.executable).parent / "singlet"
    output = (tmp_path / "out.log").open("w+")
    process = subprocess.Popen([str(binary), "dev"], env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C" not in (tmp_path / "out.log").read_text():
            assert process.poll() is None, (tmp_path / "out.log").read_text()
            assert time.monotonic() < deadline, "singlet dev did not start"
            time.sleep(0.2)
        printed = (tmp_path / "out.log").read_text()
        header = next(line for line in printed.splitlines() if line.startswith("Header:"))
        authorization = header.split("Authorization: ", 1)[1]
        url = f"http://127.0.0.1:{port}/graphql"
        assert f"GraphiQL:  {url}" in printed
        query = {"query": "{ viewer { username } posts(first: 3) { edges { node { title } } } }"}
        reply = httpx.post(url, json=query, headers={"authorization": authorization})
        data = reply.json()["data"]
        assert data["viewer"] == {"username": "ada"}
        assert len(data["posts"]["edges"]) == 3
        # What GraphiQL shows next to every result under `make run`: what it cost.
        cost = reply.json()["extensions"]["cost"]
        assert cost["actual"]["calls"] == {"BatchGetItem": 2, "Query": 4}
        assert cost["predicted"]["calls"] == {"BatchGetItem": 2, "Query": 4}
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        process.wait(timeout=30)
        output.close()
    local = next(line for line in printed.splitlines() if line.startswith("DynamoDB Local "))
    local_port = local.split()[2].rsplit(":", 1)[1]
    deadline = time.monotonic() + 10
    while _java_on(local_port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _java_on(local_port), "DynamoDB Local outlived singlet dev"


def _java_on(port: str) -> bool:
    found = subprocess.run(["pgrep", "-f", f"DynamoDBLocal.jar .*-port {port}$"], check=False,
                           capture_output=True)  # fmt: skip
    return found.returncode == 0
