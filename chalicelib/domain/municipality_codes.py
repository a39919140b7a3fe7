"""Municipality codes (CUT, 5 digits): the tenant every key, object path and KMS alias starts with,
and the pseudo-code of what belongs to the platform as a whole."""

from __future__ import annotations

import re

PLATFORM = "00000"
_CUT = re.compile(r"^[0-9]{5}$")


def tenant(code: str) -> str:
    """The validated municipality code a key starts with (guards against key injection)."""
    if not _CUT.match(code):
        raise ValueError(f"not a 5-digit municipality code: {code!r}")
    return code
