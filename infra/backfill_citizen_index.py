"""Indexes the payments made before the national index of a citizen's payments existed (an
operator's tool, run once after deploying the release with "Mis pagos"; running it again changes
nothing). docs/citizens.md, "The national index of a citizen's payments".

    python -m infra.backfill_citizen_index --since 2025-01-01 [--until 2026-12-04]

Runs with the operator's AWS credentials against whatever the SEM_* settings of the environment
name (the index secret included). Prints counts only: no RUN, no payment id.
"""

from __future__ import annotations

import argparse
import json
from datetime import date

from chalicelib import wiring
from chalicelib.services.index_backfill import backfill
from chalicelib.settings import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--since", type=date.fromisoformat, required=True, help="first day (YYYY-MM-DD)")
    parser.add_argument("--until", type=date.fromisoformat, default=None, help="last day (default: today)")
    args = parser.parse_args(argv)
    until = args.until or wiring.today_in_chile()
    secret = get_settings().citizen_index_secret.get_secret_value()
    codes = [str(m["code"]) for m in wiring.municipalities().list_all()]
    print(json.dumps(backfill(wiring.citizen_repo(), codes, secret, since=args.since, until=until)))


if __name__ == "__main__":
    main()
