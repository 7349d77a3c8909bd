"""The `singlet` command, including `singlet dev` (what `make run` runs) end to end."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from singlet_tools import cli, dev_settings
from singlet_tools.cli import main
from singlet_tools.local import free_port

from store import Store
from store.client import open_client
from tests.faults import Throttled

SECRET = "cli-test-secret-of-at-least-32-bytes"
BINARY = Path(sys.executable).parent / "singlet"
# What a session configures on its own; the tests set these themselves.
OWN = ("JWT_SECRET", "JWKS_URL", "DYNAMODB_ENDPOINT_URL", "TABLE_NAME", "SINGLET_DEBUG",
       "SINGLET_DATA", "SEED")  # fmt: skip


@pytest.fixture(autouse=True)
def state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A settings file of the tests' own: a `make run` on this machine is not theirs to use."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for name in ("SINGLET_DEBUG", "SINGLET_DATA"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "state"


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: str, table_name: str) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", dynamodb_endpoint)
    monkeypatch.setenv("TABLE_NAME", table_name)


@pytest.fixture
def closed_port() -> str:
    """An endpoint nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`singlet ARGS` in a terminal whose environment configures only `env` (and AWS's)."""
    base = {k: v for k, v in os.environ.items() if k not in OWN}
    return subprocess.run([str(BINARY), *args], env={**base, **env}, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """An expected failure: a non-zero exit and one line on stderr, no traceback."""
    assert result.returncode != 0, result.stdout
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("singlet"), result.stderr
    return result.stderr.strip()


def claims_of(token: str, secret: str = SECRET) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"])
    return claims


# --- singlet token ---------------------------------------------------------------------------


@pytest.mark.usefixtures("cli_env")
def test_token_prints_a_bearer_token_for_a_seeded_user(capsys: pytest.CaptureFixture[str]) -> None:
    main(["seed"])
    capsys.readouterr()
    main(["token", "--user", "ada", "--ttl", "60"])
    claims = claims_of(capsys.readouterr().out.strip())
    assert claims["sub"] == "seed|ada"
    assert claims["exp"] - claims["iat"] == 60


@pytest.mark.usefixtures("cli_env")
def test_usernames_match_as_the_store_holds_them(capsys: pytest.CaptureFixture[str]) -> None:
    # The store keeps a username's spelling and finds it case-insensitively (USERNAME#ada):
    # any case finds the user, and the token carries the subject seed gave it.
    main(["seed"])
    capsys.readouterr()
    main(["token", "--user", "ADA"])
    assert claims_of(capsys.readouterr().out.strip())["sub"] == "seed|ada"


@pytest.mark.usefixtures("cli_env")
def test_token_refuses_a_user_that_does_not_exist() -> None:
    main(["seed"])
    with pytest.raises(SystemExit) as refused:
        main(["token", "--user", "nobody"])
    assert refused.value.code == (
        f"singlet: no user 'nobody' in table {os.environ['TABLE_NAME']} (seeded users: ada,"
        " grace, linus, barbara; `--subject ID` signs any identity)"
    )


@pytest.mark.usefixtures("cli_env")
async def test_token_refuses_a_user_seed_did_not_create(store: Store) -> None:
    await store.create_user("cognito|1234", "dora")
    with pytest.raises(SystemExit, match=r"not created by `singlet seed`.*--subject"):
        await asyncio.to_thread(main, ["token", "--user", "dora"])


def test_token_for_any_subject_reads_no_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], closed_port: str
) -> None:
    monkeypatch.setenv("JWT_SECRET", SECRET)
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", closed_port)  # never reached
    main(["token", "--subject", "cognito|1234", "--ttl", "7d"])
    claims = claims_of(capsys.readouterr().out.strip())
    assert claims["sub"] == "cognito|1234"
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--user", ""], "argument --user: username must be 3-30 letters, digits or underscores"),
        (["--user", "ada lovelace"], "argument --user: username must be"),
        (["--subject", ""], "argument --subject: token subject must be 1-"),
        (["--user", "ada", "--ttl", "0"], "argument --ttl: a lifetime from 1 second to 7 days"),
        (["--user", "ada", "--ttl", "-5"], "argument --ttl: a lifetime"),
        (["--user", "ada", "--ttl", "8d"], "argument --ttl: a lifetime"),
        (["--user", "ada", "--ttl", "604801"], "argument --ttl: a lifetime"),
        (["--user", "ada", "--ttl", "soon"], "argument --ttl: a lifetime"),
        (["--user", "ada", "--subject", "x"], "argument --subject: not allowed with argument"),
        ([], "one of the arguments --user --subject is required"),
    ],
)
def test_bad_arguments_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["token", *args])
    assert refused.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith(f"singlet token: {says}")
    assert error.count("\n") == 1


