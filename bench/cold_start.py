"""Cold start of the Lambda handler, measured in fresh processes (not a test).

    python -m bench.cold_start [--runs 10]

Three cases, each a new interpreter that sees only the unzipped deployment artifact (as
Lambda does; built for this machine by infra/package.py):
  bare     import strawberry, aiobotocore.session     (the floor: the libraries themselves)
  import   import api.handler                          (what Lambda's init phase runs)
  invoke   import api.handler + the first invocation   (init plus the first request, which
                                                        creates the DynamoDB client)
Reported as medians and as ratios to `bare`. DynamoDB Local answers the invocation.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from singlet_tools.local import start
from singlet_tools.tables import create_table

from store.client import open_client

ROOT = Path(__file__).resolve().parent.parent

EVENT = {
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

CASES = {
    "bare": "import strawberry, aiobotocore.session",
    "import": "import api.handler",
    "invoke": (
        "import api.handler, json, sys\n"
        "class C: aws_request_id = 'bench'\n"
        "r = api.handler.handler(json.loads(sys.argv[2]), C())\n"
        "assert r['statusCode'] == 200, r"
    ),
}
CHILD = """import sys, time
started = time.perf_counter()
sys.path[:] = [p for p in sys.path if "site-packages" not in p] + [sys.argv[1]]
{code}
print(time.perf_counter() - started)
"""


def artifact_dir() -> Path:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    zipped = ROOT / "build" / "lambda-host.zip"
    subprocess.run(
        [sys.executable, str(ROOT / "infra" / "package.py"), "--arch", "x86_64",
         "--python", python, "--output", str(zipped)],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    target = ROOT / "build" / "lambda-host"
    if target.exists():
        subprocess.run(["rm", "-rf", str(target)], check=True)
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(target)
    return target


def run(case: str, task: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds for the whole process, seconds inside it from start to done)."""
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", CHILD.format(code=CASES[case]), str(task),
         json.dumps(EVENT)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - began
    if result.returncode != 0:
        sys.exit(f"{case} failed:\n{result.stderr}")
    return wall, float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "cold-start.md")
    args = parser.parse_args()
    task = artifact_dir()
    local = start()
    try:
        table = "cold-start-bench"

        async def prepare() -> None:
            client = await open_client("us-east-1", local.endpoint_url)
            await create_table(client, table)
            await client.close()

        asyncio.run(prepare())
        env = {
            "PATH": os.environ["PATH"],
            "TABLE_NAME": table,
            "DYNAMODB_ENDPOINT_URL": local.endpoint_url,
            "AWS_REGION": "us-east-1",
            "JWT_SECRET": "cold-start-bench-secret-32-bytes!",
            "LOG_LEVEL": "WARNING",
        }
        samples: dict[str, list[tuple[float, float]]] = {case: [] for case in CASES}
        run("invoke", task, env)  # warm the OS file cache once; not counted
        for _ in range(args.runs):  # interleaved, so drift affects every case alike
            for case in CASES:
                samples[case].append(run(case, task, env))
    finally:
        local.stop()
    report(samples, args.runs, args.output)


def report(samples: dict[str, list[tuple[float, float]]], runs: int, output: Path) -> None:
    wall = {c: statistics.median(w for w, _ in s) for c, s in samples.items()}
    inside = {c: statistics.median(i for _, i in s) for c, s in samples.items()}
    lines = [
        f"Cold start, median of {runs} fresh processes each (`python -m bench.cold_start`)",
        "",
        "| case | process wall time | inside the process | ratio to bare (wall) |",
        "| --- | --- | --- | --- |",
    ]
    for case in CASES:
        lines.append(
            f"| {case} | {wall[case] * 1000:.0f} ms | {inside[case] * 1000:.0f} ms"
            f" | {wall[case] / wall['bare']:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)


if __name__ == "__main__":
    main()
