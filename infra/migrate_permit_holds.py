"""Copies the permit holds kept under their old keys to their plate's partition (an operator's
tool for the release that reads a plate's holds with one Query; running it again changes
nothing). docs/deploy.md, step 3, and docs/data-model.md, holds.

    python -m infra.migrate_permit_holds --since 2025-01-01 [--until 2026-12-05]

Runs with the operator's AWS credentials against whatever the SEM_* settings of the environment
name. Prints counts only: no plate, no payment id.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from chalicelib import wiring
from chalicelib.services.hold_migration import migrate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument("--until", type=date.fromisoformat, default=None, help="last day (default: today)")
    args = parser.parse_args(argv)
    until = args.until or wiring.today_in_chile()
    codes = [str(m["code"]) for m in wiring.municipalities().list_all()]
    print(json.dumps(migrate(wiring.payments_repo(), codes, since=args.since, until=until)))


if __name__ == "__main__":
    main()
