"""AWS Lambda entry point (function URL, payload 2.0): Mangum over the same Starlette app.

Lifespan is off because Mangum would run it on every invocation; the DynamoDB client is made
lazily on the first request and reused by every warm invocation of this container.
"""

from __future__ import annotations

from mangum import Mangum

from .app import create_app

handler = Mangum(create_app(), lifespan="off")
