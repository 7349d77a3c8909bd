"""Cold start of the real Lambda artifact, measured in fresh processes (not a test).

    python -m bench.cold_start [--runs 10]

The artifact is built by infra/package.py exactly as `make package` builds it (CPython 3.13,
its bytecode compiled by 3.13), for this machine's CPU so that it can run here, unzipped into
a read-only directory and run by CPython 3.13 with -B: as on Lambda, where /var/task is
read-only, nothing the processes compile can be kept for the next one. No warm-up writes
anything (the first, uncounted round only fills the OS file cache).

Cases, each a new interpreter that sees only the unzipped artifact:
  bare         import strawberry, aiobotocore.session          (the libraries themselves)
  bare (collector paused)  the same with the cyclic collector disabled, as api.handler runs
               its init (libraries included): the like-for-like reference for `import`
  bare+call    bare, then a client and one Query               (what any first request needs)
  import       import api.handler                              (Lambda's init phase)
  invoke       import api.handler, then the first invocation   (init + the first request)
  invoke (signed in)  the same with a bearer token: the first token also imports PyJWT, which
               the init phase leaves to it (api/auth.py)
  second       the second invocation, in the invoke process    (a warm request)
  import (source only), invoke (source only): the same artifact with its bytecode removed, as
               it shipped before bytecode was compiled in.
Reported as medians, and as ratios taken pair by pair within each round (import against bare,
invoke against bare+call), so that drift of this noisy machine affects both sides alike.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from singlet_tools.local import start
from singlet_tools.tables import create_table

from api.auth import issue_token
from api.settings import Settings
from infra.package import interpreter
from store.client import LOCAL_CREDENTIALS, open_client

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "3.13"  # the runtime infra/template.yaml deploys
TABLE = "cold-start-bench"

EVENT: dict[str, Any] = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/graphql",
    "rawQueryString": "",
    "headers": {"content-type": "application/json", "host": "x.lambda-url.us-east-1.on.aws"},
    "requestContext": {
        "http": {"method": "POST", "path": "/graphql", "protocol": "HTTP/1.1",
                 "sourceIp": "127.0.0.1", "userAgent": "bench"},
        "requestId": "bench", "routeKey": "$default", "stage": "$default",
        "domainName": "x.lambda-url.us-east-1.on.aws", "timeEpoch": 0,
    },
    "body": json.dumps({"query": "{ posts(first: 5) { edges { node { title } } } }"}),
    "isBase64Encoded": False,
}  # fmt: skip

# Each prints its checkpoints: seconds since the process's code began.
BARE = "import strawberry, aiobotocore.session\nmark()\n"
# The handler pauses the cyclic collector for init (api/heap.py), libraries' imports included:
# the libraries alone, imported the same way, for a like-for-like ratio.
BARE_PAUSED = "import gc\ngc.disable()\n" + BARE
BARE_CALL = (
    BARE
    + f"""import asyncio
async def call():
    session = aiobotocore.session.get_session()
    async with session.create_client("dynamodb", region_name="us-east-1",
            endpoint_url=sys.argv[2], **{LOCAL_CREDENTIALS!r}) as client:
        await client.query(TableName="{TABLE}", KeyConditionExpression="PK = :p",
                           ExpressionAttributeValues={{":p": {{"S": "nothing"}}}})
asyncio.run(call())
mark()
"""
)
HANDLER = "import api.handler\nmark()\n"
INVOKE = (
    HANDLER
    + """import json
class Context: aws_request_id = "bench"
for _ in range(2):
    response = api.handler.handler(json.loads(sys.argv[3]), Context())
    assert response["statusCode"] == 200, response
    mark()