def test_a_token_needs_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JWT_SECRET", "JWKS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit, match=r"set JWT_SECRET .* or start `make run`"):
        main(["token", "--subject", "someone"])


# --- settings: what each command needs -------------------------------------------------------


def test_table_commands_ask_for_no_secret(
    capsys: pytest.CaptureFixture[str], dynamodb_endpoint: str, table_name: str
) -> None:
    env = {"DYNAMODB_ENDPOINT_URL": dynamodb_endpoint, "TABLE_NAME": table_name}
    assert run("table", "create", **env).stdout == f"table {table_name} already exists\n"
    assert run("seed", **env).stdout == "demo data seeded\n"
    status = run("migrate", "status", **env)
    assert status.returncode == 0, status.stderr
    assert "0001_post_score" in status.stdout


@pytest.mark.usefixtures("cli_env")
def test_table_create_and_seed_are_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    main(["table", "create"])
    assert "already exists" in capsys.readouterr().out  # the fixture made it
    main(["seed"])
    assert capsys.readouterr().out.strip() == "demo data seeded"
    main(["seed"])
    assert "already present" in capsys.readouterr().out


# --- expected failures: one line, the traceback with --debug ---------------------------------


def test_a_missing_table_is_one_line(dynamodb_endpoint: str) -> None:
    env = {"DYNAMODB_ENDPOINT_URL": dynamodb_endpoint, "TABLE_NAME": "no-such-table"}
    expected = (
        f"singlet: table no-such-table does not exist at {dynamodb_endpoint}: `singlet table"
        " create` creates it (`make run` creates and seeds it)"
    )
    assert one_line(run("seed", **env)) == expected
    assert one_line(run("token", "--user", "ada", **env, JWT_SECRET=SECRET)) == expected
    debug = run("seed", **env, SINGLET_DEBUG="1")
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr
    assert "ResourceNotFoundException" in debug.stderr


def test_debug_shows_the_exception(monkeypatch: pytest.MonkeyPatch, dynamodb_endpoint: str) -> None:
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", dynamodb_endpoint)
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    with pytest.raises(SystemExit):
        main(["seed"])
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        main(["seed", "--debug"])
    with pytest.raises(Exception, match="ResourceNotFoundException"):
        main(["--debug", "seed"])


def test_an_endpoint_that_is_down_is_one_line(closed_port: str) -> None:
    result = run("token", "--user", "ada", DYNAMODB_ENDPOINT_URL=closed_port, JWT_SECRET=SECRET)
    assert one_line(result) == (
        f"singlet: cannot reach DynamoDB at {closed_port}: is it running? (`make run` starts"
        " DynamoDB Local; DYNAMODB_ENDPOINT_URL says where one runs)"
    )


