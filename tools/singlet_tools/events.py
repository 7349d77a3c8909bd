"""`singlet events`: the table's change events, locally, from its stream (DynamoDB Local
serves the Streams API for tables created with a stream: `create_table(..., stream=True)`).

singlet events tail [--from-start|--latest] [--once] [--enable-stream]
    the events as JSON lines, as the stream function would publish them
singlet events sink duckdb PATH [--from-start|--latest] [--once] [--enable-stream]
    a DuckDB database of users, posts, comments, votes and tags, kept up to date

`make run`'s table has no stream (DynamoDB Local is slower with one): --enable-stream gives it
the template's, and the events of the writes from then on.

The sink applies each GetRecords page in one transaction, with the ids of the events it
applied and the page's position in the stream: a page read again (a crash before the commit,
a resumed run) changes nothing, and a run resumes where the last one committed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from api.settings import Settings
from changes.decode import PART_OF_POST, PUBLIC, Undecodable, sequence_of
from changes.events import normalize, shape
from model.entities import Post
from model.errors import StoreError
from singlet_tools.stream import Batch, Start, StreamReader, open_streams_client, stream_arn
from store.client import open_client

from .tables import create_table_params

if TYPE_CHECKING:
    import duckdb
    from types_aiobotocore_dynamodb import DynamoDBClient

Event = dict[str, Any]


def _tables() -> dict[str, tuple[str, dict[str, str]]]:
    """The sink's tables, from the events themselves: a table per public entity (changes/
    decode.py), a column per field of its events (their camelCase names in snake_case), as
    the shape of its largest item shows them, with a post's parts (its body) in the post's
    table. A list (a post's tags) is a table of its own."""
    tables: dict[str, tuple[str, dict[str, str]]] = {}
    for entity in sorted(PUBLIC, key=lambda e: e.entity):
        parts = PART_OF_POST if entity is Post else frozenset()
        columns = {"id": "VARCHAR PRIMARY KEY"}
        for each in (entity, *sorted(parts, key=lambda e: e.entity)):
            for name, value in shape(each.largest()).items():
                kind = _KINDS.get(type(value))
                if kind is not None and column(name) != "id":
                    columns[column(name)] = "TIMESTAMP" if name.endswith("At") else kind
        tables[entity.entity] = (column(entity.entity).lstrip("_") + "s", columns)
    return tables


_KINDS = {str: "VARCHAR", int: "INTEGER", bool: "BOOLEAN"}  # lists: tables of their own
BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS tags (post_id VARCHAR, tag VARCHAR, PRIMARY KEY (post_id, tag));
CREATE TABLE IF NOT EXISTS processed_events (
    id VARCHAR PRIMARY KEY, sequence VARCHAR, entity VARCHAR, entity_id VARCHAR,
    change VARCHAR, cause VARCHAR, applied_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS stream_checkpoints (
    stream_arn VARCHAR, shard_id VARCHAR, sequence_number VARCHAR,
    PRIMARY KEY (stream_arn, shard_id));
"""


def column(field_name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), field_name)


def _cell(name: str, value: Any) -> Any:
    if name.endswith("_at") and isinstance(value, str):  # UTC, as TIMESTAMP holds it
        return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)
    return value


class DuckDBSink:
    """The normalized tables in a DuckDB file, with what was applied and where to resume."""

    def __init__(self, path: Path | str) -> None:
        import duckdb  # only here: every `singlet` command imports this module

        self.db: duckdb.DuckDBPyConnection = duckdb.connect(str(path))
        self.tables = _tables()
        for table, columns in self.tables.values():
            spec = ", ".join(f"{name} {kind}" for name, kind in columns.items())
            self.db.execute(f"CREATE TABLE IF NOT EXISTS {table} ({spec})")
            # A field added to an entity's events since the file was made: its column, empty
            # for the rows before it.
            for name, kind in columns.items():
                if name != "id":
                    self.db.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {name} {kind}")
        for statement in filter(str.strip, BOOKKEEPING.split(";")):
            self.db.execute(statement)

    def close(self) -> None:
        self.db.close()

    def positions(self, arn: str) -> dict[str, str]:
        """Each shard's last sequence number applied, for this stream."""
        rows = self.db.execute(
            "SELECT shard_id, sequence_number FROM stream_checkpoints WHERE stream_arn = ?", [arn]
        ).fetchall()
        return {str(shard): str(number) for shard, number in rows}

    def apply(self, arn: str, batch: Batch, events: Iterable[Event]) -> int:
        """One page's events, in one transaction with its checkpoint; returns how many were
        new (events applied before, by id, are skipped)."""
        pending = list(events)
        self.db.begin()
        try:
            seen = self._processed([e["id"] for e in pending])
            applied = 0
            for event in pending:
                if event["id"] in seen:
                    continue
                self._apply(event)
                seen.add(event["id"])
                applied += 1
            self._checkpoint(arn, batch)
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        return applied

    def _checkpoint(self, arn: str, batch: Batch) -> None:
        """The shard's position, only ever forward (a page read again is an older one)."""
        held = self.positions(arn).get(batch.shard)
        if held is not None and _order(held) >= _order(batch.last_sequence):
            return
        self.db.execute(
            "INSERT INTO stream_checkpoints VALUES (?, ?, ?)"
            " ON CONFLICT DO UPDATE SET sequence_number = excluded.sequence_number",
            [arn, batch.shard, batch.last_sequence],
        )

    def _processed(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        marks = ", ".join("?" for _ in ids)
        rows = self.db.execute(f"SELECT id FROM processed_events WHERE id IN ({marks})", ids)
        return {str(row[0]) for row in rows.fetchall()}

    def _apply(self, event: Event) -> None:
        table, columns = self.tables[event["entity"]]
        entity_id = event["entityId"]
        if event["change"] == "deleted":
            self.db.execute(f"DELETE FROM {table} WHERE id = ?", [entity_id])
            if table == "posts":
                self.db.execute("DELETE FROM tags WHERE post_id = ?", [entity_id])
        else:
            after = {column(k): v for k, v in event["after"].items()}
            cells = {name: _cell(name, value) for name, value in after.items() if name in columns}
            names = list(cells)
            updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != "id")
            conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            self.db.execute(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
                f" ON CONFLICT (id) {conflict}",
                list(cells.values()),
            )
            if table == "posts" and "tags" in after:
                self._tags(entity_id, after["tags"])
        self.db.execute(
            "INSERT INTO processed_events VALUES (?, ?, ?, ?, ?, ?, ?)",
            [event["id"], event["sequence"], event["entity"], entity_id, event["change"],
             event["cause"], _now()],
        )  # fmt: skip

    def _tags(self, post_id: str, tags: list[str]) -> None:
        rows = self.db.execute("SELECT tag FROM tags WHERE post_id = ?", [post_id]).fetchall()
        held = {str(row[0]) for row in rows}
        for tag in held - set(tags):
            self.db.execute("DELETE FROM tags WHERE post_id = ? AND tag = ?", [post_id, tag])
        for tag in sorted(set(tags) - held):
            self.db.execute("INSERT INTO tags VALUES (?, ?)", [post_id, tag])


def _order(sequence: str) -> tuple[int, str]:
    """Sequence numbers are decimal strings of up to 40 digits: compared as numbers."""
    digits = sequence.lstrip("0")
    return len(digits), digits


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def events_of(batch: Batch, errors: IO[str] | None = None) -> list[Event]:
    """The page's events; a record that cannot be decoded is reported and passed over (here:
    the stream function fails it instead, for Lambda to retry and then set aside)."""
    found = []
    for record in batch.records:
        try:
            event = normalize(record)
        except Undecodable as error:
            print(f"singlet: record {sequence_of(record)} skipped: {error}",
                  file=errors or sys.stderr)  # fmt: skip
            continue
        if event is not None:
            found.append(event)
    return found


@dataclass
class Source:
    """Where the events come from: the configured table's stream."""

    settings: Settings
    start: Start
    follow: bool
    enable_stream: bool = False

    async def batches(
        self, positions: Callable[[str], Mapping[str, str]] | None = None
    ) -> AsyncIterator[tuple[str, Batch]]:
        """(stream ARN, page) in stream order; `positions` gives, for the stream's ARN, the
        shards' sequence numbers to resume after."""
        dynamodb = await open_client(
            self.settings.region, self.settings.endpoint_url, self.settings.local_endpoint
        )
        streams = await open_streams_client(self.settings.region, self.settings.endpoint_url)
        try:
            arn = await self._stream(dynamodb)
            resume = dict(positions(arn)) if positions else {}
            reader = StreamReader(streams, arn, start=self.start, positions=resume)
            async for batch in reader.batches(follow=self.follow):
                yield arn, batch
        finally:
            await streams.close()
            await dynamodb.close()

    async def _stream(self, dynamodb: DynamoDBClient) -> str:
        table = self.settings.table_name
        try:
            return await stream_arn(dynamodb, table)
        except StoreError:
            if not self.enable_stream:
                raise StoreError(
                    f"table {table} has no stream: local tables are made without one (DynamoDB"
                    " Local is slower with one); --enable-stream gives it the template's, for"
                    " the writes from then on"
                ) from None
        stream = create_table_params(table, stream=True)["StreamSpecification"]
        await dynamodb.update_table(TableName=table, StreamSpecification=stream)
        for _ in range(100):
            try:
                return await stream_arn(dynamodb, table)
            except StoreError:
                await asyncio.sleep(0.1)
        raise StoreError(f"table {table} did not get its stream")


async def tail(source: Source, out: IO[str] | None = None) -> int:
    """Prints the events as JSON lines (on stdout); returns how many."""
    out = out or sys.stdout
    count = 0
    async for _, batch in source.batches():
        for event in events_of(batch):
            print(json.dumps(event, ensure_ascii=False), file=out, flush=True)
            count += 1
    return count


async def sink_duckdb(source: Source, path: Path | str) -> int:
    """Keeps the DuckDB database at `path` up to date, from its checkpoint; returns how many
    events were applied."""
    sink = DuckDBSink(path)
    applied = 0
    try:
        async for arn, batch in source.batches(sink.positions):
            applied += sink.apply(arn, batch, events_of(batch))
    finally:
        sink.close()
    return applied


# Command line (tools/singlet_tools/cli.py adds these with `add_commands`)


def _source(settings: Settings, args: argparse.Namespace) -> Source:
    return Source(settings, args.start, follow=not args.once, enable_stream=args.enable_stream)


def cmd_tail(settings: Settings, args: argparse.Namespace) -> None:
    asyncio.run(tail(_source(settings, args)))


def cmd_sink(settings: Settings, args: argparse.Namespace) -> None:
    applied = asyncio.run(sink_duckdb(_source(settings, args), args.path))
    print(f"{applied} events applied to {args.path}", file=sys.stderr)


def add_commands(commands: Any, command: Callable[..., Any]) -> None:
    """`singlet events tail|sink` under the command line's subparsers; `command(parent, name,
    run, tokens, **kw)` is cli.py's own maker of a subcommand (its --debug, its settings)."""
    events = commands.add_parser("events", help="the table's change events, from its stream")
    which = events.add_subparsers(dest="events_command", required=True)
    tail_parser = command(which, "tail", cmd_tail, False, help="print the events as JSON lines")
    _reading_options(tail_parser, default="LATEST")
    sink_parser = command(
        which, "sink", cmd_sink, False, help="keep a database of the entities up to date"
    )
    sink_parser.add_argument("kind", choices=["duckdb"], help="the database")
    sink_parser.add_argument("path", type=Path, help="its file (made if missing)")
    _reading_options(sink_parser, default="TRIM_HORIZON")


def _reading_options(parser: argparse.ArgumentParser, default: Start) -> None:
    start = parser.add_mutually_exclusive_group()
    start.add_argument("--from-start", dest="start", action="store_const", const="TRIM_HORIZON",
                       help="from the oldest record the stream holds (24 hours)")  # fmt: skip
    start.add_argument("--latest", dest="start", action="store_const", const="LATEST",
                       help="from now on")  # fmt: skip
    parser.set_defaults(start=default)
    parser.add_argument("--once", action="store_true",
                        help="stop at the end of what the stream holds now")  # fmt: skip
    parser.add_argument("--enable-stream", action="store_true",
                        help="give the table the template's stream if it has none (local tables"
                             " are made without: DynamoDB Local is slower with one)")  # fmt: skip
