"""Serves the static console locally (S3 hosts it in production), plus `/config.js` telling the
console where this stack's API is. Dev only.

    python -m devstack.console_server --port 8200
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Mapping
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"


def console_config(env: Mapping[str, str]) -> dict[str, str]:
    """What the console needs to know about its stage (console/README.md): the admin API, and the
    Cognito user pool and app client it signs officials in with. In production the same object is
    written to the console bucket's `config.js` when the console is published."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return {
        "apiUrl": env.get("SEM_PUBLIC_API_URL", "http://127.0.0.1:8000").rstrip("/"),
        "stage": env.get("SEM_STAGE", "local"),
        "region": region,
        # moto locally; the regional Cognito endpoint otherwise.
        "cognitoEndpoint": (env.get("SEM_COGNITO_ENDPOINT") or env.get("AWS_ENDPOINT_URL")
                            or f"https://cognito-idp.{region}.amazonaws.com").rstrip("/") + "/",
        "userPoolId": env.get("SEM_COGNITO_USER_POOL_ID", ""),
        "clientId": env.get("SEM_COGNITO_CLIENT_ID", ""),
    }


class ConsoleHandler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/config.js":
            body = f"window.SEM_CONFIG = {json.dumps(console_config(os.environ))};\n".encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/javascript")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_CONSOLE_PORT", "8200")))
    port = parser.parse_args().port
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(ConsoleHandler, directory=str(CONSOLE_DIR)))
    server.daemon_threads = True
    print(f"console on http://127.0.0.1:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
