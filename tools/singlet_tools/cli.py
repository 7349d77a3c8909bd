"""`singlet`: manage the table, seed demo data, issue dev tokens, serve the API.

singlet table create      create the table from infra/template.yaml (idempotent)
singlet seed              add demo users, posts, tags, votes and comments
singlet token --user U    print a dev bearer token for the seeded user U (HS256, JWT_SECRET)
singlet token --subject S print one for any identity S
singlet serve             serve the API with uvicorn
singlet dev [--data DIR]  what `make run` does: local DynamoDB, table, seed, serve
singlet migrate status    applied, pending and running migrations
singlet migrate plan ID   a dry run: what ID would change, with samples; writes nothing
singlet migrate run ID    apply ID (resumes a killed run; a re-run is a no-op)
singlet events tail       the table's change events as JSON lines (its stream: docs/events.md)
singlet events sink duckdb PATH   a DuckDB database of them (users, posts, comments, ...)

Settings come from the environment, as the API reads them. While `singlet dev` (`make run`)
runs, what the environment leaves unset (JWT_SECRET, DYNAMODB_ENDPOINT_URL, TABLE_NAME) is
taken from its settings file, so a second terminal needs none of them. Expected failures are
one line on stderr; --debug (or SINGLET_DEBUG=1) shows the traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import re
import secrets
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
)

from api import cors
from api.auth import issue_token
from api.settings import Settings, SettingsError
from model import InvalidInput, StoreError, Unavailable
from model.keys import check_subject, check_username
from store import Store, Table
from store.client import open_client

from . import dev_settings
from .events import add_commands as add_event_commands
from .local import LocalUnavailable
from .seed import USERS, seed, subject_for
from .tables import create_table

T = TypeVar("T")

MAX_TTL = 7 * 24 * 3600  # a dev token is not a credential to keep
SEEDED = ", ".join(name for name, _, _ in USERS)


class CommandError(Exception):
    """An expected failure: its message is all the user needs to read."""


async def _with_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    client = await open_client(settings.region, settings.endpoint_url, settings.local_endpoint)
    try:
        return await action(Store(Table(client, settings.table_name)))
    finally:
        await client.close()


async def _create_table(settings: Settings) -> bool:
    async def create(store: Store) -> bool:
        return await create_table(store.table.client, settings.table_name)

    return await _with_store(settings, create)


def cmd_table_create(settings: Settings, _: argparse.Namespace) -> None:
    created = asyncio.run(_create_table(settings))
    print(f"table {settings.table_name} {'created' if created else 'already exists'}")


def cmd_seed(settings: Settings, _: argparse.Namespace) -> None:
    seeded = asyncio.run(_with_store(settings, seed))
    print("demo data seeded" if seeded else "demo data already present: nothing to do")


async def _seeded_subject(store: Store, username: str) -> str:
    """The subject `username` signs in with, if `singlet seed` created that user. Usernames
    match as the store holds them, case-insensitively; the subject uses the stored spelling."""
    user = await store.user_by_username(username)
    if user is None:
        raise CommandError(
            f"no user {username!r} in table {store.table.name} (seeded users: {SEEDED};"
            " `--subject ID` signs any identity)"
        )
    subject = subject_for(user.username)
    if await store.user_id_for_subject(subject) != user.id:
        raise CommandError(
            f"user {user.username!r} was not created by `singlet seed`, so its token subject"
            " is not known here: pass it with --subject"
        )
    return subject


def cmd_token(settings: Settings, args: argparse.Namespace) -> None:
    if not settings.jwt_secret:
        raise CommandError(
            "singlet token signs HS256 tokens with JWT_SECRET; with only JWKS_URL set, tokens"
            " come from your identity provider"
        )
    subject = args.subject
    if subject is None:
        subject = asyncio.run(_with_store(settings, lambda s: _seeded_subject(s, args.user)))
    print(issue_token(settings, subject, args.ttl))


def cmd_serve(settings: Settings, args: argparse.Namespace, ready: str = "") -> None:
    import uvicorn

    from api.app import create_app

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started and ready:
                print(ready, flush=True)  # only now does the URL answer

    # Our middleware writes the access log (JSON, with the request id): not uvicorn's too.
    # No proxy headers: uvicorn would otherwise take a local client's X-Forwarded-For as its
    # address, and the rate limiter charges callers by address (TRUSTED_PROXIES says whom
    # to believe).
    config = uvicorn.Config(
        create_app(settings), host=args.host, port=args.port, log_config=None,
        access_log=False, proxy_headers=False,
    )  # fmt: skip
    Server(config).run()


def _check_port(host: str, port: int) -> None:
    """Fails at once if the API could not listen, rather than after DynamoDB Local, the
    table and the seed data."""
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # create_server sets SO_REUSEADDR, as uvicorn's asyncio server does: a port the last
        # run left in TIME_WAIT is free for both.
        with socket.create_server(address, family=family):
            pass
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise CommandError(
                f"port {port} on {host} is in use (another `make run`?): stop that, or pick"
                f" another port with PORT (`make run PORT={port + 1}`) or --port"
            ) from None
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def _program() -> str:
    """How to run this `singlet` again (`make run` runs .venv/bin/singlet, not on PATH)."""
    program = Path(sys.argv[0])
    if program.name != "singlet":
        return "singlet"
    try:
        return str(program.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(program)


def cmd_dev(_: Settings | None, args: argparse.Namespace) -> None:
    """DynamoDB Local (unless DYNAMODB_ENDPOINT_URL is set), table, seed, serve."""
    from .local import start

    _check_port(args.host, args.port)
    if args.data is not None and os.environ.get("DYNAMODB_ENDPOINT_URL"):
        raise CommandError(
            "--data (SINGLET_DATA) keeps the data of the DynamoDB Local that singlet dev starts;"
            " with DYNAMODB_ENDPOINT_URL set it starts none"
        )
    # A secret of this run's own, handed to other terminals by the dev settings file: a fixed
    # one, printed in the source, would let any web page (CORS answers every origin locally)
    # sign its own tokens for this API and its data.
    os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(32))
    # GraphiQL shows what each query cost (and was predicted to), next to its result.
    os.environ.setdefault("COST_EXTENSIONS", "always")
    os.environ.setdefault("CORS_ALLOW_ORIGINS", ",".join(cors.default_origins()))
    # SIGTERM (and uvicorn re-raising it after its shutdown) must unwind through `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    local = published = None
    try:
        if not os.environ.get("DYNAMODB_ENDPOINT_URL"):
            local = start(data=args.data)
            os.environ["DYNAMODB_ENDPOINT_URL"] = local.endpoint_url
            kept = (
                f"data kept in {local.data}"
                if local.data
                else "in memory: data lasts until you stop"
            )
            print(f"DynamoDB Local {local.endpoint_url} ({kept})")
        settings = Settings.from_env()
        cmd_table_create(settings, args)
        if os.environ.get("SEED", "1") != "0":
            cmd_seed(settings, args)
        url = f"http://{args.host}:{args.port}/graphql"
        running = dev_settings.DevSettings(
            jwt_secret=os.environ["JWT_SECRET"],
            endpoint_url=os.environ["DYNAMODB_ENDPOINT_URL"],
            table_name=settings.table_name,
            url=url,
            pid=os.getpid(),
            data=str(local.data) if local is not None and local.data else None,
        )
        try:
            published = dev_settings.Published(running)
            shared = f"{published.path} (other singlet commands use them while this runs)"
        except OSError as error:  # the API still serves; other terminals need the variables
            shared = f"not written ({error}): other terminals need JWT_SECRET and the rest"
        token = issue_token(settings, subject_for("ada"), 12 * 3600)
        header = f"Bearer {token}"
        headers_param = quote(f'{{"Authorization": "{header}"}}')
        ready = (
            f"\nGraphiQL:  {url}\n"
            f"As 'ada':  {url}?headers={headers_param}\n"
            f"Header:    Authorization: {header}\n"
            f"Tokens:    {_program()} token --user grace  (from another terminal; seeded users:"
            f" {SEEDED})\n"
            f"Settings:  {shared}\n"
            f"Press Ctrl-C to stop.\n"
        )
        cmd_serve(settings, args, ready)
    finally:
        if published is not None:
            published.withdraw()
        if local is not None:
            local.stop()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from .migrate import migrate

    asyncio.run(_with_store(settings, lambda store: migrate(store, args)))


def _settings(env: Mapping[str, str], tokens: bool) -> Settings:
    """The settings a command needs: `tokens` for those that sign or check tokens."""
    return Settings.from_env(env, auth=tokens)


def _chain(error: BaseException) -> list[BaseException]:
    """The error and what caused it: the store raises its own errors from botocore's."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _explain(error: BaseException, settings: Settings | None) -> str | None:
    """One line for an expected failure; None for a bug, whose traceback is worth seeing."""
    endpoint = settings.endpoint_url if settings else os.environ.get("DYNAMODB_ENDPOINT_URL")
    region = settings.region if settings else "its region"
    table = settings.table_name if settings else os.environ.get("TABLE_NAME") or "the table"
    where = endpoint or f"AWS ({region})"
    for cause in _chain(error):
        if isinstance(cause, NoCredentialsError):
            return (
                f"no AWS credentials for DynamoDB in {region}: configure them (AWS_PROFILE, ...)"
                " or set DYNAMODB_ENDPOINT_URL for DynamoDB Local (or start `make run`)"
            )
        if isinstance(cause, EndpointConnectionError):
            return (
                f"cannot reach DynamoDB at {where}: is it running? (`make run` starts DynamoDB"
                " Local; DYNAMODB_ENDPOINT_URL says where one runs)"
            )
        if isinstance(cause, ClientError):
            code = cause.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                return (
                    f"table {table} does not exist at {where}: `singlet table create` creates it"
                    " (`make run` creates and seeds it)"
                )
            # The store raises Unavailable for throttling only once its retries are spent.
            if isinstance(error, Unavailable) or "Throttl" in code or "LimitExceeded" in code:
                return (
                    f"DynamoDB is throttling requests ({code}) even after retries: try again later"
                )
            message = cause.response.get("Error", {}).get("Message", "")
            return f"DynamoDB at {where} refused the request: {code}: {message}"
        if isinstance(cause, ParamValidationError):
            return f"DynamoDB would refuse the request: {cause}"
        if isinstance(cause, BotoCoreError):
            return f"DynamoDB at {where} did not answer: {cause}"
    if isinstance(error, CommandError | SettingsError | StoreError | LocalUnavailable):
        return str(error)
    return None


