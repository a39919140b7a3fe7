"""Copies the permit holds kept under their old keys to their plate's partition (an operator's
tool for the release that reads a plate's holds with one Query; running it again changes
nothing). docs/deploy.md, step 3, and docs/data-model.md, holds.

    python -m infra.migrate_permit_holds --since 2025-01-01 [--until 2026-12-05]

Runs with the operator's AWS credentials against whatever the SEM_* settings of the environment
name. Prints counts only: no plate, no payment id.
"""

from __future__ import annotations

import json

from chalicelib import wiring
from chalicelib.services.hold_migration import migrate
from infra.day_range import days_asked, municipality_codes


def main(argv: list[str] | None = None) -> None:
    since, until = days_asked(argv, __doc__)
    print(json.dumps(migrate(wiring.payments_repo(), municipality_codes(), since=since, until=until)))


if __name__ == "__main__":
    main()
