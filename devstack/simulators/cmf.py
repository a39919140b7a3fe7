"""Local stand-in for the CMF's public API (API CMF Bancos v3): UTM, IPC and interest rates (TIP)
(dev only, loopback only).

    GET /api-sbifv3/recursos_api/utm/{yyyy}/{mm}?apikey=KEY&formato=json
        → {"UTMs": [{"Valor": "67.429", "Fecha": "2025-01-01"}]}
    GET /api-sbifv3/recursos_api/ipc/{yyyy}/{mm}?apikey=KEY&formato=json
        → {"IPCs": [{"Valor": "1,1", "Fecha": "2025-01-01"}]}
    GET /api-sbifv3/recursos_api/tip/{yyyy}/{mm}?apikey=KEY&formato=json
        → {"TIPs": [{"Titulo", "SubTitulo", "Valor": "4,42", "Fecha": "2025-12-15", "Hasta": "",
                     "Tipo": "24"}, {… another type …}]}
    GET /health                              200 while the process runs
    POST /simulator/values {"indicator": "utm"|"ipc"|"tip", "month": "2026-03", "value": "0,3"}
                                             publish a month (tests: "the CMF now has March")

Values start as the seed's PUBLISHED months (never its projections), in the CMF's notation; the
type-24 rate of June and December is the seed's next semestral rate minus art. 53's 3,5 points
(e.g. 4,42 in December 2025 for the 7,92% of the first semester of 2026), in force from the 15th. A
wrong API key answers 401 and a month without a value 404, each with the CMF's error body
``{"CodigoHTTP", "CodigoError", "Mensaje"}``.

    python -m devstack.simulators.cmf --port 8104

In-process (tests): ``with CmfSimulator(api_key="k", port=0) as sim: sim.url …``
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import threading
from decimal import Decimal
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from chalicelib.domain import reference_data
from chalicelib.domain.units import YearMonth
from devstack.simulators.base import BackgroundServer, JsonHandler

_PATH = re.compile(r"^/api-sbifv3/recursos_api/(utm|ipc|tip)/(\d{4})/(\d{2})/?$")
_LIST_KEY = {"utm": "UTMs", "ipc": "IPCs", "tip": "TIPs"}
_TIP_TITLE = "Operaciones reajustables en moneda nacional"
_TIP_SUBTITLE = "De un año o más. Inferiores o iguales al equivalente de 2000 unidades de fomento"
ART53_SPREAD = Decimal("3.5")


def cmf_notation(value: Decimal | int) -> str:
    """67429 → ``"67.429"``; Decimal("1.1") → ``"1,1"`` (how the CMF writes numbers)."""
    if isinstance(value, int) or value == value.to_integral_value():
        return f"{int(value):,}".replace(",", ".")
    return str(value).replace(".", ",")


def seed_values() -> dict[tuple[str, str], str]:
    """The seed's published UTM and IPC months, in CMF notation."""
    values: dict[tuple[str, str], str] = {}
    for row in reference_data.UTM_RECORDS:
        if not row.get("projected"):
            values[("utm", str(row["month"]))] = cmf_notation(int(str(row["value"])))
    for row in reference_data.IPC_RECORDS:
        if not row.get("projected"):
            values[("ipc", str(row["month"]))] = cmf_notation(Decimal(str(row["variation_percent"])))
    for row in reference_data.INTEREST_RATE_RECORDS:
        if not row.get("projected"):
            published = YearMonth.parse(str(row["month"])).plus(-1)
            values[("tip", str(published))] = cmf_notation(Decimal(str(row["annual_percent"])) - ART53_SPREAD)
    return values


def tip_rows(month: str, value: str) -> list[dict[str, str]]:
    """A month's TIP answer: the art. 53 type (24) and another type, as the CMF lists several."""
    day = f"{month}-15"
    return [{"Titulo": "Operaciones no reajustables en moneda nacional", "SubTitulo": "90 días o más",
             "Valor": "12,34", "Fecha": day, "Hasta": "", "Tipo": "39"},
            {"Titulo": _TIP_TITLE, "SubTitulo": _TIP_SUBTITLE, "Valor": value, "Fecha": day, "Hasta": "",
             "Tipo": "24"}]


class CmfSimulator(BackgroundServer):
    """The CMF API's UTM, IPC and TIP resources on one loopback port."""

    def __init__(self, api_key: str, port: int = 0, *, host: str = "127.0.0.1") -> None:
        server = _Server((host, port), CmfHandler)
        server.simulator = self
        super().__init__(server, host=host, name="cmf-simulator")
        self.api_key = api_key
        self._lock = threading.Lock()
        self._values = seed_values()
        self.requests = 0

    def publish(self, indicator: str, month: str, value: str) -> None:
        """Make a month available, as the CMF does around the 9th."""
        if indicator not in _LIST_KEY or not re.fullmatch(r"\d{4}-\d{2}", month):
            raise ValueError("indicator must be utm, ipc or tip and month YYYY-MM")
        with self._lock:
            self._values[(indicator, month)] = value

    def value(self, indicator: str, month: str) -> str | None:
        with self._lock:
            self.requests += 1
            return self._values.get((indicator, month))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: CmfSimulator


class CmfHandler(JsonHandler):
    """HTTP front of the simulator."""

    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/health":
            self.send_json(200, {"status": "ok", "service": "cmf-simulator"})
            return
        match = _PATH.match(parts.path)
        if match is None:
            self._error(404, 80, "Recurso no encontrado.")
            return
        query = parse_qs(parts.query)
        if query.get("apikey", [""])[0] != self.server.simulator.api_key:
            self._error(401, 11, "API Key no válida.")
            return
        indicator, year, month = match.groups()
        key = f"{year}-{month}"
        value = self.server.simulator.value(indicator, key)
        if value is None:
            self._error(404, 81, "No existen datos para el período solicitado.")
            return
        if indicator == "tip":
            self.send_json(200, {"TIPs": tip_rows(key, value)})
            return
        self.send_json(200, {_LIST_KEY[indicator]: [{"Valor": value, "Fecha": f"{key}-01"}]})

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/simulator/values":
            self._error(404, 80, "Recurso no encontrado.")
            return
        try:
            body: Any = json.loads(self.read_body() or b"{}")
            self.server.simulator.publish(str(body["indicator"]), str(body["month"]), str(body["value"]))
        except (ValueError, KeyError, TypeError) as exc:
            self.send_json(400, {"error": str(exc)})
            return
        self.send_json(200, {"published": body})

    def _error(self, status: int, code: int, message: str) -> None:
        self.send_json(status, {"CodigoHTTP": status, "CodigoError": code, "Mensaje": message})


def main() -> None:
    parser = argparse.ArgumentParser(description="Local CMF API simulator, UTM, IPC and TIP (dev only).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_CMF_PORT", "8104")))
    port = parser.parse_args().port
    simulator = CmfSimulator(os.environ.get("SEM_CMF_API_KEY", "local-cmf-key"), port)
    print(f"CMF simulator listening on {simulator.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve_forever()


if __name__ == "__main__":
    main()
