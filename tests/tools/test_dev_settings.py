"""The running `singlet dev`'s settings, as other `singlet` commands find them."""

from __future__ import annotations

import dataclasses
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from singlet_tools import dev_settings
from singlet_tools.dev_settings import DevSettings, Published, running

DEV = DevSettings(
    jwt_secret="dev-secret-of-at-least-thirty-two-bytes",
    endpoint_url="http://127.0.0.1:4567",
    table_name="singlet-dev",
    url="http://127.0.0.1:8000/graphql",
    pid=os.getpid(),
)


@pytest.fixture(autouse=True)
def state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def test_published_while_running_and_withdrawn_after(state_home: Path) -> None:
    published = Published(DEV)
    assert published.path == state_home / "singlet" / "dev.json"
    assert stat.S_IMODE(published.path.stat().st_mode) == 0o600  # it holds a secret
    assert stat.S_IMODE(published.path.parent.stat().st_mode) == 0o700
    assert running() == DEV
    published.withdraw()
    assert not published.path.exists()
    assert running() is None


def test_the_default_place_is_outside_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_STATE_HOME")
    assert dev_settings.path() == Path.home() / ".local" / "state" / "singlet" / "dev.json"


def test_a_file_nobody_holds_is_stale(state_home: Path) -> None:
    # As a `singlet dev` killed with SIGKILL leaves it: written, locked, never withdrawn.
    program = (
        "import sys, time\n"
        "from singlet_tools.dev_settings import DevSettings, Published\n"
        "Published(DevSettings('s' * 32, 'http://127.0.0.1:1', 't', 'u', 1))\n"
        "print('published', flush=True)\n"
        "time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE,
                              env={**os.environ, "XDG_STATE_HOME": str(state_home)})  # fmt: skip
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"published\n"
        assert running() is not None
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    assert dev_settings.path().exists()
    assert running() is None


def test_a_later_dev_keeps_its_file_when_an_earlier_one_stops() -> None:
    earlier = Published(DEV)
    later_settings = dataclasses.replace(DEV, endpoint_url="http://127.0.0.1:9999")
    later = Published(later_settings)
    earlier.withdraw()
    assert running() == later_settings
    later.withdraw()
    assert running() is None


def test_unreadable_files_are_ignored() -> None:
    published = Published(DEV)
    try:
        published.path.write_text("{not json")  # same inode: still locked
        assert running() is None
        published.path.write_text('{"jwt_secret": "x"}')
        assert running() is None
    finally:
        published.withdraw()


@pytest.mark.parametrize(
    ("env", "filled"),
    [
        # Nothing configured: the running dev's secret, endpoint and table.
        ({}, {"JWT_SECRET": DEV.jwt_secret, "DYNAMODB_ENDPOINT_URL": DEV.endpoint_url,
              "TABLE_NAME": "singlet-dev"}),
        # Its own table name: the same table.
        ({"TABLE_NAME": "singlet-dev"}, {"JWT_SECRET": DEV.jwt_secret,
         "DYNAMODB_ENDPOINT_URL": DEV.endpoint_url, "TABLE_NAME": "singlet-dev"}),
        # Another table: aimed elsewhere (AWS), so not at this DynamoDB Local.
        ({"TABLE_NAME": "singlet-prod"}, {"JWT_SECRET": DEV.jwt_secret,
         "TABLE_NAME": "singlet-prod"}),
        # An endpoint of its own: kept, with the table it names or the default.
        ({"DYNAMODB_ENDPOINT_URL": "http://other:8000"}, {"JWT_SECRET": DEV.jwt_secret,
         "DYNAMODB_ENDPOINT_URL": "http://other:8000"}),
        # A way to check tokens of its own: no dev secret beside it.
        ({"JWKS_URL": "https://idp/jwks"}, {"JWKS_URL": "https://idp/jwks",
         "DYNAMODB_ENDPOINT_URL": DEV.endpoint_url, "TABLE_NAME": "singlet-dev"}),
        ({"JWT_SECRET": "mine"}, {"JWT_SECRET": "mine",
         "DYNAMODB_ENDPOINT_URL": DEV.endpoint_url, "TABLE_NAME": "singlet-dev"}),
    ],
)  # fmt: skip
def test_the_environment_wins(env: dict[str, str], filled: dict[str, str]) -> None:
    assert DEV.environ(env) == filled
