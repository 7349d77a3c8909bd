"""Runs a migration over the table: plan (a dry run), run (resumable), status.

A run Scans the table in parallel segments. Each item below the migration's version is
written back with a conditional write guarded on its schema version, its `version` and the
attributes the change was computed from: a concurrent API write is never overwritten (the item
is read again and the change recomputed) and a re-run finds nothing left to do. After each
Scan page a segment's position is checkpointed in the table itself, so a killed run resumes
where it stopped; the run's record, also in the table, says when it was applied.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from cost.meter import Usage, metering
from model.attrs import Item, unmarshal_item
from model.declarations import ENTITY, VERSION, Attribute, attribute_named
from model.entities import MigrationCheckpoint, MigrationRun, Post
from model.errors import InvalidInput, StoreError, Unavailable
from model.expressions import Condition, Update
from model.keys import TABLE
from model.limits import now

from ..retry import Backoff
from ..table import ConditionFailed, Table, TransactionCancelled, key_of, update
from ..tasks import gather
from . import MIGRATIONS
from .base import Change, Migration

log = logging.getLogger(__name__)

ATTEMPTS = 4  # per item: a conflict with a concurrent write is retried on a fresh read


class MigrationError(StoreError):
    """The migration cannot run now; the message says why."""


class AlreadyApplied(MigrationError):
    """Nothing to do: the migration's record says it was applied."""


