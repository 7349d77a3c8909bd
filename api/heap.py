"""A Lambda container's long-lived heap, kept out of the cyclic garbage collector's way.

What init builds (the modules, Strawberry's and graphql-core's types, the schema: about
76,000 objects the cyclic collector tracks) and what the first request adds (the DynamoDB
client and botocore's service model) live as long as the container. Left in the collector's
generations, every full collection traverses all of it again: 25 to 40 ms each on a 2-core
machine, every few hundred requests, a cost a median hides and a bill does not. `gc.freeze()`
moves them to a permanent generation that collections skip; objects made later are collected
as before. What is frozen is never freed by the collector, so this is done only where the
objects are meant to stay: after init and once the client exists. Measured with
    JWT_SECRET=... python -c "import gc, time, api.handler; gc.unfreeze(); \
        t = time.perf_counter(); gc.collect(); print(time.perf_counter() - t)"
"""

from __future__ import annotations

import gc

from starlette.applications import Starlette


def settle(app: Starlette) -> None:
    """Freeze the heap now, and again once the app has made its DynamoDB client."""
    gc.freeze()
    app.state.resources.after_client = gc.freeze
