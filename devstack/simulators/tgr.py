"""Local stand-in for the TGR payment portal (dev only).

Today it answers its health probe; the checkout page, orders, signed notifications and the
automation endpoint of API.md are built with the payments issue.

    python -m devstack.simulators.tgr --port 8101
"""

from __future__ import annotations

import argparse
import os

from devstack.simulators.base import JsonHandler, serve


class TgrHandler(JsonHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self.send_json(200, {"status": "ok", "service": "tgr-simulator"})
        else:
            self.send_json(404, {"error": "not found"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_TGR_PORT", "8101")))
    serve(TgrHandler, parser.parse_args().port, "TGR simulator")


if __name__ == "__main__":
    main()
