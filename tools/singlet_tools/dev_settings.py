"""What a running `singlet dev` uses, kept where other `singlet` commands find it.

`singlet dev` writes its JWT secret, DynamoDB endpoint, table and address to
`$XDG_STATE_HOME/singlet/dev.json` (default `~/.local/state`), mode 0600, never in the
repository. It holds a lock on the file while it runs: a file nobody holds is stale (its
`singlet dev` was killed), so readers ignore it and a dead server's settings are never used.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path


def path() -> Path:
    """Read on each call: tests (and users) point XDG_STATE_HOME elsewhere."""
    state = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(state) / "singlet" / "dev.json"


@dataclass(frozen=True)
class DevSettings:
    jwt_secret: str
    endpoint_url: str
    table_name: str
    url: str  # the API's GraphQL endpoint
    pid: int
    data: str | None = None  # DynamoDB Local's data directory; None: in memory

    def environ(self, env: Mapping[str, str]) -> dict[str, str]:
        """`env` with what it leaves unset taken from these settings.

        The database is taken only as a whole, and only when `env` names no endpoint and no
        other table: a TABLE_NAME of its own means the caller aims elsewhere (AWS, another
        DynamoDB Local), where this endpoint would be the wrong one."""
        filled = dict(env)
        if not env.get("JWT_SECRET") and not env.get("JWKS_URL"):
            filled["JWT_SECRET"] = self.jwt_secret
        if not env.get("DYNAMODB_ENDPOINT_URL") and env.get("TABLE_NAME") in (
            None,
            "",
            self.table_name,
        ):
            filled["DYNAMODB_ENDPOINT_URL"] = self.endpoint_url
            filled["TABLE_NAME"] = self.table_name
        return filled


class Published:
    """The settings file of this process's `singlet dev`, locked until `withdraw()`."""

    def __init__(self, settings: DevSettings) -> None:
        target = path()
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        # 0600 from the start (the secret is never readable by others, even briefly); the
        # lock is taken before the rename, so no reader ever sees the file unlocked.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, (json.dumps(asdict(settings), indent=2) + "\n").encode())
            os.replace(temporary, target)
        except BaseException:
            os.close(fd)
            temporary.unlink(missing_ok=True)
            raise
        self.path = target
        self._fd = fd

    def withdraw(self) -> None:
        """Removes the file, unless a later `singlet dev` has replaced it with its own."""
        try:
            if os.stat(self.path).st_ino == os.fstat(self._fd).st_ino:
                self.path.unlink()
        except FileNotFoundError:
            pass
        finally:
            os.close(self._fd)


def running() -> DevSettings | None:
    """The settings of the `singlet dev` running now; None if there is none (no file, a
    stale one, one that is not ours, or one this version cannot read)."""
    try:
        fd = os.open(path(), os.O_RDONLY)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_uid != os.getuid():
            return None  # someone else's file could point us at their endpoint and secret
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # held: its `singlet dev` is running
        else:
            return None  # nobody holds it: its `singlet dev` was killed
        with os.fdopen(os.dup(fd)) as file:
            return DevSettings(**json.load(file))
    except (OSError, ValueError, TypeError):
        return None
    finally:
        os.close(fd)
