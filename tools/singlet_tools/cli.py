"""`singlet`: manage the table, seed demo data, issue dev tokens, serve the API.

singlet table create     create the table from infra/template.yaml (idempotent)
singlet seed             add demo users, posts, tags, votes and comments
singlet token --user U   print a dev bearer token for user U (HS256, JWT_SECRET)
singlet serve            serve the API with uvicorn
singlet dev              what `make run` does: local DynamoDB, table, seed, serve
singlet migrate status   applied, pending and running migrations
singlet migrate plan ID  a dry run: what ID would change, with samples; writes nothing
singlet migrate run ID   apply ID (resumes a killed run; a re-run is a no-op)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

from api import cors
from api.auth import issue_token
from api.settings import Settings, SettingsError
from store import Store, Table
from store.client import open_client

from .seed import seed, subject_for
from .tables import create_table

T = TypeVar("T")

DEV_SECRET = "singlet-dev-secret-do-not-deploy"


async def _with_store(settings: Settings, action: Callable[[Store], Awaitable[T]]) -> T:
    client = await open_client(settings.region, settings.endpoint_url)
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


def cmd_token(settings: Settings, args: argparse.Namespace) -> None:
    print(issue_token(settings, subject_for(args.user), args.ttl))


def cmd_serve(settings: Settings, args: argparse.Namespace, ready: str = "") -> None:
    import uvicorn

    from api.app import create_app

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started and ready:
                print(ready, flush=True)  # only now does the URL answer

    # Our middleware writes the access log (JSON, with the request id): not uvicorn's too.
    config = uvicorn.Config(
        create_app(settings), host=args.host, port=args.port, log_config=None, access_log=False
    )
    Server(config).run()


def cmd_dev(_: Settings, args: argparse.Namespace) -> None:
    """DynamoDB Local (unless DYNAMODB_ENDPOINT_URL is set), table, seed, serve."""
    from .local import LocalUnavailable, start

    os.environ.setdefault("JWT_SECRET", DEV_SECRET)
    # GraphiQL shows what each query cost (and was predicted to), next to its result.
    os.environ.setdefault("COST_EXTENSIONS", "always")
    os.environ.setdefault("CORS_ALLOW_ORIGINS", ",".join(cors.default_origins()))
    # SIGTERM (and uvicorn re-raising it after its shutdown) must unwind through `finally`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    local = None
    if not os.environ.get("DYNAMODB_ENDPOINT_URL"):
        try:
            local = start()
        except LocalUnavailable as error:
            sys.exit(f"singlet: {error}")
        os.environ["DYNAMODB_ENDPOINT_URL"] = local.endpoint_url
        print(f"DynamoDB Local {local.endpoint_url} (in memory: data lasts until you stop)")
    try:
        settings = Settings.from_env()
        cmd_table_create(settings, args)
        if os.environ.get("SEED", "1") != "0":
            cmd_seed(settings, args)
        token = issue_token(settings, subject_for("ada"), 12 * 3600)
        header = f"Bearer {token}"
        url = f"http://{args.host}:{args.port}/graphql"
        headers_param = quote(f'{{"Authorization": "{header}"}}')
        ready = (
            f"\nGraphiQL:  {url}\n"
            f"As 'ada':  {url}?headers={headers_param}\n"
            f"Header:    Authorization: {header}\n"
            f"Press Ctrl-C to stop.\n"
        )
        cmd_serve(settings, args, ready)
    finally:
        if local is not None:
            local.stop()


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from .migrate import migrate

    asyncio.run(_with_store(settings, lambda store: migrate(store, args)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="singlet", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    table = commands.add_parser("table", help="manage the table")
    table_commands = table.add_subparsers(dest="table_command", required=True)
    table_commands.add_parser("create", help="create it from infra/template.yaml").set_defaults(
        run=cmd_table_create
    )
    commands.add_parser("seed", help="add demo data").set_defaults(run=cmd_seed)
    token = commands.add_parser("token", help="print a dev bearer token")
    token.add_argument("--user", required=True, help="a seeded username, e.g. ada")
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    token.set_defaults(run=cmd_token)
    migrate = commands.add_parser("migrate", help="evolve the data: status, plan ID, run ID")
    migrate.add_argument("action", choices=["status", "plan", "run"])
    migrate.add_argument("id", nargs="?", help="a migration id, e.g. 0001_post_score or 0001")
    migrate.add_argument("--segments", type=int, default=4, help="parallel Scan segments")
    migrate.add_argument("--max-capacity", type=float, default=None,
                         help="capacity units per second at most (default: no limit)")  # fmt: skip
    migrate.add_argument("--samples", type=int, default=3, help="plan: before/after samples")
    migrate.set_defaults(run=cmd_migrate)
    for name, run in (("serve", cmd_serve), ("dev", cmd_dev)):
        serve = commands.add_parser(
            name, help="serve the API" if name == "serve" else cmd_dev.__doc__
        )
        serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        serve.set_defaults(run=run)
    args = parser.parse_args(argv)
    if args.run is cmd_dev:
        cmd_dev(Settings(), args)
        return
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        sys.exit(f"singlet: {error}")
    args.run(settings, args)
