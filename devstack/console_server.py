"""Serves the static console locally (CloudFront in front of a private bucket in production), plus
`/config.js` telling the console where this stack's API is, with the same security headers and
CSP as production (infra/console_headers.py), `connect-src` naming the local API, Cognito (moto)
and S3 (moto, for presigned uploads and downloads). Dev only.

    python -m devstack.console_server --port 8200
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Mapping
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from infra import console_headers, publish_console

CONSOLE_DIR = Path(__file__).resolve().parent.parent / "console"


def console_config(env: Mapping[str, str]) -> dict[str, str]:
    """What the console needs to know about its stage (console/README.md), from the runner's
    environment: the admin API, and the Cognito user pool and app client it signs officials in
    with (moto's endpoint locally). `infra.publish_console` writes the same object for a deployed
    stage."""
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1"
    return publish_console.console_config(
        api_url=env.get("SEM_PUBLIC_API_URL", "http://127.0.0.1:8000"), stage=env.get("SEM_STAGE", "local"),
        region=region, user_pool_id=env.get("SEM_COGNITO_USER_POOL_ID", ""),
        client_id=env.get("SEM_COGNITO_CLIENT_ID", ""),
        cognito_endpoint=env.get("SEM_COGNITO_ENDPOINT") or env.get("AWS_ENDPOINT_URL"))


def local_headers(env: Mapping[str, str]) -> dict[str, str]:
    """The security headers with this stack's origins in `connect-src`."""
    config = console_config(env)
    origins = [config["apiUrl"], config["cognitoEndpoint"]]
    if env.get("AWS_ENDPOINT_URL"):
        origins.append(env["AWS_ENDPOINT_URL"])  # moto's S3: presigned PUTs and GETs
    return console_headers.security_headers(console_headers.origin(url) for url in origins)


class ConsoleHandler(SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        """The Content-Types the bucket gets (infra/publish_console.py), so both serve alike."""
        return publish_console.CONTENT_TYPES.get(Path(path).suffix.lower()) or super().guess_type(path)

    def end_headers(self) -> None:
        for name, value in local_headers(os.environ).items():
            self.send_header(name, value)
        if self.path.split("?")[0] != "/config.js":
            self.send_header("Cache-Control", publish_console.STATIC_CACHE)
        super().end_headers()

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/config.js":
            body = publish_console.render_config_js(console_config(os.environ))
            self.send_response(200)
            self.send_header("Content-Type", publish_console.CONTENT_TYPES[".js"])
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", publish_console.CONFIG_CACHE)
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server(port: int, directory: Path = CONSOLE_DIR) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(ConsoleHandler, directory=str(directory)))
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_CONSOLE_PORT", "8200")))
    server = make_server(parser.parse_args().port)
    print(f"console on http://127.0.0.1:{server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
