"""The local AWS stand-in: moto server, plus the stand-in for SES's event publishing.

    python -m devstack.moto_server -H 127.0.0.1 -p 5000

Runs `moto.server` with the same arguments, after starting `devstack.ses_events` in this process
(it reads moto's in-process SES backend). Dev only.
"""

from __future__ import annotations

import sys


def main() -> None:
    from moto import server

    from devstack.ses_events import start_in_moto_process

    start_in_moto_process()
    server.main(sys.argv[1:])


if __name__ == "__main__":
    main()
