"""The local stack's ports: every one settable by environment variable, all on 127.0.0.1."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

HOST = "127.0.0.1"

DEFAULTS = {
    "moto": ("SEM_MOTO_PORT", 5000),
    "api": ("SEM_API_PORT", 8000),
    "tgr": ("SEM_TGR_PORT", 8101),
    "soap": ("SEM_SOAP_PORT", 8102),
    "cmf": ("SEM_CMF_PORT", 8104),
    "console": ("SEM_CONSOLE_PORT", 8200),
    "demo_site": ("SEM_DEMO_SITE_PORT", 8300),
    "claveunica": ("SEM_CLAVEUNICA_PORT", 8103),
    "firmagob": ("SEM_FIRMAGOB_PORT", 8105),
}


@dataclass(frozen=True)
class Ports:
    moto: int
    api: int
    tgr: int
    soap: int
    cmf: int
    console: int
    demo_site: int
    claveunica: int
    firmagob: int

    @classmethod
    def from_env(cls) -> Ports:
        values = {}
        for name, (var, default) in DEFAULTS.items():
            raw = os.environ.get(var, str(default))
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise SystemExit(f"{var}={raw!r} is not a port number (1-65535).")
            values[name] = int(raw)
        return cls(**values)

    def url(self, name: str) -> str:
        return f"http://{HOST}:{getattr(self, name)}"

    def taken(self) -> list[tuple[str, int]]:
        """The ports some other process already holds."""
        busy = []
        for name in DEFAULTS:
            port = getattr(self, name)
            if not is_free(port):
                busy.append((name, port))
        return busy


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port nobody holds right now (for tests that start their own stack)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
