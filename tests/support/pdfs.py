"""Reading the PDFs the platform makes: what a reader sees on the pages (`page_text`) and whether
openssl accepts the signature's CMS (`openssl_verify`)."""

from __future__ import annotations

import base64
import contextlib
import re
import subprocess
import zlib
from typing import Any


def page_text(pdf: bytes) -> str:
    """The strings the PDF's content streams show (Flate-decoded), joined by newlines, without a
    PDF library — enough to find a legend."""
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


def openssl_verify(pdf: bytes, folder: Any) -> subprocess.CompletedProcess[str]:
    """`openssl cms -verify` on the signature's CMS over the bytes its /ByteRange names."""
    byte_range = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    assert byte_range is not None
    start1, length1, start2, length2 = map(int, byte_range.groups())
    (folder / "content.bin").write_bytes(pdf[start1:start1 + length1] + pdf[start2:start2 + length2])
    contents = pdf[start1 + length1:start2].strip(b"<>")
    (folder / "sig.der").write_bytes(der_prefix(bytes.fromhex(contents.decode())))
    return subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(folder / "sig.der"),
         "-content", str(folder / "content.bin"), "-CAfile", str(folder / "ca.pem"), "-purpose", "any",
         "-out", "/dev/null"],
        capture_output=True, text=True,
    )


def der_prefix(data: bytes) -> bytes:
    """The DER object at the start of `data` (the /Contents hex is zero-padded)."""
    if data[1] < 0x80:
        return data[:2 + data[1]]
    size = int.from_bytes(data[2:2 + (data[1] & 0x7F)], "big")
    return data[:2 + (data[1] & 0x7F) + size]
