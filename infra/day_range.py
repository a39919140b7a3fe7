"""What the operator's day-by-day tools (`infra/backfill_citizen_index.py`,
`infra/migrate_permit_holds.py`) share: the days asked for and the municipalities to walk."""

from __future__ import annotations

import argparse
from datetime import date

from chalicelib import wiring


def days_asked(argv: list[str] | None, doc: str | None) -> tuple[date, date]:
    """`--since` (required) and `--until` (default: today in Chile) from the command line."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument("--until", type=date.fromisoformat, default=None, help="last day (default: today)")
    args = parser.parse_args(argv)
    return args.since, args.until or wiring.today_in_chile()


def municipality_codes() -> list[str]:
    """Every municipality on the platform's list."""
    return [str(m["code"]) for m in wiring.municipalities().list_all()]
