"""docs/queries.md runs: every example, in order, against the API on the demo data, so that
the examples cannot rot. Placeholders in angle brackets are filled from earlier answers."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from singlet_tools.seed import seed, subject_for
from types_aiobotocore_dynamodb import DynamoDBClient

from store import Store, Table
from tests.api.conftest import Api, error_codes, make_token

DOC = Path(__file__).resolve().parents[2] / "docs" / "queries.md"
OPERATION = re.compile(r"(?:query|mutation)\s+(\w+)")
BLOCK = re.compile(r"```(graphql|json)\n(.*?)```", re.DOTALL)


def examples() -> list[tuple[str, dict[str, Any]]]:
    """(document, variables) for each graphql block; variables from the json block after it."""
    found: list[tuple[str, dict[str, Any]]] = []
    for kind, text in BLOCK.findall(DOC.read_text()):
        if kind == "graphql":
            found.append((text, {}))
        else:
            found[-1] = (found[-1][0], json.loads(text))
    return found


async def test_every_example_in_the_docs_runs(
    api: Api, client: DynamoDBClient, table_name: str
) -> None:
    assert await seed(Store(Table(client, table_name)))
    ada = make_token(subject_for("ada"))
    feed = await api.graphql("{ posts(first: 5) { pageInfo { endCursor } } }")
    filled: dict[str, Any] = {"<end cursor>": feed["data"]["posts"]["pageInfo"]["endCursor"]}
    ran = []
    for document, variables in examples():
        if "<post id>" not in filled:  # one of ada's posts, until she writes her own
            mine = await api.graphql('{ user(username: "ada") { posts(first: 1) '
                                     "{ edges { node { id } } } } }")  # fmt: skip
            filled["<post id>"] = mine["data"]["user"]["posts"]["edges"][0]["node"]["id"]
        if "<version>" in variables.values():
            post = await api.graphql("query($id: ID!) { post(id: $id) { version } }",
                                     {"id": filled["<post id>"]})  # fmt: skip
            filled["<version>"] = post["data"]["post"]["version"]
        values = {name: filled.get(value, value) for name, value in variables.items()}
        assert not [v for v in values.values() if str(v).startswith("<")], (document, values)
        token = None
        if "# signed in as a new identity" in document:
            token = make_token("docs|newcomer")
        elif "# signed in" in document:
            token = ada
        result = await api.graphql(document, values, token=token)
        name = OPERATION.search(document).group(1)  # type: ignore[union-attr]
        ran.append(name)
        if name == "Stale":
            assert error_codes(result) == ["CONFLICT"], result
            continue
        assert "errors" not in result, (name, result)
        data = result["data"]
        if name == "Write":
            filled["<post id>"] = data["createPost"]["id"]
        if name == "Comment":
            filled["<comment id>"] = data["addComment"]["id"]
        if name == "Delete":
            del filled["<post id>"]
    # Every operation of the schema has its example.
    assert {"SignUp", "Write", "Edit", "Vote", "Tag", "Untag", "Comment", "Uncomment",
            "Delete", "Feed", "Post", "Node", "Profile", "Tagged", "Me"} <= set(ran)  # fmt: skip
