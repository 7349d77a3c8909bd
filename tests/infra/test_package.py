"""The Lambda artifact is complete: unzipped alone, it answers a function URL event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.api.conftest import function_url_event

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built by the same script as `make package`, for this machine's CPU and Python, since
    the arm64 build cannot run here (that one is checked for its CPU by the script)."""
    out = tmp_path_factory.mktemp("build") / "lambda-host.zip"
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run(
        [sys.executable, str(ROOT / "infra" / "package.py"), "--arch", "x86_64",
         "--python", python, "--output", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def pyc_of(source: str, tag: str) -> str:
    folder, _, name = source.rpartition("/")
    return f"{folder}/__pycache__/{name.removesuffix('.py')}.{tag}.pyc".lstrip("/")


CHILD = """
import gc, json, sys
sys.path[:] = [p for p in sys.path if "site-packages" not in p] + [sys.argv[1]]
def collections(): return sum(s["collections"] for s in gc.get_stats())
before = collections()
from api.handler import handler
event, context_id = json.loads(sys.argv[2]), sys.argv[3]
class Context:
    aws_request_id = context_id
frozen = [gc.get_freeze_count()]
collector = {"enabled": gc.isenabled(), "collections": collections() - before}
response = handler(event, Context())
frozen.append(gc.get_freeze_count())
handler(event, Context())
frozen.append(gc.get_freeze_count())
outside = sorted({m.__file__ for m in list(sys.modules.values())
                  if getattr(m, "__file__", None) and "site-packages" in m.__file__})
print(json.dumps({"response": response, "outside": outside, "frozen": frozen,
                  "collector": collector}))
"""


def test_unzipped_artifact_answers_a_function_url_event(
    artifact: Path, tmp_path: Path, dynamodb_endpoint: str, table_name: str
) -> None:
    with zipfile.ZipFile(artifact) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "task")
    assert not [n for n in names if n.startswith(("tests/", "uvicorn/", "pytest", "mypy"))]
    # Developer tooling is a distribution of its own: nothing of it, or of its libraries.
    tooling = ("singlet_tools/", "yaml/", "_yaml/", "rich/", "pygments/", "bench/", "infra/")
    assert not [n for n in names if n.startswith(tooling)]
    assert {"api/handler.py", "api/stream.py", "model/table.json", "cost/walk.py"} <= set(names)
    assert not [n for n in names if n.split("/")[1:2] == ["tests"]]  # libraries' test suites
    tag = sys.implementation.cache_tag
    sources = [n for n in names if n.endswith(".py")]
    assert [s for s in sources if pyc_of(s, tag) not in names] == []  # all compiled
    body = json.dumps({"query": "{ posts(first: 1) { edges { cursor } } }"}).encode()
    event = function_url_event(
        "POST", "/graphql", body, {"content-type": "application/json"}, {}, base64_body=True
    )
    env = {
        "PATH": os.environ["PATH"],
        "TABLE_NAME": table_name,
        "DYNAMODB_ENDPOINT_URL": dynamodb_endpoint,
        "AWS_REGION": "us-east-1",
        "JWT_SECRET": "artifact-test-secret-of-32-bytes!",
    }
    # -I: no user site or PYTHON* variables; -S: no site-packages. Only the artifact.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CHILD, str(tmp_path / "task"), json.dumps(event),
         "req-1"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    response = output["response"]
    assert output["outside"] == []
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {"data": {"posts": {"edges": []}}}
    assert response["headers"]["x-request-id"] == "req-1"
    # api/heap.py: the init heap is frozen at import, the client's once the first request has
    # made it, and nothing more by later requests.
    at_init, after_first, after_second = output["frozen"]
    assert at_init > 50_000
    assert after_first > at_init
    assert after_second == after_first
    # The collector was paused for init (no collection ran in it) and runs again after.
    assert output["collector"] == {"enabled": True, "collections": 0}


# Lambda's /var/task is read-only: a module without usable bytecode is compiled on every cold
# start. The spy counts each compilation from source; -B writes nothing, as on Lambda.
IMPORT_CHILD = """
import json, sys
from importlib.machinery import SourceFileLoader
sys.path[:] = [p for p in sys.path if "site-packages" not in p] + [sys.argv[1]]
compiled = []
source_to_code = SourceFileLoader.source_to_code
def spy(self, data, path, *args, **kwargs):
    compiled.append(path)
    return source_to_code(self, data, path, *args, **kwargs)
SourceFileLoader.source_to_code = spy
import api.handler
ours = [m.__name__ for m in list(sys.modules.values())
        if (getattr(m, "__file__", None) or "").startswith(sys.argv[1])]
loaded = [m for m in ("jwt", "cryptography", "strawberry.federation.schema_directives")
          if m in sys.modules]
print(json.dumps({"compiled": compiled, "imported": len(ours), "loaded": loaded}))
"""


def test_nothing_is_compiled_at_import_from_a_read_only_copy(
    artifact: Path, tmp_path: Path
) -> None:
    task = tmp_path / "task"
    with zipfile.ZipFile(artifact) as archive:
        archive.extractall(task)
    before = sorted(p for p in task.rglob("*"))
    for path in task.rglob("*"):
        path.chmod(path.stat().st_mode & ~0o222)
    env = {"PATH": os.environ["PATH"], "JWT_SECRET": "artifact-test-secret-of-32-bytes!"}
    result = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", IMPORT_CHILD, str(task)],
                            env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["imported"] > 300  # the handler's whole import graph came from the copy
    assert output["compiled"] == []
    # Imported when first needed, not at init: PyJWT and cryptography with the first token,
    # strawberry.federation's directives never (api/auth.py, resolvers/internals.py say why).
    assert output["loaded"] == []
    assert sorted(p for p in task.rglob("*")) == before  # nothing written


def test_the_build_refuses_to_ship_source_only(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "infra" / "package.py"), "--arch", "x86_64",
         "--python", "3.99", "--output", str(tmp_path / "never.zip")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "CPython 3.99 is needed to compile the artifact's bytecode: install it"
        " (e.g. `pyenv install 3.99`) or put python3.99 on PATH"
    )
    assert not (tmp_path / "never.zip").exists()
