"""Builds the Lambda deployment artifact: our packages and their runtime dependencies.

    python infra/package.py                       # arm64, CPython 3.13: what the template deploys
    python infra/package.py --arch x86_64 --python 3.11 --output build/lambda-host.zip

Wheels are chosen for the target (manylinux, the given CPython), never built here, so the
artifact matches Lambda whatever machine builds it. It holds the runtime distribution (api,
changes, resolvers, cost, store, model) and its dependencies: developer tooling is another
distribution (tools/), so the CLI, uvicorn, PyYAML and rich (and reading a stream from a
terminal, singlet_tools/stream.py) are never in it. Left out besides: botocore's models of
every service but DynamoDB.

Every module ships compiled, by an interpreter of the target version (a .pyc's magic number is
per minor version): Lambda's /var/task is read-only, so whatever ships as source alone is
compiled again on every cold start (measured by bench/cold_start.py: `import api.handler`
1,373 ms without bytecode, 499 ms with). Compiled with unchecked hashes, so the zip's
timestamps do not matter and Python never reads a source file to check it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ELF e_machine values: what the native libraries must be built for.
MACHINES = {"arm64": 183, "x86_64": 62}
PLATFORMS = {
    "arm64": ["manylinux_2_28_aarch64", "manylinux2014_aarch64"],
    "x86_64": ["manylinux_2_28_x86_64", "manylinux2014_x86_64"],
}
# botocore's data: keep DynamoDB's model and what every client loads.
BOTOCORE_KEEP = {"dynamodb", "endpoints.json", "partitions.json", "sdk-default-configuration.json",
                 "_retry.json"}  # fmt: skip
TASK_ROOT = "/var/task"  # where Lambda unzips the artifact: the paths tracebacks show
ZIP_LIMIT = 50 * 1024 * 1024
UNZIPPED_LIMIT = 250 * 1024 * 1024


def build(arch: str, python: str, output: Path) -> Path:
    if not (ROOT / "api" / "static" / "vendor").is_dir():
        sys.exit("GraphiQL assets are missing: run `make graphiql-assets` first")
    compiler = interpreter(python)  # before any download: fail fast
    with tempfile.TemporaryDirectory() as tmp:
        wheels, target = Path(tmp) / "wheels", Path(tmp) / "package"
        _pip("wheel", "--no-deps", "--wheel-dir", str(wheels), str(ROOT))
        platforms = [arg for p in PLATFORMS[arch] for arg in ("--platform", p)]
        _pip(
            "install", "--target", str(target), "--only-binary=:all:", "--no-compile",
            "--implementation", "cp", "--python-version", python, *platforms,
            str(next(wheels.glob("singlet-*.whl"))),
        )  # fmt: skip
        _prune(target)
        check_native_libraries(target, arch, python)
        compile_bytecode(target, compiler)
        output.parent.mkdir(parents=True, exist_ok=True)
        _zip(target, output)
        _report(target, output)
    return output


def _pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
        check=True,
    )


def _prune(target: Path) -> None:
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache)
    data = target / "botocore" / "data"
    for entry in data.iterdir():
        if entry.name not in BOTOCORE_KEEP:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts: no use on Lambda
    for tests in target.glob("*/tests"):  # libraries' own test suites (aioitertools ships one)
        shutil.rmtree(tests)


def interpreter(python: str) -> str:
    """A CPython `python` (e.g. 3.13) to compile with: this one, python3.13 on PATH, or
    pyenv's. Never silently none: the artifact would ship source and compile at each start."""
    candidates = [sys.executable, shutil.which(f"python{python}")]
    if shutil.which("pyenv"):
        versions = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True,
                                  text=True, check=False).stdout.split()  # fmt: skip
        for version in sorted((v for v in versions if v.startswith(f"{python}.")), reverse=True):
            prefix = subprocess.run(["pyenv", "prefix", version], capture_output=True,
                                    text=True, check=False).stdout.strip()  # fmt: skip
            candidates.append(os.path.join(prefix, "bin", f"python{python}"))
    for candidate in candidates:
        if candidate and _version_of(candidate) == python:
            return candidate
    sys.exit(
        f"CPython {python} is needed to compile the artifact's bytecode: install it"
        f" (e.g. `pyenv install {python}`) or put python{python} on PATH"
    )


def _version_of(executable: str) -> str | None:
    try:
        result = subprocess.run(
            # CPython's: another implementation's bytecode is not what Lambda's runtime reads.
            [executable, "-c", "import sys; print(sys.implementation.name == 'cpython' and"
             " '%d.%d' % sys.version_info[:2])"],
            capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def compile_bytecode(target: Path, python: str) -> None:
    """Every module compiled (-j0: on every core), recorded under /var/task."""
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash",
         "-s", str(target), "-p", TASK_ROOT, str(target)],
        check=True,
    )  # fmt: skip
    tag = subprocess.run([python, "-c", "import sys; print(sys.implementation.cache_tag)"],
                         capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    missing = [str(p.relative_to(target)) for p in target.rglob("*.py") if not cached(p, tag)]
    if missing:
        sys.exit(f"modules without bytecode: {missing[:10]} ({len(missing)} in all)")


def cached(source: Path, tag: str) -> Path | None:
    """The bytecode file that `source` was compiled to, if it exists."""
    pyc = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
    return pyc if pyc.is_file() else None


def check_native_libraries(target: Path, arch: str, python: str) -> None:
    """Every extension module must be for the target CPU and CPython (or the stable ABI)."""
    tag = "cpython-" + python.replace(".", "")
    wrong = []
    for library in target.rglob("*.so*"):
        with library.open("rb") as f:
            header = f.read(20)
        machine = int.from_bytes(header[18:20], "little")
        name_ok = ".cpython-" not in library.name or tag in library.name
        if header[:4] != b"\x7fELF" or machine != MACHINES[arch] or not name_ok:
            wrong.append(str(library.relative_to(target)))
    if wrong:
        sys.exit(f"native libraries not built for {arch} CPython {python}: {wrong}")


def _zip(target: Path, output: Path) -> None:
    output.unlink(missing_ok=True)
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in target.rglob("*") if p.is_file()):
            archive.write(path, path.relative_to(target))


def _report(target: Path, output: Path) -> None:
    sizes: Counter[str] = Counter()
    for path in target.rglob("*"):
        if path.is_file():
            top = path.relative_to(target).parts[0].split("-")[0].removesuffix(".dist")
            sizes[top] += path.stat().st_size
    unzipped, zipped = sum(sizes.values()), output.stat().st_size
    shown = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    print(
        f"{shown}: {zipped / 2**20:.1f} MiB zipped ({zipped / ZIP_LIMIT:.0%} of Lambda's 50 MB),"
        f" {unzipped / 2**20:.1f} MiB unzipped ({unzipped / UNZIPPED_LIMIT:.0%} of 250 MB)"
    )
    print("largest parts (unzipped):")
    for name, size in sizes.most_common(8):
        print(f"  {size / 2**20:6.1f} MiB  {name}")
    if zipped > ZIP_LIMIT or unzipped > UNZIPPED_LIMIT:
        sys.exit("the artifact is over Lambda's limits")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arch", choices=sorted(MACHINES), default="arm64")
    parser.add_argument("--python", default="3.13", help="CPython version of the runtime")
    parser.add_argument("--output", type=Path, default=ROOT / "build" / "lambda-arm64.zip")
    args = parser.parse_args()
    build(args.arch, args.python, args.output.resolve())


if __name__ == "__main__":
    main()
