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


CHILD = """
import json, sys
sys.path[:] = [p for p in sys.path if "site-packages" not in p] + [sys.argv[1]]
from api.handler import handler
event, context_id = json.loads(sys.argv[2]), sys.argv[3]
class Context:
    aws_request_id = context_id
response = handler(event, Context())
outside = sorted({m.__file__ for m in list(sys.modules.values())
                  if getattr(m, "__file__", None) and "site-packages" in m.__file__})
print(json.dumps({"response": response, "outside": outside}))
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
    assert {"api/handler.py", "store/table.json", "resolvers/cost.py"} <= set(names)
    assert not [n for n in names if "__pycache__" in n]
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
