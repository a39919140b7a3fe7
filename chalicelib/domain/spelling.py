"""Identifiers typed by people (RUTs, plates) folded to plain ASCII before they are parsed.

Compatibility forms become their plain letters and digits (NFKC: full-width `１２` → `12`,
no-break spaces → spaces), invisible format characters (zero-width space and joiners, BOM,
soft hyphen) are dropped, and every Unicode dash (`‐ – — −`) becomes `-`. Anything still not
ASCII afterwards (other scripts' digits, combining accents) is left for the parser to refuse:
an identifier is stored only in its canonical ASCII form.
"""

from __future__ import annotations

import unicodedata

_MINUS_SIGNS = {"\u2212", "\ufe63", "\uff0d"}


def fold(text: str) -> str:
    """`text` in NFKC, without format characters, with dashes as `-`."""
    out = []
    for char in unicodedata.normalize("NFKC", text):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        out.append("-" if category == "Pd" or char in _MINUS_SIGNS else char)
    return "".join(out)
