"""The tests' own house rule: no test module imports another test module (a module named
test_*.py, or a conftest); what tests share lives in tests/support/."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path, root: Path) -> list[str]:
    """Every module `path` imports, at any depth (function-local imports too), as dotted names;
    relative imports are resolved against the file's package."""
    package = path.relative_to(root.parent).with_suffix("").parts[:-1]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[:len(package) - node.level + 1], *([base] if base else [])])
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]  # `from tests.x import test_y`
    return found


def _is_test_module(dotted: str) -> bool:
    last = dotted.rsplit(".", 1)[-1]
    return dotted.split(".", 1)[0] == "tests" and (last.startswith("test_") or last == "conftest")


def offenders(root: Path) -> list[str]:
    return sorted(f"{path.relative_to(root.parent)} imports {name}"
                  for path in root.rglob("*.py") for name in _imported_modules(path, root) if _is_test_module(name))


def test_no_test_module_imports_another_test_module():
    assert offenders(TESTS) == []


def test_the_scan_finds_each_way_of_importing_a_test_module(tmp_path):
    root = tmp_path / "tests"
    (root / "functional").mkdir(parents=True)
    (root / "functional" / "test_a.py").write_text("import tests.functional.test_b as b\n")
    (root / "functional" / "test_c.py").write_text("def f():\n    from tests.functional.test_b import world\n")
    (root / "functional" / "test_d.py").write_text("from tests.functional import test_b\n")
    (root / "functional" / "test_e.py").write_text("from .test_b import world\n")
    (root / "functional" / "test_f.py").write_text("from tests.e2e.conftest import start_stack\n")
    (root / "functional" / "test_ok.py").write_text("from tests.support.clocks import Clock\nimport pytest\n")
    found = offenders(root)
    assert [line.split(" imports ")[0] for line in found] == [
        "tests/functional/test_a.py", "tests/functional/test_c.py", "tests/functional/test_d.py",
        "tests/functional/test_e.py", "tests/functional/test_f.py"]
