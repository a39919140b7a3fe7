"""The "Mis pagos" page is published with the console and keeps its CSP: no inline script or
style, no eval; its session lives in sessionStorage, never in localStorage or a readable cookie."""

from __future__ import annotations

import re
from pathlib import Path

from infra import publish_console

PAGE = Path(__file__).resolve().parents[2] / "console" / "mis-pagos"


def test_the_page_needs_no_inline_script_or_style():
    html = (PAGE / "index.html").read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html)
    for path in PAGE.rglob("*.js"):
        text = path.read_text()
        assert not re.search(r"setAttribute\(\s*[\"'](style|on[a-z]+)[\"']|\beval\(|new Function\(", text), path
        assert "localStorage" not in text
        assert "document.cookie" not in text


def test_the_page_is_published_with_the_console():
    files = publish_console.console_files()
    assert {"mis-pagos/index.html", "mis-pagos/mis-pagos.js", "mis-pagos/mis-pagos.css"} <= set(files)