@dataclass
class Counts:
    scanned: int = 0
    migrated: int = 0
    current: int = 0  # already at the version (or beyond)
    skipped: int = 0  # kept changing (or vanished) under concurrent writes: left for a re-run
    failed: int = 0  # the change refused the item (logged)
    capacity: float = 0.0

    def add(self, other: Counts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class Plan:
    by_entity: Counter[str] = field(default_factory=Counter)  # items to migrate, per type
    current: int = 0
    scanned: int = 0
    samples: list[tuple[Item, Item]] = field(default_factory=list)  # (before, after)
    failures: list[str] = field(default_factory=list)


class CapacityLimit:
    """Keeps consumed capacity under `per_second` units on average (None: no limit)."""

    def __init__(self, per_second: float | None) -> None:
        self.per_second = per_second
        self._free_at = time.monotonic()

    async def spend(self, units: float) -> None:
        if not self.per_second or units <= 0:
            return
        moment = time.monotonic()
        self._free_at = max(self._free_at, moment) + units / self.per_second
        if self._free_at - moment > 0.05:
            await asyncio.sleep(self._free_at - moment)


class Runner:
    def __init__(
        self,
        table: Table,
        migration: Migration,
        *,
        segments: int = 4,
        page_size: int = 250,
        concurrency: int = 16,
        max_capacity: float | None = None,
        on_progress: Callable[[int], None] | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.table = table
        self.migration = migration
        self.segments = segments
        self.page_size = page_size
        self.limit = CapacityLimit(max_capacity)
        self.on_progress = on_progress or (lambda _: None)
        self.backoff = backoff or table.backoff
        self._writers = asyncio.Semaphore(concurrency)

    # Status and records

    async def record(self) -> MigrationRun | None:
        found = await self.table.get_items([self._run_key], True)
        item = found.get(self._run_key)
        return MigrationRun.decode(item) if item else None

    @property
    def _run_key(self) -> Any:
        return MigrationRun.key_of(migration=self.migration.id)

    async def checkpoints(self) -> dict[int, MigrationCheckpoint]:
        """Each segment's checkpoint of the current (or last) run, by segment number."""
        items, _ = await self.table.query(TABLE, self._run_key.pk, limit=10_000, consistent=True)
        found = [MigrationCheckpoint.decode(i) for i in items
                 if i.get(ENTITY) == MigrationCheckpoint.entity]  # fmt: skip
        return {c.segment: c for c in found}

    async def _save(self, record: MigrationRun | MigrationCheckpoint) -> None:
        await self.table.put_items([record.item()])

    # Plan: a dry run

    async def plan(self, samples: int = 3) -> Plan:
        plan = Plan()

        async def segment(n: int) -> None:
            async for page in self._scan(n, None):
                plan.scanned += len(page.items)
                for item in page.items:
                    if not self._ours(item):
                        continue
                    if int(item.get(VERSION, 1)) >= self.migration.to_version:
                        plan.current += 1
                        continue
                    try:
                        change = self.migration.change(item)
                    except InvalidInput as error:
                        plan.failures.append(f"{_where(item)}: {error}")
                        continue
                    plan.by_entity[item[ENTITY]] += 1
                    # Samples that show a real change beat ones where only the version moves.
                    if len(plan.samples) < samples and (change.set or change.remove):
                        plan.samples.append((item, self._after(item, change)))
                self.on_progress(len(page.items))

        await gather(*(segment(n) for n in range(self.segments)))
        return plan

    def _after(self, item: Item, change: Change) -> Item:
        removed = {a.name for a in change.remove}
        after = {k: v for k, v in item.items() if k not in removed}
        changed = {a.name: a.to_item(v) for a, v in change.set.items()}
        return {**after, **changed, VERSION: self.migration.to_version}

    # Run: resumable

    async def run(self) -> Counts:
        await self._check_order()
        record = await self.record()
        migration = self.migration.id
        if record is not None and record.status == "applied":
            raise AlreadyApplied(f"{migration} is already applied: nothing to do")
        if record is not None and record.status == "running":
            self.segments = record.segments  # resume with the same split
            log.info("resuming %s", migration)
        else:  # new, or a pass that left skipped/failed items: scan again from the start
            old = await self.checkpoints()
            await self.table.delete_keys([c.primary_key() for c in old.values()])
            await self._save(MigrationRun(migration=migration, status="running",
                                          segments=self.segments, started_at=now()))  # fmt: skip
        checkpoints = await self.checkpoints()
        totals = Counts()
        results = await gather(
            *(self._segment(n, checkpoints.get(n)) for n in range(self.segments))
        )
        for counts in results:
            totals.add(counts)
        done = totals.skipped == 0 and totals.failed == 0
        await self._save(MigrationRun(
            migration=migration, status="applied" if done else "incomplete",
            segments=self.segments, finished_at=now(), counts=json.dumps(asdict(totals)),
        ))  # fmt: skip
        return totals

    async def _check_order(self) -> None:
        """Migrations of the same entities apply in order."""
        for earlier in MIGRATIONS:
            if earlier.id == self.migration.id:
                return
            if set(earlier.entities) & set(self.migration.entities):
                record = await Runner(self.table, earlier).record()
                if record is None or record.status != "applied":
                    raise MigrationError(f"apply {earlier.id} first")

    async def _segment(self, n: int, checkpoint: MigrationCheckpoint | None) -> Counts:
        """One Scan segment from its checkpoint to its end; returns its counts this pass."""
        counts = Counts()
        if checkpoint is not None and checkpoint.done:
            return counts
        position = json.loads(checkpoint.position) if checkpoint else None
        async for page in self._scan(n, position):
            page_counts = Counts(scanned=len(page.items), capacity=page.capacity)
            outcomes = await gather(*(self._one(item) for item in page.items))
            for outcome, capacity in outcomes:
                if outcome:
                    setattr(page_counts, outcome, getattr(page_counts, outcome) + 1)
                page_counts.capacity += capacity
            counts.add(page_counts)
            # Written after the page: a kill before this line redoes the page, and the
            # conditional writes make the redo find those items current.
            await self._save(MigrationCheckpoint(
                migration=self.migration.id, segment=n, position=json.dumps(page.last),
                done=page.last is None, counts=json.dumps(asdict(counts)),
            ))  # fmt: skip
            self.on_progress(len(page.items))
        return counts

    async def _one(self, item: Item) -> tuple[str | None, float]:
        """Migrates one item; returns its outcome (a Counts field) and capacity used."""
        if not self._ours(item):
            return None, 0.0
        capacity = 0.0
        # Between tries: the store's capped, jittered backoff, whether the last try met a
        # concurrent write (brief) or throttling (longer, as the tries add up).
        tries = replace(self.backoff, attempts=ATTEMPTS).tries()
        async with self._writers:
            async for _ in tries:
                if int(item.get(VERSION, 1)) >= self.migration.to_version:
                    return "current", capacity  # (on a retry: someone else moved it)
                if item.get(Post.deleting.name):
                    return "skipped", capacity  # its delete sweep is removing it
                try:
                    change = self.migration.change(item)
                except InvalidInput as error:
                    log.error("%s cannot migrate %s: %s", self.migration.id, _where(item), error)
                    return "failed", capacity
                try:
                    capacity += await self._write(item, change)
                    return "migrated", capacity
                except (ConditionFailed, TransactionCancelled) as conflict:
                    if isinstance(conflict, TransactionCancelled) and not _own_failed(conflict):
                        log.error("%s: transaction cancelled for %s: %s",
                                  self.migration.id, _where(item), conflict)  # fmt: skip
                        return "failed", capacity
                except Unavailable:
                    pass  # throttled after botocore's own retries: the backoff waits
                fresh = await self.table.get_items([key_of(item)], True)
                found = fresh.get(key_of(item))
                if found is None:
                    return "skipped", capacity  # deleted meanwhile
                item = found
        return "skipped", capacity

    async def _write(self, item: Item, change: Change) -> float:
        """The change, guarded on the item's schema version, its not being deleted and the
        values it was computed from; returns the capacity it used."""
        version = attribute_named(VERSION)
        actions = [a.set(v) for a, v in change.set.items()]
        actions += [version.set(self.migration.to_version), *(a.remove() for a in change.remove)]
        guard: Condition = (
            version.eq(item[VERSION]) if VERSION in item else version.absent()
        ) & Post.deleting.absent()
        for attribute in self.migration.reads:
            guard = guard & _holds(attribute, item)
        write = update(key_of(item), Update(*actions), guard)
        usage = Usage()
        with metering(usage):
            if change.also:
                await self.table.transact([write, *change.also])
            else:
                await self.table.write(write)
        await self.limit.spend(usage.capacity)
        return usage.capacity

    def _ours(self, item: Item) -> bool:
        return item.get(ENTITY) in {e.entity for e in self.migration.entities}

    async def _scan(self, segment: int, start: dict[str, Any] | None) -> Any:
        """Scan pages of one segment from `start` (a raw LastEvaluatedKey)."""
        while True:
            params: dict[str, Any] = {
                "TableName": self.table.name,
                "Segment": segment,
                "TotalSegments": self.segments,
                "Limit": self.page_size,
            }
            if start:
                params["ExclusiveStartKey"] = start
            usage = Usage()
            async for _ in self.backoff.tries():
                try:
                    with metering(usage):
                        response = await self.table.call("scan", **params)
                    break
                except Unavailable:
                    continue
            else:
                raise Unavailable("the table kept throttling the migration's Scan")
            capacity = usage.capacity
            await self.limit.spend(capacity)
            start = response.get("LastEvaluatedKey")
            yield _Page([unmarshal_item(i) for i in response.get("Items", [])], start, capacity)
            if start is None:
                return


@dataclass
class _Page:
    items: list[Item]
    last: dict[str, Any] | None  # LastEvaluatedKey, raw
    capacity: float


async def status(
    table: Table, migrations: Sequence[Migration] = MIGRATIONS
) -> list[dict[str, Any]]:
    """Each migration with its state: pending, running (with progress), applied, incomplete."""
    rows = []
    for migration in migrations:
        runner = Runner(table, migration)
        record = await runner.record()
        row: dict[str, Any] = {"id": migration.id, "description": migration.description,
                               "status": record.status if record else "pending"}  # fmt: skip
        if record is not None:
            checkpoints = await runner.checkpoints()
            row["segments_done"] = sum(1 for c in checkpoints.values() if c.done)
            row["segments"] = record.segments
            row["scanned"] = sum(json.loads(c.counts)["scanned"] for c in checkpoints.values())
            row["finished_at"] = record.finished_at
        rows.append(row)
    return rows


def _where(item: Item) -> str:
    key = key_of(item)
    return f"{key.pk} {key.sk}"


def _holds(attribute: Attribute[Any], item: Item) -> Condition:
    """The attribute still has the value it had in `item` (or is still absent)."""
    if attribute.name in item:
        return Condition(lambda e: f"{e.name(attribute.name)} = {e.value(item[attribute.name])}")
    return attribute.absent()


def _own_failed(cancelled: TransactionCancelled) -> bool:
    """The migrated item's own guard failed (a concurrent change), not another write's."""
    return bool(cancelled.reasons) and cancelled.reasons[0].code == "ConditionalCheckFailed"
