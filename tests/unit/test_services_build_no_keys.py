"""Only adapters build DynamoDB keys, index keys and expressions: a scan of every module under
chalicelib/services for the signs of it (importing the key builders, naming an index attribute,
writing condition or update expression syntax). A module listed in `NOT_YET_MOVED` would carry
that debt openly; the list may only shrink (it is empty)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "chalicelib" / "services"

NOT_YET_MOVED: frozenset[str] = frozenset()
"""Services whose own records still have their keys built in the service (none left)."""

INDEX_ATTRIBUTE = re.compile(r"\bgsi\d(pk|sk)\b")
EXPRESSION = re.compile(
    r"attribute_(not_)?exists\s*\(|begins_with\s*\(|^\s*(SET|ADD|REMOVE)\s+[#\w]|[#:]\w+\s*=\s*:\w+")
KEY_IMPORTS = ("chalicelib.adapters.table_keys",)


def violations(path: Path) -> list[str]:
    """What in one module builds keys or expressions, as `line: what` strings."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        from_keys = isinstance(node, ast.ImportFrom) and node.module == "chalicelib.adapters" \
            and any(alias.name == "table_keys" for alias in node.names)
        if from_keys or (isinstance(node, ast.Import) and any(a.name in KEY_IMPORTS for a in node.names)):
            found.append(f"{node.lineno}: imports the key builders")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if INDEX_ATTRIBUTE.search(node.value):
                found.append(f"{node.lineno}: names an index attribute {node.value!r}")
            elif EXPRESSION.search(node.value):
                found.append(f"{node.lineno}: writes an expression {node.value!r}")
    return found


def test_no_service_builds_keys_or_expressions() -> None:
    offenders = {path.name: violations(path) for path in sorted(SERVICES.rglob("*.py"))
                 if path.name not in NOT_YET_MOVED}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_debt_list_only_names_modules_that_still_need_it() -> None:
    for name in NOT_YET_MOVED:
        assert (SERVICES / name).exists(), f"{name} is gone: drop it from NOT_YET_MOVED"
        assert violations(SERVICES / name), f"{name} builds no keys any more: drop it from NOT_YET_MOVED"


def test_the_scan_sees_what_it_looks_for(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text('from chalicelib.adapters import table_keys\nX = {"gsi1pk": 1}\n'
                      'Y = "SET #s = :paid"\nZ = "attribute_not_exists(pk)"\nW = "status"\n')
    assert sorted(v.split(":")[0] for v in violations(module)) == ["1", "2", "3", "4"]
