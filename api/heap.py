"""A Lambda container's long-lived heap, kept out of the cyclic garbage collector's way.

What init builds (the modules, Strawberry's and graphql-core's types, the schema: about
76,000 objects the cyclic collector tracks) and what the first request adds (the DynamoDB
client and botocore's service model) live as long as the container. Left in the collector's
generations, every full collection traverses all of it again: 25 to 40 ms each on a 2-core
machine, every few hundred requests, a cost a median hides and a bill does not. `gc.freeze()`
moves them to a permanent generation that collections skip; objects made later are collected
as before. What is frozen is never freed by the collector, so this is done only where the
objects are meant to stay: after init and once the client exists.

During init itself the collector is paused (api/handler.py disables it first thing, `settle`
enables it): init allocates those objects at once, and the collections they set off (55 young
and 4 middle-aged ones on CPython 3.13) free next to nothing: about 1,450 objects, which with
the pause stay in the frozen heap instead (0.6 MB of resident memory). Counted with
    JWT_SECRET=<32 bytes> TABLE_NAME=t python -c "import gc; gc.disable = lambda: None; \
        import api.handler; print(gc.get_stats())"
What the pause saves is in `bench.cold_start`: the bare libraries with and without it (43 ms of
394 in bench/results/cold-start.md), and the handler against both. CPython's documentation of
`gc.freeze` describes the same pattern for a process that prepares a heap to share.

The cost of a full collection over the init heap, measured with
    JWT_SECRET=... python -c "import gc, time, api.handler; gc.unfreeze(); \
        t = time.perf_counter(); gc.collect(); print(time.perf_counter() - t)"
"""

from __future__ import annotations

import gc

from starlette.applications import Starlette


def settle(app: Starlette) -> None:
    """Freeze the heap now, and again once the app has made its DynamoDB client; the
    collector runs again from here (the handler pauses it for init)."""
    gc.freeze()
    gc.enable()
    app.state.resources.after_client = gc.freeze
