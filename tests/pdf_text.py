"""What a reader sees on a PDF's pages, without a PDF library: the strings its content streams
show (Flate-decoded), joined by newlines — enough to find a legend."""

from __future__ import annotations

import base64
import contextlib
import re
import zlib


def page_text(pdf: bytes) -> str:
    shown: list[str] = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = match.group(1)
        if data.rstrip().endswith(b"~>"):  # ASCII85 before Flate (reportlab's default)
            with contextlib.suppress(ValueError):
                data = base64.a85decode(data.rstrip(), adobe=True)
        with contextlib.suppress(zlib.error):  # not every stream is compressed
            data = zlib.decompressobj().decompress(data)
        shown += [_unescape(s) for s in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", data)]
    return "\n".join(shown)


def _unescape(literal: bytes) -> str:
    """A PDF literal string's text (octal and backslash escapes; WinAnsi ≈ cp1252)."""
    raw = re.sub(rb"\\([0-7]{1,3}|.)",
                 lambda m: bytes([int(m.group(1), 8)]) if m.group(1).isdigit() else m.group(1), literal)
    return raw.decode("cp1252")
