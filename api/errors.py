"""Store and resolver exceptions become GraphQL error codes here, and only here.

Expected failures keep their message and get a code; anything unexpected is logged with the
request id and reaches the client only as "Internal server error" (no trace, no botocore text).
"""

from __future__ import annotations

import logging

from graphql import GraphQLError

from cost.budget import COST_LIMIT_EXCEEDED
from model import AlreadyExists, Forbidden, InvalidInput, NotFound, Unavailable, VersionConflict
from model.errors import CostLimitReached, RateLimited
from resolvers.context import NoProfile, Unauthenticated

log = logging.getLogger("singlet.errors")

BAD_USER_INPUT = "BAD_USER_INPUT"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
CONFLICT = "CONFLICT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
RESPONSE_TOO_LARGE = "RESPONSE_TOO_LARGE"
RATE_LIMITED = "RATE_LIMITED"  # over the caller's budget (cost/limiter.py)
# Transport: the HTTP request itself is not a GraphQL request we can run (the status says why).
BAD_REQUEST = "BAD_REQUEST"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
TRANSPORT_CODES = {
    400: BAD_REQUEST,
    405: METHOD_NOT_ALLOWED,
    406: NOT_ACCEPTABLE,
    413: PAYLOAD_TOO_LARGE,
    415: UNSUPPORTED_MEDIA_TYPE,
}

CODES: dict[type[Exception], str] = {
    InvalidInput: BAD_USER_INPUT,
    Unauthenticated: UNAUTHENTICATED,
    Forbidden: FORBIDDEN,
    NoProfile: FORBIDDEN,
    NotFound: NOT_FOUND,
    AlreadyExists: CONFLICT,
    VersionConflict: CONFLICT,
    CostLimitReached: COST_LIMIT_EXCEEDED,
    RateLimited: RATE_LIMITED,
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
