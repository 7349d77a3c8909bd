"""DynamoDB Local for development and tests: the real DynamoDBLocal.jar, started on a port.

The jar comes from the npm package amplify-dynamodb-simulator (fetched and checksum-verified
by `make dynamodb-local` into a cache outside the source tree); this module only runs it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

DEFAULT_DIR = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    / "singlet"
    / "dynamodb-local-2.9.30"
    / "package"
    / "emulator"
)


class LocalUnavailable(RuntimeError):
    """DynamoDB Local cannot be started here; the message says what to install or run."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class DynamoDBLocal:
    process: subprocess.Popen[bytes]
    endpoint_url: str
    output: IO[bytes]  # Java's stdout and stderr: a file, so a full pipe can never block it

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()

    def last_output(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace").strip()[-500:]


def start(directory: Path | None = None, port: int | None = None) -> DynamoDBLocal:
    """Starts DynamoDB Local in memory and returns once it answers requests."""
    directory = directory or Path(os.environ.get("DYNAMODB_LOCAL_DIR") or DEFAULT_DIR)
    jar = directory / "DynamoDBLocal.jar"
    if shutil.which("java") is None:
        raise LocalUnavailable(
            "DynamoDB Local needs Java 17: install a JRE"
            " (e.g. apt-get install openjdk-17-jre-headless)"
        )
    if not jar.is_file():
        raise LocalUnavailable(f"DynamoDB Local is not at {jar}: run `make dynamodb-local`")
    port = port or free_port()
    command = [
        "java",
        f"-Djava.library.path={directory / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        "-inMemory",
        "-sharedDb",  # one database whatever the credentials or region the client uses
        "-port",
        str(port),
    ]
    output = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the process
    # Its cwd gets a metadata file: keep that in the cache, out of the source tree.
    process = subprocess.Popen(
        command,
        stdout=output,
        stderr=subprocess.STDOUT,
        cwd=directory,
        preexec_fn=_die_with_parent,
    )
    local = DynamoDBLocal(process, f"http://127.0.0.1:{port}", output)
    try:
        _wait_until_ready(local)
    except BaseException:
        local.stop()
        raise
    return local


def _die_with_parent() -> None:
    """Linux: Java gets SIGTERM when the process that started it dies, even by SIGKILL,
    so a killed test run or dev server never leaves DynamoDB Local running."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _wait_until_ready(local: DynamoDBLocal, timeout: float = 30.0) -> None:
    """Polls a real (signed) ListTables until DynamoDB Local answers it."""
    import botocore.session
    from botocore.config import Config
    from botocore.exceptions import EndpointConnectionError

    from store.client import LOCAL_CREDENTIALS

    client = botocore.session.get_session().create_client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url=local.endpoint_url,
        config=Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 0}),
        **LOCAL_CREDENTIALS,
    )
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if local.process.poll() is not None:
                raise LocalUnavailable(f"DynamoDB Local exited: {local.last_output()}")
            try:
                client.list_tables(Limit=1)
                return
            except EndpointConnectionError:
                time.sleep(0.1)
    finally:
        client.close()
    raise LocalUnavailable(f"DynamoDB Local did not answer within {timeout:.0f} s")