def test_no_aws_credentials_is_one_line(tmp_path: Path) -> None:
    # No endpoint: AWS's DynamoDB, which needs credentials this environment does not have.
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    nowhere = str(tmp_path / "none")
    result = subprocess.run(
        [str(BINARY), "seed"],
        env={
            **{k: v for k, v in os.environ.items() if k not in OWN and k not in aws},
            "AWS_CA_BUNDLE": aws.get("AWS_CA_BUNDLE", ""),
            "AWS_SHARED_CREDENTIALS_FILE": nowhere,
            "AWS_CONFIG_FILE": nowhere,
            "AWS_EC2_METADATA_DISABLED": "true",  # no instance metadata lookup either
        },
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert one_line(result).startswith("singlet: no AWS credentials for DynamoDB in us-east-1")


@pytest.mark.usefixtures("cli_env")
def test_throttling_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["seed"])

    async def throttled(*args: Any, **kwargs: Any) -> Any:
        client = await open_client(*args, **kwargs)
        Throttled(client, "Query", times=100).__enter__()
        return client

    monkeypatch.setattr(cli, "open_client", throttled)
    with pytest.raises(SystemExit) as refused:
        main(["token", "--user", "ada"])
    assert refused.value.code == (
        "singlet: DynamoDB is throttling requests (ProvisionedThroughputExceededException)"
        " even after retries: try again later"
    )
    assert capsys.readouterr().err == ""  # the store's log line is not printed as well


def test_bad_settings_are_one_line(dynamodb_endpoint: str) -> None:
    result = run("seed", DYNAMODB_ENDPOINT_URL=dynamodb_endpoint, COST_EXTENSIONS="sometimes")
    assert one_line(result) == (
        "singlet: COST_EXTENSIONS must be 'always' or 'on-request', got 'sometimes'"
    )


# --- singlet dev -----------------------------------------------------------------------------


def test_dev_refuses_a_busy_port_before_starting_anything() -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        # No DynamoDB Local here: had dev tried to start it first, it would say so instead.
        result = run("dev", PORT=str(port), DYNAMODB_LOCAL_DIR="/nonexistent")
    assert one_line(result) == (
        f"singlet: port {port} on 127.0.0.1 is in use (another `make run`?): stop that, or pick"
        f" another port with PORT (`make run PORT={port + 1}`) or --port"
    )
    assert result.stdout == ""


def test_dev_without_dynamodb_local_is_one_line() -> None:
    result = run("dev", PORT=str(free_port()), DYNAMODB_LOCAL_DIR="/nonexistent")
    assert one_line(result) == (
        "singlet: DynamoDB Local is not at /nonexistent/DynamoDBLocal.jar:"
        " run `make dynamodb-local`"
    )


def test_dev_data_needs_the_dynamodb_local_dev_starts(tmp_path: Path, closed_port: str) -> None:
    result = run("dev", "--data", str(tmp_path), PORT=str(free_port()),
                 DYNAMODB_ENDPOINT_URL=closed_port)  # fmt: skip
    assert "with DYNAMODB_ENDPOINT_URL set it starts none" in one_line(result)


