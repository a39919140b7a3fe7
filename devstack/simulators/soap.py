"""Local stand-in for the SOAP services: insurers (AACH), transport ministry, Registro Civil.

Today it answers its health probe; the WSDLs and fixture plates are built with the
prerequisites issue.

    python -m devstack.simulators.soap --port 8102
"""

from __future__ import annotations

import argparse
import os

from devstack.simulators.base import JsonHandler, serve


class SoapHandler(JsonHandler):
    def do_GET(self) -> None:
        if self.path == "/health":
            self.send_json(200, {"status": "ok", "service": "soap-simulator"})
        else:
            self.send_json(404, {"error": "not found"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_SOAP_PORT", "8102")))
    serve(SoapHandler, parser.parse_args().port, "SOAP simulator")


if __name__ == "__main__":
    main()
