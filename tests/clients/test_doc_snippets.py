"""The client snippets in docs/queries.md run, as written, against a running server."""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from pathlib import Path

from tests.clients.conftest import Server
from tests.clients.test_clients import installed_clients

DOC = Path(__file__).resolve().parents[2] / "docs" / "queries.md"
DOCUMENTED_URL = "http://localhost:8000/graphql"


def snippet(language: str) -> str:
    (code,) = re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert isinstance(code, str)
    assert DOCUMENTED_URL in code
    return code


async def run(*command: str, cwd: Path | None = None) -> list[str]:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert not err, err.decode()
    return out.decode().splitlines()


async def titles(server: Server) -> list[str]:
    result = await server.api.graphql("{ posts(first: 3) { edges { node { title } } } }")
    return [edge["node"]["title"] for edge in result["data"]["posts"]["edges"]]


async def write_posts(server: Server) -> None:
    for n in range(4):
        await server.api.graphql(
            'mutation($t: String!) { createPost(input: {title: $t, content: "x"}) { id } }',
            {"t": f"snippet post {n}"},
            token=server.member.token,
        )


async def test_the_python_snippet(server: Server) -> None:
    await write_posts(server)
    code = snippet("python").replace(DOCUMENTED_URL, server.url)
    assert await run(sys.executable, "-c", code) == await titles(server)


async def test_the_javascript_snippet(server: Server) -> None:
    await write_posts(server)
    where = installed_clients()  # the module must sit where graphql-request resolves
    script = where / f"snippet-{uuid.uuid4().hex}.mjs"
    script.write_text(snippet("js").replace(DOCUMENTED_URL, server.url))
    try:
        assert await run("node", str(script), cwd=where) == await titles(server)
    finally:
        script.unlink()