"""
)
CHILD = """import sys, time
started = time.perf_counter()
marks = []
def mark(): marks.append(time.perf_counter() - started)
sys.path[:] = [p for p in sys.path if "site-packages" not in p] + [sys.argv[1]]
{code}
print(" ".join(map(str, marks)))
"""
# (case, code, which copy of the artifact, signed in)
RUNS = [
    ("bare", BARE, "compiled", False),
    ("bare (collector paused)", BARE_PAUSED, "compiled", False),
    ("bare+call", BARE_CALL, "compiled", False),
    ("import", HANDLER, "compiled", False),
    ("invoke", INVOKE, "compiled", False),
    ("invoke (signed in)", INVOKE, "compiled", True),
    ("import (source only)", HANDLER, "source", False),
    ("invoke (source only)", INVOKE, "source", False),
]


def unpack(zipped: Path, into: Path, bytecode: bool) -> Path:
    """The artifact unzipped, made read-only; without its bytecode if asked."""
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(into)
    if not bytecode:
        for cache in list(into.rglob("__pycache__")):
            shutil.rmtree(cache)
    for path in [*into.rglob("*"), into]:
        path.chmod(path.stat().st_mode & ~0o222)
    return into


def run(
    python: str, code: str, task: Path, endpoint: str, env: dict[str, str], event: dict[str, Any]
) -> list[float]:
    """(whole process wall time, then each checkpoint inside it), in seconds."""
    began = time.perf_counter()
    result = subprocess.run(
        [python, "-I", "-S", "-B", "-c", CHILD.format(code=code), str(task), endpoint,
         json.dumps(event)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - began
    if result.returncode != 0:
        sys.exit(f"a cold-start run failed:\n{result.stderr}")
    return [wall, *map(float, result.stdout.split())]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "cold-start.md")
    args = parser.parse_args()
    python = interpreter(PYTHON)
    zipped = ROOT / "build" / "lambda-bench.zip"
    subprocess.run(
        [sys.executable, str(ROOT / "infra" / "package.py"), "--arch", "x86_64",
         "--python", PYTHON, "--output", str(zipped)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    local = start()
    scratch = Path(tempfile.mkdtemp(prefix="cold-start-"))
    try:
        copies = {
            "compiled": unpack(zipped, scratch / "compiled", bytecode=True),
            "source": unpack(zipped, scratch / "source", bytecode=False),
        }

        async def prepare() -> None:
            client = await open_client("us-east-1", local.endpoint_url)
            await create_table(client, TABLE)
            await client.close()

        asyncio.run(prepare())
        env = {
            "PATH": os.environ["PATH"],
            "TABLE_NAME": TABLE,
            "DYNAMODB_ENDPOINT_URL": local.endpoint_url,
            "AWS_REGION": "us-east-1",
            "JWT_SECRET": "cold-start-bench-secret-32-bytes!",
            "LOG_LEVEL": "WARNING",
        }
        token = issue_token(Settings.from_env(env), "cold-start-bench")
        signed_in = copy.deepcopy(EVENT)
        signed_in["headers"]["authorization"] = f"Bearer {token}"
        samples: dict[str, list[list[float]]] = {case: [] for case, *_ in RUNS}
        for round_ in range(args.runs + 1):  # round 0 fills the OS file cache: not counted
            for case, code, files, signed in RUNS:  # interleaved: drift affects all alike
                event = signed_in if signed else EVENT
                sample = run(python, code, copies[files], local.endpoint_url, env, event)
                if round_:
                    samples[case].append(sample)
    finally:
        local.stop()
        for path in [*scratch.rglob("*"), scratch]:
            path.chmod(path.stat().st_mode | 0o200)
        shutil.rmtree(scratch)
    report(samples, args.runs, python, args.output)


def report(samples: dict[str, list[list[float]]], runs: int, python: str, output: Path) -> None:
    def median(case: str, index: int) -> float:
        return statistics.median(s[index] for s in samples[case])

    def paired(case: str, base: str, index: int) -> float:
        return statistics.median(
            a[index] / b[index] for a, b in zip(samples[case], samples[base], strict=True)
        )

    version = subprocess.run([python, "-V"], capture_output=True, text=True).stdout.strip()
    rows = [
        ("bare: `import strawberry, aiobotocore.session`", "bare", 1, None),
        ("bare, the collector paused as the handler pauses it", "bare (collector paused)", 1,
         ("bare", 1)),
        ("bare + a client and one Query", "bare+call", 2, None),
        ("`import api.handler` (Lambda's init)", "import", 1, ("bare", 1)),
        ("`import api.handler`, against bare with the collector paused", "import", 1,
         ("bare (collector paused)", 1)),
        ("import + first invocation", "invoke", 2, ("bare+call", 2)),
        ("import + first invocation, signed in", "invoke (signed in)", 2, ("bare+call", 2)),
        ("`import api.handler`, source only (before)", "import (source only)", 1, ("bare", 1)),
        ("import + first invocation, source only (before)", "invoke (source only)", 2,
         ("bare+call", 2)),
    ]  # fmt: skip
    lines = [
        f"Cold start of the real artifact ({version}, bytecode compiled in, unzipped read-only,"
        f" run with -B), median of {runs} fresh processes each (`python -m bench.cold_start`)",
        "",
        "| case | inside the process | process wall time | paired ratio (inside) |",
        "| --- | --- | --- | --- |",
    ]
    for label, case, index, base in rows:
        ratio = f"{paired(case, base[0], index):.2f} to {base[0]}" if base else ""
        lines.append(
            f"| {label} | {median(case, index) * 1000:.0f} ms"
            f" | {median(case, 0) * 1000:.0f} ms | {ratio} |"
        )
    second = statistics.median(s[3] - s[2] for s in samples["invoke"])
    lines += ["", f"Second invocation (warm, same process): {second * 1000:.1f} ms median."]
    text = "\n".join(lines) + "\n"
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)


if __name__ == "__main__":
    main()
