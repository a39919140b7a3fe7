"""Serves the API locally exactly as `chalice local --stage local --no-autoreload` does, with two
differences a local stack needs: the runner's environment (ports, resource names) is laid over
the stage's environment from .chalice/config.json instead of under it, and unknown routes answer
404 in the error envelope, as the gateway responses in infra/resources.yaml make API Gateway do.

    python -m devstack.api_server --port 8000
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from chalice import local
from chalice.cli.factory import CLIFactory

PROJECT_DIR = Path(__file__).resolve().parent.parent
OVERRIDE_PREFIXES = ("SEM_", "AWS_", "POWERTOOLS_")
_QUERY = re.compile(r"\?[^\s\"']*")


def _missing_route(headers: dict[str, Any]) -> local.LocalGatewayException:
    body = {"error": {"code": "not_found", "message": "La ruta no existe.", "field": None,
                      "request_id": str(uuid.uuid4())}}
    exc = local.LocalGatewayException(
        {"Content-Type": "application/json", "X-Request-Id": body["error"]["request_id"]},
        json.dumps(body).encode())
    exc.CODE = 404
    return exc


# One request at a time, as one Lambda instance serves them: the Chalice app keeps the current
# request on itself, which concurrent threads would otherwise overwrite.
_one_at_a_time = threading.Lock()


class EnvelopeGateway(local.LocalGateway):
    """chalice's local gateway, answering unknown routes with the envelope."""

    def handle_request(self, method: str, path: str, headers: dict[str, Any], body: bytes | None) -> Any:
        with _one_at_a_time:
            try:
                return super().handle_request(method, path, headers, body)
            except local.ForbiddenError as exc:
                if b"Missing Authentication Token" in (exc.body or b""):
                    raise _missing_route(headers) from None
                raise


class EnvelopeRequestHandler(local.ChaliceRequestHandler):
    """The request handler of chalice local, with the gateway above."""

    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        self.local_gateway = EnvelopeGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def log_message(self, format: str, *args: Any) -> None:
        """http.server's access and error lines, without query strings: they carry RUTs and plates."""
        line = _QUERY.sub("?…", format % args)
        sys.stderr.write(f"{self.address_string()} - - [{self.log_date_time_string()}] {line}\n")

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What http.server answers by itself — a method no route has (501 there: TRACE, CONNECT,
        QUERY…), a malformed request line or header (400), a URI or headers too long (414, 431)
        — in the envelope instead of its HTML page; a method is 405, as API Gateway refuses it."""
        from chalicelib.api.middleware import SECURITY_HEADERS

        status, error = (405, "method_not_allowed") if code == 501 else (code, "bad_request")
        text = "Método HTTP no permitido en esta ruta." if status == 405 else "Solicitud no válida."
        request_id = str(uuid.uuid4())
        body = json.dumps({"error": {"code": error, "message": text, "field": None,
                                     "request_id": request_id}}).encode()
        self.send_response(status)
        for name, value in {**SECURITY_HEADERS, "Content-Type": "application/json", "X-Request-Id": request_id,
                            "Content-Length": str(len(body)), "Connection": "close"}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and status >= 200:
            self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_API_PORT", "8000")))
    parser.add_argument("--stage", default="local")
    args = parser.parse_args()

    factory = CLIFactory(project_dir=str(PROJECT_DIR))
    config = factory.create_config_obj(chalice_stage_name=args.stage)
    overrides = {k: v for k, v in os.environ.items() if k.startswith(OVERRIDE_PREFIXES)}
    environment = {**config.environment_variables, **overrides}
    app = factory.load_chalice_app(environment_variables=environment)
    server = local.LocalDevServer(app, config, "127.0.0.1", args.port, handler_cls=EnvelopeRequestHandler)
    server.serve_forever()


if __name__ == "__main__":
    main()
