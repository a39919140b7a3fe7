"""The payment widget ships with the console (same bucket and distribution, `widget/v1/`) and
keeps to what a host page's strict CSP allows."""

from __future__ import annotations

import re
from pathlib import Path

from infra import publish_console

WIDGET = Path(__file__).resolve().parents[2] / "console" / "widget" / "v1"


def test_the_widget_is_published_with_the_console():
    files = publish_console.console_files()
    for key in ("widget/v1/sem-pago.js", "widget/v1/sem-pago.css"):
        assert key in files
        assert publish_console.content_type(files[key]).startswith(("text/javascript", "text/css"))


def test_the_widget_needs_no_unsafe_inline_or_eval():
    script = (WIDGET / "sem-pago.js").read_text(encoding="utf-8")
    for banned in (r"\beval\(", r"new Function", r"innerHTML", r"outerHTML", r"insertAdjacentHTML",
                   r"document\.write", r"setAttribute\(\s*[\"']style", r"\.cssText", r"setTimeout\(\s*[\"']"):
        assert not re.search(banned, script), banned
    assert "attachShadow" in script  # its styles and the host page's stay apart
    css = (WIDGET / "sem-pago.css").read_text(encoding="utf-8")
    assert "@import" not in css
    assert not re.search(r"url\(\s*[\"']?(https?:)?//", css)  # nothing from elsewhere
