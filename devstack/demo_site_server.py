"""Serves the demo municipal web site (devstack/demo_site/): "the municipality's own site" that
integrates with SEM's public API the way docs/integration.md describes. Dev only.

`/config.js` tells the page where the API is and which municipal portals it may play:

    SEM_PUBLIC_API_URL=http://127.0.0.1:8000 \\
    SEM_DEMO_PORTALS='{"13101": {"name": "Santiago", "apiKey": "…"}}' \\
        python -m devstack.demo_site_server --port 8300

Each portal may also carry "color" ("#0b4f8a") for the page's header.

`/pagar.html?m=<code>` is the page that embeds SEM's payment widget, as a municipality's CMS
would: one `<script>` tag with the widget's URL (SEM_WIDGET_URL, served by the console server),
the municipality's code and its portal key.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

SITE_DIR: Final = Path(__file__).resolve().parent / "demo_site"
DEFAULT_PORT: Final = 8300
DEFAULT_API_URL: Final = "http://127.0.0.1:8000"
_CODE: Final = re.compile(r"^\d{5}$")
_COLOR: Final = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class DemoConfig:
    api_url: str
    portals: dict[str, dict[str, str]]
    widget_url: str | None = None

    def script(self) -> bytes:
        config = {"apiUrl": self.api_url, "portals": self.portals}
        return f"window.DEMO_CONFIG = {json.dumps(config, indent=2)};\n".encode()

    def api_origin(self) -> str:
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}"

    def widget_origin(self) -> str:
        parts = urlsplit(self.widget_url or "")
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""

    def widget_page(self, code: str | None) -> bytes:
        """pagar.html with the widget's tag for `code` (else the first portal) filled in."""
        template = (SITE_DIR / "pagar.html").read_text(encoding="utf-8")
        chosen = code if code in self.portals else next(iter(self.portals), None)
        if chosen is None or not self.widget_url:
            tag = '<p class="error">Sin municipio o sin widget configurado (SEM_DEMO_PORTALS, SEM_WIDGET_URL).</p>'
            name = "—"
        else:
            portal = self.portals[chosen]
            name = portal["name"]
            tag = (f'<script src="{html.escape(self.widget_url)}" data-municipio="{chosen}"\n'
                   f'          data-clave="{html.escape(portal["apiKey"])}" defer></script>')
        return template.replace("{{WIDGET_TAG}}", tag).replace("{{NAME}}", html.escape(name)).encode()


def load_config(environ: Mapping[str, str] | None = None) -> DemoConfig:
    """The site's configuration from SEM_PUBLIC_API_URL and SEM_DEMO_PORTALS; exits on bad values."""
    env = os.environ if environ is None else environ
    api_url = env.get("SEM_PUBLIC_API_URL", DEFAULT_API_URL).rstrip("/")
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SystemExit(f"SEM_PUBLIC_API_URL={api_url!r} is not an http(s) URL.")
    raw = env.get("SEM_DEMO_PORTALS")
    if raw is None:
        print("SEM_DEMO_PORTALS is not set: the demo site has no municipality to play.", file=sys.stderr)
        return DemoConfig(api_url, {}, env.get("SEM_WIDGET_URL"))
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise SystemExit('SEM_DEMO_PORTALS must be a JSON object: {"13101": {"name": "Santiago", "apiKey": "…"}}.')
    portals: dict[str, dict[str, str]] = {}
    for code, portal in value.items():
        if (not _CODE.match(code) or not isinstance(portal, dict)
                or not all(isinstance(portal.get(key), str) and portal[key] for key in ("name", "apiKey"))):
            raise SystemExit(f"SEM_DEMO_PORTALS[{code!r}] must be a 5-digit code with a name and an apiKey.")
        entry = {"name": portal["name"], "apiKey": portal["apiKey"]}
        if isinstance(portal.get("color"), str) and _COLOR.match(portal["color"]):
            entry["color"] = portal["color"]
        portals[code] = entry
    return DemoConfig(api_url, portals, env.get("SEM_WIDGET_URL"))


class DemoSiteHandler(SimpleHTTPRequestHandler):
    config: DemoConfig

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/config.js":
            self._send(200, self.config.script(), "application/javascript; charset=utf-8")
        elif path == "/pagar.html":
            code = parse_qs(urlsplit(self.path).query).get("m", [None])[0]
            self._send(200, self.config.widget_page(code), "text/html; charset=utf-8")
        elif path == "/" or path.endswith((".html", ".js", ".css", ".svg", ".ico")):
            super().do_GET()
        else:
            self.send_error(404)

    def guess_type(self, path: Any) -> str:
        kind = super().guess_type(path)
        return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else kind

    def end_headers(self) -> None:
        # Scripts and styles only from this site and SEM's platform (the widget); fetch only to
        # SEM's API. Navigations to TGR's checkout and to the receipt download are not restricted
        # by CSP. No 'unsafe-inline', no 'unsafe-eval': the widget needs neither.
        platform = self.config.widget_origin()
        self.send_header("Content-Security-Policy", f"default-src 'self'; script-src 'self' {platform}; "
                         f"style-src 'self' {platform}; img-src 'self' data:; "
                         f"connect-src 'self' {self.config.api_origin()}; base-uri 'none'; "
                         "form-action 'self'; frame-ancestors 'none'; object-src 'none'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def list_directory(self, path: Any) -> None:
        self.send_error(404)
        return None

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server(port: int, config: DemoConfig, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    handler = type("Handler", (DemoSiteHandler,), {"config": config})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(SITE_DIR)))
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    return thread


def main() -> None:
    parser = argparse.ArgumentParser(description="The demo municipal web site (dev only).")
    parser.add_argument("--port", type=int,
                        default=int(os.environ.get("SEM_DEMO_SITE_PORT", str(DEFAULT_PORT))))
    port = parser.parse_args().port
    config = load_config()
    server = make_server(port, config)
    print(f"demo municipal site on http://127.0.0.1:{port} (API {config.api_url};"
          f" portals {', '.join(config.portals) or 'none'})", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
