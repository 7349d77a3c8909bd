"""Fetches GraphiQL's pinned packages (`make graphiql-assets`): `npm pack`, checksum-verified,
the files the page uses installed into api/static/vendor/ (never committed)."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from api.graphiql import ASSETS, VENDOR


def fetch(npm: str = "npm") -> None:
    """Downloads the pinned packages with `npm pack` and installs the files the page uses."""
    packages = {(a.package, a.version, a.tarball_sha256) for a in ASSETS}
    with tempfile.TemporaryDirectory() as tmp:
        for package, version, sha256 in sorted(packages):
            out = subprocess.run(
                [npm, "pack", "--silent", f"{package}@{version}"],
                cwd=tmp, check=True, capture_output=True, text=True,
            ).stdout.strip().splitlines()[-1]  # fmt: skip
            data = (Path(tmp) / out).read_bytes()
            if hashlib.sha256(data).hexdigest() != sha256:
                sys.exit(f"checksum mismatch for {package}@{version}: refusing to install")
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                for asset in (a for a in ASSETS if a.package == package):
                    member = tar.extractfile(f"package/{asset.path}")
                    assert member is not None
                    asset.file.parent.mkdir(parents=True, exist_ok=True)
                    asset.file.write_bytes(member.read())
    print(f"GraphiQL assets installed in {VENDOR}")


if __name__ == "__main__":
    fetch()
