"""What one request may cost, as far as the operation decides it: refused before any call.

The operation and its variables alone decide how many DynamoDB calls it makes, in how many
round trips, and how many items it can read at most (pages full): predicted exactly, and
capped here. What the data decides (the read and write units items of their real sizes
consume, the response's bytes) is enforced while the request runs, on the real figures
(cost/limiter.py, and the response check in api/http.py).

The defaults admit every documented query, GraphiQL's example and the whole benchmark
workload (tests/api/test_cost.py runs them all) and refuse queries whose worst case fans out
into thousands of calls.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from graphql import GraphQLError

from .prediction import Prediction

COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"  # its error code (api/errors.py gives it to fields too)
# A Lambda function URL returns at most 6 MB (the invocation's response payload).
FUNCTION_URL_PAYLOAD = 6 * 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """Limits on a request's predicted cost; None: no limit."""

    calls: float | None = 200
    round_trips: float | None = 10
    # Items read at most: with the request's read units, this bounds the memory it can take.
    items: float | None = 5_000

    def exceeded(self, prediction: Prediction) -> dict[str, tuple[float, float]]:
        """Each figure over its limit: (predicted, limit)."""
        figures: dict[str, tuple[float, float | None]] = {
            "calls": (sum(prediction.calls.values()), self.calls),
            "roundTrips": (prediction.round_trips, self.round_trips),
            "items": (prediction.items, self.items),
        }
        return {
            name: (value, limit)
            for name, (value, limit) in figures.items()
            if limit is not None and value > limit
        }

    def refusal(self, prediction: Prediction) -> GraphQLError | None:
        over = self.exceeded(prediction)
        if not over:
            return None
        reasons = "; ".join(
            f"{_WORDS[name]} {value:,.10g} (limit {limit:,.10g})"
            for name, (value, limit) in over.items()
        )
        top = prediction.top()
        where = ", ".join(f"{t['path']} ({t['calls']:,} calls)" for t in top if t["calls"])
        message = (
            f"This operation could cost more than a request may: {reasons}. It was not run."
            + (f" Most of it comes from {where}." if where else "")
            + " Ask for fewer items (a smaller `first`) or fewer nested lists, or split it."
        )
        cost: dict[str, Any] = {
            "requested": prediction.summary(),
            "budget": {k: v for k, v in _camel(asdict(self)).items() if v is not None},
            "top": top,
        }
        return GraphQLError(message, extensions={"code": COST_LIMIT_EXCEEDED, "cost": cost})


_WORDS = {
    "calls": "DynamoDB calls",
    "roundTrips": "sequential round trips",
    "items": "items",
}


def _camel(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:]): value
        for name, value in values.items()
    }
