"""The layout's import rules: each package imports only the packages below it.

    api → changes → resolvers → cost → store → model

One exception, by design: cost's accounting (the billing rules, the largest items, the meter
and DynamoDB Local's pricing) sits under store, which meters every call it makes; the rest of
cost (prediction, rules, plans, limits, budgets) sits above it and reads the store's plans.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ORDER = ("model", "store", "cost", "resolvers", "changes", "api")  # bottom first
ACCOUNTING = {"cost.billing", "cost.bounds", "cost.meter", "cost.pricing"}


def _rank(module: str) -> float:
    if module in ACCOUNTING:
        return ORDER.index("store") - 0.5
    return ORDER.index(module.split(".")[0])


def _imports(path: Path, module: str) -> list[tuple[int, str]]:
    found = []
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            found += [(node.lineno, n if n in ACCOUNTING else target) for n in names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return [(line, m) for line, m in found if m.split(".")[0] in ORDER]


def _modules() -> list[tuple[Path, str]]:
    modules = []
    for package in ORDER:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules.append((path, ".".join(p for p in parts if p != "__init__")))
    return modules


@pytest.mark.parametrize(("path", "module"), _modules(), ids=[m for _, m in _modules()])
def test_no_module_imports_a_package_above_its_own(path: Path, module: str) -> None:
    upward = [f"line {line}: {target}" for line, target in _imports(path, module)
              if _rank(target) > _rank(module)]  # fmt: skip
    assert upward == [], f"{module} imports above its layer ({' > '.join(reversed(ORDER))})"


def test_no_module_is_longer_than_400_lines() -> None:
    long = {str(p.relative_to(ROOT)): n for p, _ in _modules()
            if (n := len(p.read_text().splitlines())) > 400}  # fmt: skip
    assert long == {}