class Dev:
    """`singlet dev` running in a terminal of its own."""

    def __init__(self, tmp_path: Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.log = tmp_path / f"dev-{self.port}.log"
        base = {k: v for k, v in os.environ.items() if k not in OWN}
        self._output = self.log.open("w+")
        self.process = subprocess.Popen(
            [str(BINARY), "dev", *args], env={**base, "PORT": str(self.port), **env},
            stdout=self._output, stderr=self._output,
        )  # fmt: skip
        self.printed = ""

    def __enter__(self) -> Dev:
        deadline = time.monotonic() + 60
        while "Press Ctrl-C" not in self.log.read_text():
            assert self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "singlet dev did not start"
            time.sleep(0.2)
        self.printed = self.log.read_text()
        return self

    def __exit__(self, *_: object) -> None:
        self.process.send_signal(signal.SIGINT)  # Ctrl-C
        self.process.wait(timeout=30)
        self._output.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def line(self, prefix: str) -> str:
        return next(line for line in self.printed.splitlines() if line.startswith(prefix))

    def viewer(self, authorization: str) -> Any:
        query = {"query": "{ viewer { username } posts(first: 3) { edges { node { title } } } }"}
        return httpx.post(self.url, json=query, headers={"authorization": authorization}).json()


def test_singlet_dev_serves_a_seeded_api_and_stops_everything(
    tmp_path: Path, state_home: Path
) -> None:
    with Dev(tmp_path, TABLE_NAME="dev-cli-test") as dev:
        authorization = dev.line("Header:").split("Authorization: ", 1)[1]
        assert f"GraphiQL:  {dev.url}" in dev.printed
        reply = dev.viewer(authorization)
        assert reply["data"]["viewer"] == {"username": "ada"}
        assert len(reply["data"]["posts"]["edges"]) == 3
        # What GraphiQL shows next to every result under `make run`: what it cost.
        cost = reply["extensions"]["cost"]
        assert cost["actual"]["calls"] == {"BatchGetItem": 2, "Query": 4}
        assert cost["requested"]["calls"] == {"BatchGetItem": 2, "Query": 4}
        # How to sign in as someone else, from a terminal that configures nothing.
        program, *command = dev.line("Tokens:").split()[1:5]
        assert Path(program).resolve() == BINARY.resolve()  # as this terminal can run it
        assert command == ["token", "--user", "grace"]
        settings_file = state_home / "singlet" / "dev.json"
        assert f"Settings:  {settings_file}" in dev.printed
        assert stat.S_IMODE(settings_file.stat().st_mode) == 0o600
        token = run("token", "--user", "grace")
        assert token.returncode == 0, token.stderr
        assert dev.viewer(f"Bearer {token.stdout.strip()}")["data"]["viewer"] == {
            "username": "grace"
        }
        assert run("seed").stdout == "demo data already present: nothing to do\n"
    local = dev.line("DynamoDB Local ")
    assert "(in memory: data lasts until you stop)" in local
    local_port = local.split()[2].rsplit(":", 1)[1]
    deadline = time.monotonic() + 10
    while _java_on(local_port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _java_on(local_port), "DynamoDB Local outlived singlet dev"
    # Its settings went with it: nothing points at a server that is gone.
    assert not settings_file.exists()
    assert "set JWT_SECRET" in one_line(run("token", "--user", "ada"))


def test_singlet_dev_keeps_its_data_between_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with Dev(tmp_path, "--data", str(data)) as first:
        assert first.line("DynamoDB Local ").endswith(f"(data kept in {data})")
        assert "demo data seeded" in first.printed
        authorization = first.line("Header:").split("Authorization: ", 1)[1]
        post = httpx.post(first.url, headers={"authorization": authorization}, json={
            "query": 'mutation { createPost(input: {title: "Kept", content: "Across runs"})'
                     " { id } }"
        }).json()  # fmt: skip
        assert "errors" not in post, post
    assert (data / "shared-local-instance.db").is_file()  # DynamoDB Local's on-disk mode
    with Dev(tmp_path, SINGLET_DATA=str(data)) as second:  # the same, set by the environment
        assert "already exists" in second.line("table ")
        assert "demo data already present: nothing to do" in second.printed
        authorization = second.line("Header:").split("Authorization: ", 1)[1]
        posts = second.viewer(authorization)["data"]["posts"]["edges"]
        assert posts[0]["node"]["title"] == "Kept"


def test_settings_file_of_a_killed_dev_is_ignored(tmp_path: Path, state_home: Path) -> None:
    with Dev(tmp_path) as dev:
        os.kill(dev.process.pid, signal.SIGKILL)
        dev.process.wait()
    assert (state_home / "singlet" / "dev.json").exists()  # no `finally` ran
    assert dev_settings.running() is None  # nobody holds its lock: stale
    assert "set JWT_SECRET" in one_line(run("token", "--user", "ada"))


def _java_on(port: str) -> bool:
    found = subprocess.run(["pgrep", "-f", f"DynamoDBLocal.jar .*-port {port}$"], check=False,
                           capture_output=True)  # fmt: skip
    return found.returncode == 0
