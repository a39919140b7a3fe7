"""Indexes the payments made before the national index of a citizen's payments existed (an
operator's tool, run once after deploying the release with "Mis pagos"; running it again changes
nothing). docs/citizens.md, "The national index of a citizen's payments".

    python -m infra.backfill_citizen_index --since 2025-01-01 [--until 2026-12-04]

Runs with the operator's AWS credentials against whatever the SEM_* settings of the environment
name (the index secret included). Prints counts only: no RUN, no payment id.
"""

from __future__ import annotations

import json

from chalicelib import wiring
from chalicelib.services.index_backfill import backfill
from chalicelib.settings import get_settings
from infra.day_range import days_asked, municipality_codes


def main(argv: list[str] | None = None) -> None:
    since, until = days_asked(argv, __doc__)
    secret = get_settings().citizen_index_secret.get_secret_value()
    print(json.dumps(backfill(wiring.citizen_repo(), municipality_codes(), secret, since=since, until=until)))


if __name__ == "__main__":
    main()
