"""docs/data-model.md's table of writes, checked against the plans the predictor reads
(cost/plans.py): each write's calls are stated once, and the docs say the same."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cost import plans
from cost.prediction import Call

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
CONTENT = {"title": "t", "content": "c", "tags": ["a"]}


def _calls(steps: Any, **values: Any) -> int:
    call: Call = SimpleNamespace(args={"input": values})  # type: ignore[assignment]
    return sum(step.calls for step in steps(call))


def _documented() -> dict[str, str]:
    """The Writes table: each write's `calls` cell."""
    section = DOC.read_text().split("### Writes", 1)[1].split("\n\n")[1]  # the table
    rows = re.findall(r"^\| ([^|]+) \| [^|]+ \| ([^|]+) \| [^|]+ \|$", section, re.M)
    return {name.strip(): calls.strip() for name, calls in rows
            if name.strip() not in ("write", "---")}  # fmt: skip


# Each row of the table, and what its plan says (the figure as the table writes it).
WRITES: dict[str, Callable[[], str]] = {
    "create user": lambda: str(_calls(plans.create_user_steps)),
    "create post": lambda: str(_calls(plans.create_post_steps, **CONTENT)),
    "update post": lambda: (
        f"{_calls(plans.update_post_steps)} ({_calls(plans.update_post_steps, content='new')})"
    ),
    "add / remove tag": lambda: str(_calls(plans.tag_steps)),
    "vote UP / DOWN / NONE": lambda: str(_calls(plans.vote_steps)),
    "add comment": lambda: str(_calls(plans.add_comment_steps, body="b")),
    "delete comment": lambda: str(_calls(plans.delete_comment_steps)),
    # The mark and the Query, then the deletes 25 at a time: the sweep bound's items and the
    # head, which the plan counts as its own last batch.
    "delete post": lambda: (
        "2 + ⌈items/25⌉"
        if _calls(plans.delete_post_steps) == 2 + math.ceil((plans.SWEEP_BOUND + 1) / 25)
        else "(the plan disagrees)"
    ),
}


def test_every_write_in_the_docs_has_its_plan() -> None:
    assert sorted(_documented()) == sorted(WRITES)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_the_docs_state_each_writes_calls_as_its_plan_does(write: str) -> None:
    assert _documented()[write] == WRITES[write](), f"docs/data-model.md's row for {write}"
