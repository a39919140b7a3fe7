"""CSV cells that a spreadsheet will not run: every CSV the platform exports goes through here.

A cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula (CSV injection: `=HYPERLINK(…)`, `=cmd|…`). Such text cells get a
leading apostrophe, which spreadsheets show as text. Plain numbers (`-3`, `+12,5%`) are left as
they are: they cannot be formulas, and reports show signed changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)*%?$")


def safe_cell(value: Any) -> Any:
    """`value`, with a leading `'` when it is text a spreadsheet would take for a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of a CSV row through `safe_cell`."""
    return [safe_cell(cell) for cell in row]
