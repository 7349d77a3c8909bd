"""What one request may cost: operations predicted over budget are refused before any call.

The defaults admit every documented query, GraphiQL's example and the whole benchmark
workload (tests/api/test_cost.py runs them all) and refuse queries whose worst case fans out
into thousands of calls or answers more than Lambda's function URL can carry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from graphql import GraphQLError

from resolvers.cost import Prediction

COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"
# A Lambda function URL returns at most 6 MB (the invocation's response payload).
FUNCTION_URL_PAYLOAD = 6 * 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """Limits on a request's predicted cost; None: no limit."""

    calls: float | None = 200
    round_trips: float | None = 10
    read_units: float | None = 20_000
    write_units: float | None = None
    response_bytes: float | None = FUNCTION_URL_PAYLOAD

    def exceeded(self, prediction: Prediction) -> dict[str, tuple[float, float]]:
        """Each figure over its limit: (predicted, limit)."""
        figures: dict[str, tuple[float, float | None]] = {
            "calls": (sum(prediction.calls.values()), self.calls),
            "roundTrips": (prediction.round_trips, self.round_trips),
            "readUnits": (prediction.read_units, self.read_units),
            "writeUnits": (prediction.write_units, self.write_units),
            "responseBytes": (prediction.response_bytes, self.response_bytes),
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
            "predicted": prediction.summary(),
            "budget": {k: v for k, v in _camel(asdict(self)).items() if v is not None},
            "top": top,
        }
        return GraphQLError(message, extensions={"code": COST_LIMIT_EXCEEDED, "cost": cost})


_WORDS = {
    "calls": "DynamoDB calls",
    "roundTrips": "sequential round trips",
    "readUnits": "read units",
    "writeUnits": "write units",
    "responseBytes": "response bytes",
}


def _camel(values: dict[str, Any]) -> dict[str, Any]:
    return {
        name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:]): value
        for name, value in values.items()
    }
