"""Every guarantee in docs/security.md, docs/reliability.md, docs/roles.md and docs/data-export.md
names the test that proves it: each such reference must point at a test that exists, so a renamed
or deleted test cannot leave a guarantee pointing at nothing."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["docs/security.md", "docs/reliability.md", "docs/roles.md", "docs/data-export.md"]
REFERENCE = re.compile(r"(tests/[\w/]+\.py)(?:::(\w+)(?:::(\w+))?)?")


@cache
def _names(path: str) -> frozenset[str]:
    """The tests (functions `test_…`, classes `Test…`) defined in a test file."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return frozenset(node.name for node in ast.walk(tree)
                     if (isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"))
                     or (isinstance(node, ast.ClassDef) and node.name.startswith("Test")))


def _references(doc: str) -> list[tuple[str, str | None, str | None]]:
    return REFERENCE.findall((ROOT / doc).read_text(encoding="utf-8"))


@pytest.mark.parametrize("doc", DOCS)
def test_every_test_a_guarantee_names_exists(doc: str) -> None:
    missing = []
    for path, name, inner in _references(doc):
        if not (ROOT / path).is_file():
            missing.append(path)
        elif name and name not in _names(path):
            missing.append(f"{path}::{name}")
        elif inner and inner not in _names(path):
            missing.append(f"{path}::{name}::{inner}")
    assert missing == [], f"{doc} names tests that do not exist"


@pytest.mark.parametrize("doc", ["docs/security.md", "docs/reliability.md"])
def test_the_guarantee_documents_point_at_tests(doc: str) -> None:
    named = {(path, name) for path, name, _ in _references(doc) if name}
    assert len(named) >= 10, f"{doc} should tie each guarantee to its test"
