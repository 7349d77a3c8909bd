"""AWS Lambda entry point (function URL, payload 2.0): Mangum over the same Starlette app.

Lifespan is off because Mangum would run it on every invocation; the DynamoDB client is made
lazily on the first request and reused by every warm invocation of this container.

With SnapStart (docs/snapstart.md) this module's import is initialized once per published
version, snapshotted, and resumed in many containers: the hooks below keep what must differ
between containers out of the snapshot.
"""

from __future__ import annotations

import gc

# The collector is paused until init ends (heap.settle): see api/heap.py.
gc.disable()

import asyncio  # noqa: E402
import random  # noqa: E402

from mangum import Mangum  # noqa: E402

from . import heap  # noqa: E402
from .app import Resources, create_app  # noqa: E402

try:  # Lambda's Python runtimes (3.12+) provide it: not one of our dependencies
    import snapshot_restore_py  # type: ignore[import-not-found]
except ImportError:  # anywhere else: no snapshots, nothing to register
    snapshot_restore_py = None


def before_snapshot(resources: Resources) -> None:
    """No DynamoDB client may be in the snapshot: its connections would be dead on resume and
    its credentials those of the container that was snapshotted. The first request makes the
    client, so normally none exists yet; this keeps it so if init ever makes one. No call to
    DynamoDB here, nor anything else that needs the network."""
    if resources.clients_created:
        # The loop Mangum runs every invocation on, which the client belongs to.
        asyncio.get_event_loop().run_until_complete(resources.close())


def after_restore() -> None:
    """`random` was seeded once, before the snapshot: every resumed container would draw the
    same numbers, and the store's retry jitter would retry in step. (uuid4, secrets and ULIDs
    read os.urandom on each call and need nothing.)"""
    random.seed()


app = create_app()
handler = Mangum(app, lifespan="off")
heap.settle(app)

if snapshot_restore_py is not None:
    snapshot_restore_py.register_before_snapshot(before_snapshot, app.state.resources)
    snapshot_restore_py.register_after_restore(after_restore)
