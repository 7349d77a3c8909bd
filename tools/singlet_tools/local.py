"""DynamoDB Local for development and tests: the real DynamoDBLocal.jar, started on a port.

The jar comes from the npm package amplify-dynamodb-simulator (fetched and checksum-verified
by `make dynamodb-local` into a cache outside the source tree); this module only runs it.
"""

from __future__ import annotations

import fcntl
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
    data: Path | None = None  # where the tables are kept between runs; None: in memory
    data_lock: int | None = None  # held while Java uses `data` (see _lock_data)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.output.close()
        if self.data_lock is not None:
            os.close(self.data_lock)  # after Java has exited: the files are no longer in use
            self.data_lock = None

    def last_output(self) -> str:
        self.output.seek(0)
        return self.output.read().decode(errors="replace").strip()[-500:]


def start(
    directory: Path | None = None, port: int | None = None, data: Path | None = None
) -> DynamoDBLocal:
    """Starts DynamoDB Local and returns once it answers requests: in memory, or with `data`
    its tables are kept in that directory (one file, shared-local-instance.db) between runs."""
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
    data_lock = None
    if data is not None:
        data = data.expanduser().resolve()  # Java runs in `directory`: a relative path would move
        data_lock = _lock_data(data)
        storage = ["-dbPath", str(data)]
    else:
        storage = ["-inMemory"]
    command = [
        "java",
        f"-Djava.library.path={directory / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar),
        *storage,
        "-sharedDb",  # one database whatever the credentials or region the client uses
        "-port",
        str(port),
    ]
    output = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the process
    # Its cwd gets a metadata file: keep that in the cache, out of the source tree.
    try:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=directory,
            preexec_fn=_die_with_parent,
            # Java holds the lock too: it still writes the files for a moment after a
            # SIGKILLed parent, whose own descriptor is gone at once.
            pass_fds=() if data_lock is None else (data_lock,),
        )
    except BaseException:
        output.close()
        if data_lock is not None:
            os.close(data_lock)
        raise
    local = DynamoDBLocal(process, f"http://127.0.0.1:{port}", output, data, data_lock)
    try:
        _wait_until_ready(local)
    except BaseException:
        local.stop()
        raise
    return local


def _lock_data(data: Path) -> int:
    """Creates `data` if needed and locks it: two DynamoDB Locals writing one SQLite file
    would each trust their own view of the tables. The lock goes when its holders exit."""
    try:
        data.mkdir(parents=True, exist_ok=True)
        lock = os.open(data / ".singlet-lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise LocalUnavailable(f"cannot keep DynamoDB Local's data in {data}: {error}") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        raise LocalUnavailable(
            f"{data} is in use by another DynamoDB Local (another `singlet dev --data`?)"
        ) from None
    return lock


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
