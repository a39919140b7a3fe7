"""The keyed hash under which a citizen's payments are indexed nationally (docs/citizens.md):
HMAC-SHA256 of the compact RUN with the stage's index secret, so the index never holds a RUN in
clear and a leaked table alone does not link payments to people."""

from __future__ import annotations

import hashlib
import hmac


def run_digest(secret: str, run_compact: str) -> str:
    """64 hex digits for `12345678-5` under `secret`."""
    return hmac.new(secret.encode(), f"citizen-run|{run_compact.upper()}".encode(), hashlib.sha256).hexdigest()
