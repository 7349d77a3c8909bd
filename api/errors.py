"""Store and resolver exceptions become GraphQL error codes here, and only here.

Expected failures keep their message and get a code; anything unexpected is logged with the
request id and reaches the client only as "Internal server error" (no trace, no botocore text).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionResult

from resolvers.context import Context, NoProfile, Unauthenticated
from store import (
    AlreadyExists,
    Forbidden,
    InvalidInput,
    NotFound,
    Unavailable,
    VersionConflict,
)

log = logging.getLogger("singlet.errors")

BAD_USER_INPUT = "BAD_USER_INPUT"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
CONFLICT = "CONFLICT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

CODES: dict[type[Exception], str] = {
    InvalidInput: BAD_USER_INPUT,
    Unauthenticated: UNAUTHENTICATED,
    Forbidden: FORBIDDEN,
    NoProfile: FORBIDDEN,
    NotFound: NOT_FOUND,
    AlreadyExists: CONFLICT,
    VersionConflict: CONFLICT,
}


def classify(error: GraphQLError, request_id: str) -> GraphQLError:
    original = error.original_error
    extensions = dict(error.extensions or {})
    if original is None or isinstance(original, GraphQLError):
        # Parse and validation errors (bad syntax, unknown field, depth limit, bad variables).
        extensions.setdefault("code", BAD_USER_INPUT)
        return _with(error, error.message, extensions)
    for kind, code in CODES.items():
        if isinstance(original, kind):
            return _with(error, str(original), {**extensions, "code": code})
    if isinstance(original, Unavailable):
        # Safe to show, and worth retrying: DynamoDB throttled or did not answer.
        log.warning("unavailable: %s", original, extra={"path": error.path})
        extra = {"code": INTERNAL_SERVER_ERROR, "retryable": True, "requestId": request_id}
        return _with(error, str(original), {**extensions, **extra})
    log.error(
        "unexpected error in %s",
        ".".join(map(str, error.path or [])) or "operation",
        exc_info=(type(original), original, original.__traceback__),
    )
    extra = {"code": INTERNAL_SERVER_ERROR, "requestId": request_id}
    return _with(error, "Internal server error", {**extensions, **extra})


def _with(error: GraphQLError, message: str, extensions: dict[str, object]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def unauthenticated(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": UNAUTHENTICATED})


class ErrorCodes(SchemaExtension):
    """Rejects requests with a bad token, then gives every error its code."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and context.auth_error:
            # Credentials were sent and are not valid: refuse the whole operation, reads
            # included, rather than silently treat the caller as anonymous.
            self.execution_context.result = ExecutionResult(
                data=None, errors=[unauthenticated(context.auth_error)]
            )
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = context.request_id if isinstance(context, Context) else "-"
        result.errors = [classify(e, request_id) for e in result.errors]
