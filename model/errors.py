"""The store's typed failures: what callers can handle, never raw botocore errors."""

from __future__ import annotations


class StoreError(Exception):
    """Base class: every failure the store raises on purpose."""


class InvalidInput(StoreError):
    """A value cannot be stored or used as a key (bad id, tag, username, cursor, size)."""


class NotFound(StoreError):
    """The item the operation needs does not exist (or is being deleted)."""


class AlreadyExists(StoreError):
    """A uniqueness rule would be broken (username taken, profile already created)."""


class VersionConflict(StoreError):
    """Optimistic concurrency: the item's version is not the one the caller expected."""


class Forbidden(StoreError):
    """The actor may not change this item (not its owner)."""


class Unavailable(StoreError):
    """DynamoDB did not complete the request after retries (throttling, timeouts, network)."""


class CorruptItem(StoreError):
    """An item in the table lacks an attribute its schema version promises."""


class OverBudget(StoreError):
    """A DynamoDB call was not made: the request has spent what it may. Raised before the
    call, so nothing was read or written by it."""


class CostLimitReached(OverBudget):
    """The request has consumed its own limit (COST_MAX_READ_UNITS or COST_MAX_WRITE_UNITS)."""


class RateLimited(OverBudget):
    """The caller's budget (their bucket) holds too little for another call."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds until the bucket holds enough again
