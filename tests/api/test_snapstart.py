"""SnapStart's runtime hooks in api/handler.py, run as Lambda's Python runtime runs them.

The runtime's `snapshot_restore_py` is not installed here: a stand-in records what the handler
registers, and a fresh interpreter imports the handler (its init), runs the before-snapshot
hooks, then "resumes" twice from the same state, as two containers would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

# Registration as the real library takes it: func, *args, **kwargs; usable as a decorator.
FAKE_RUNTIME = """
before, after = [], []

def register_before_snapshot(func, *args, **kwargs):
    before.append((func, args, kwargs))
    return func

def register_after_restore(func, *args, **kwargs):
    after.append((func, args, kwargs))
    return func
"""

DRIVER = """
import asyncio, json, random, sys

from api import handler

resources = handler.app.state.resources
loop = asyncio.get_event_loop()  # Mangum's, set up by the import
# A client made during init (none is today): it must not reach the snapshot. Making one
# connects to nothing.
first = loop.run_until_complete(resources.store())
try:
    import snapshot_restore_py as runtime
except ImportError:
    print(json.dumps(None))
    sys.exit()

for func, args, kwargs in reversed(runtime.before):  # Lambda runs them in reverse order
    func(*args, **kwargs)
snapshot = random.getstate()
draws = []
for _ in range(2):  # two containers resumed from the one snapshot
    random.setstate(snapshot)
    for func, args, kwargs in runtime.after:
        func(*args, **kwargs)
    draws.append(random.random())
second = loop.run_until_complete(resources.store())
print(json.dumps({
    "before": len(runtime.before), "after": len(runtime.after), "draws": draws,
    "clients_created": resources.clients_created, "new_client": second is not first,
}))
"""


def _run(tmp_path: Path, with_runtime: bool) -> Any:
    if with_runtime:
        (tmp_path / "snapshot_restore_py.py").write_text(FAKE_RUNTIME)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        "JWT_SECRET": "s" * 40,
        "TABLE_NAME": "singlet-snapstart",
        "AWS_DEFAULT_REGION": "us-east-1",
        "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:9",  # never called
        "LOG_LEVEL": "WARNING",
    }
    result = subprocess.run([sys.executable, "-c", DRIVER], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_hooks_drop_the_client_and_reseed_random(tmp_path: Path) -> None:
    outcome = _run(tmp_path, with_runtime=True)
    assert outcome["before"] == 1
    assert outcome["after"] == 1
    # The client made before the snapshot was closed: the first request after resuming
    # makes its own.
    assert outcome["new_client"]
    assert outcome["clients_created"] == 2
    # Two containers resumed from one snapshot draw different numbers.
    first, second = outcome["draws"]
    assert first != second


def test_the_handler_imports_without_the_runtime_module(tmp_path: Path) -> None:
    assert _run(tmp_path, with_runtime=False) is None
