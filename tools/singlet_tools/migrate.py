"""`singlet migrate`: the terminal side of store/migrations (progress bar, tables, summary)."""

from __future__ import annotations

import argparse
import json
import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from model import InvalidInput
from store import Store
from store.migrations import MIGRATIONS, get
from store.migrations.runner import AlreadyApplied, MigrationError, Runner, status


async def migrate(store: Store, args: argparse.Namespace) -> None:
    console = Console(stderr=True)
    if args.action == "status":
        table = RichTable("migration", "status", "progress", "finished", title="migrations")
        for row in await status(store.table):
            done = (f"{row['segments_done']}/{row['segments']} segments, "
                    f"{row['scanned']:,} scanned") if "segments" in row else ""  # fmt: skip
            table.add_row(row["id"], row["status"], done, row.get("finished_at") or "")
        Console().print(table)
        return
    if not args.id:
        sys.exit(f"singlet: `migrate {args.action}` needs a migration id: "
                 + ", ".join(m.id for m in MIGRATIONS))  # fmt: skip
    try:
        migration = get(args.id)
    except InvalidInput as error:
        sys.exit(f"singlet: {error}")
    description = await store.table.call("describe_table", TableName=store.table.name)
    total = int(description["Table"].get("ItemCount", 0)) or None
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, disable=not console.is_terminal,
    )  # fmt: skip
    with progress:
        task = progress.add_task(f"{args.action} {migration.id}", total=total)
        runner = Runner(
            store.table, migration, segments=args.segments, max_capacity=args.max_capacity,
            on_progress=lambda n: progress.advance(task, n),
        )  # fmt: skip
        started = time.perf_counter()
        if args.action == "plan":
            plan = await runner.plan(samples=args.samples)
        else:
            try:
                counts = await runner.run()
            except AlreadyApplied as done:
                print(done)  # a re-run is a no-op
                return
            except MigrationError as error:
                sys.exit(f"singlet: {error}")
        elapsed = time.perf_counter() - started
    if args.action == "plan":
        print(f"plan {migration.id}: {migration.description} (writes nothing)")
        print(f"  scanned {plan.scanned:,} items; already current {plan.current:,}")
        for entity, count in sorted(plan.by_entity.items()):
            print(f"  would migrate {count:,} {entity} items to version {migration.to_version}")
        for failure in plan.failures:
            print(f"  cannot migrate: {failure}")
        for before, after in plan.samples:
            changed = {k: after[k] for k in after if before.get(k) != after[k]}
            print(f"  {before['PK']} {before['SK']}: {json.dumps(changed, default=sorted)}")
        return
    rate = counts.scanned / elapsed if elapsed else 0.0
    print(
        f"run {migration.id}: scanned {counts.scanned:,}, migrated {counts.migrated:,}, "
        f"already current {counts.current:,}, skipped by concurrent writes {counts.skipped:,}, "
        f"failed {counts.failed:,}; {counts.capacity:,.0f} capacity units; "
        f"{elapsed:.1f} s ({rate:,.0f} items/s)"
    )
    if counts.skipped or counts.failed:
        print("  not applied yet: run it again to retry what was skipped or failed")
        sys.exit(1)