class _Parser(argparse.ArgumentParser):
    """A usage mistake is one line too, like every other expected failure."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _argument(check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a store check: its refusal becomes a usage error."""

    def parse(raw: str) -> T:
        try:
            return check(raw)
        except InvalidInput as error:
            raise argparse.ArgumentTypeError(f"{error}, got {raw!r}") from None

    return parse


def _ttl(raw: str) -> int:
    match = re.fullmatch(r"(\d+)([smhd]?)", raw.strip())
    seconds = (
        int(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]] if match else 0
    )
    if not 0 < seconds <= MAX_TTL:
        raise argparse.ArgumentTypeError(
            f"a lifetime from 1 second to 7 days (3600, 90m, 12h, 7d), got {raw!r}"
        )
    return seconds


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise argparse.ArgumentTypeError(f"a port from 1 to 65535, got {raw!r}")
    return int(raw)


def parser() -> argparse.ArgumentParser:
    # --debug after the command too (`singlet seed --debug`); SUPPRESS keeps the top level's
    # value when a subcommand is not given it.
    debug_help = "show the traceback of a failure (or SINGLET_DEBUG=1)"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    parser = _Parser(
        prog="singlet",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help=debug_help)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(parent: Any, name: str, run: Callable[..., None], tokens: bool, **kw: Any) -> Any:
        sub = parent.add_parser(name, parents=[common], **kw)
        sub.set_defaults(run=run, tokens=tokens)
        return sub

    table = commands.add_parser("table", help="manage the table")
    table_commands = table.add_subparsers(dest="table_command", required=True)
    command(
        table_commands, "create", cmd_table_create, False, help="create it from infra/template.yaml"
    )
    command(commands, "seed", cmd_seed, False, help="add demo data")
    token = command(commands, "token", cmd_token, True, help="print a dev bearer token")
    who = token.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--user",
        type=_argument(check_username),
        help=f"a seeded username (case-insensitive): {SEEDED}",
    )
    who.add_argument(
        "--subject",
        type=_argument(check_subject),
        help="any identity, as the token's sub claim (no user needs to exist)",
    )
    token.add_argument(
        "--ttl",
        type=_ttl,
        default=3600,
        help="lifetime: seconds, or 90m, 12h, 7d (at most 7 days; default 1h)",
    )
    migrate = command(
        commands, "migrate", cmd_migrate, False, help="evolve the data: status, plan ID, run ID"
    )
    migrate.add_argument("action", choices=["status", "plan", "run"])
    migrate.add_argument("id", nargs="?", help="a migration id, e.g. 0001_post_score or 0001")
    migrate.add_argument("--segments", type=int, default=4, help="parallel Scan segments")
    migrate.add_argument("--max-capacity", type=float, default=None,
                         help="capacity units per second at most (default: no limit)")  # fmt: skip
    migrate.add_argument("--samples", type=int, default=3, help="plan: before/after samples")
    add_event_commands(commands, command)
    for name, run in (("serve", cmd_serve), ("dev", cmd_dev)):
        serve = command(
            commands, name, run, True, help="serve the API" if name == "serve" else cmd_dev.__doc__
        )
        serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                           help="address to listen on (or HOST; default 127.0.0.1)")  # fmt: skip
        serve.add_argument("--port", type=_port, default=os.environ.get("PORT", "8000"),
                           help="port to listen on (or PORT; default 8000)")  # fmt: skip
    dev = commands.choices["dev"]
    dev.add_argument(
        "--data",
        type=Path,
        default=os.environ.get("SINGLET_DATA") or None,
        metavar="DIR",
        help="keep DynamoDB Local's tables in DIR between runs"
        " (or SINGLET_DATA; default: in memory)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    debug = args.debug or os.environ.get("SINGLET_DEBUG", "") not in ("", "0")
    if debug:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    else:
        # The store logs what it raises; the one line below says it already. (The API's
        # own log configuration, under serve and dev, still receives these records.)
        for name in ("store", "singlet_tools"):
            logging.getLogger(name).handlers[:] = [logging.NullHandler()]
    settings = None
    try:
        if args.run is cmd_dev:
            cmd_dev(None, args)
            return
        dev = dev_settings.running()
        try:
            settings = _settings(dev.environ(os.environ) if dev else os.environ, args.tokens)
        except SettingsError as error:
            unset = not os.environ.get("JWT_SECRET") and not os.environ.get("JWKS_URL")
            if dev is None and args.tokens and unset:
                raise SettingsError(
                    f"{error}, or start `make run` (its settings are used)"
                ) from None
            raise
        args.run(settings, args)
    except KeyboardInterrupt:
        if debug:
            raise
        sys.exit(130)
    except Exception as error:
        message = None if debug else _explain(error, settings)
        if message is None:
            raise
        sys.exit("singlet: " + " ".join(message.split()))  # one line, whatever botocore says
