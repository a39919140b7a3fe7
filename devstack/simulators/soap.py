"""Local stand-in for the SOAP services of the permit prerequisites (dev only, loopback only).

One small HTTP server answers for the three services with the contracts SEM ships in
``chalicelib/wsdl/`` and the fixture plates of ``soap_fixtures``:

    POST /aach     AACH, SOAP insurance by plate            (GET /aach?wsdl: its WSDL)
    POST /mtt      Ministerio de Transportes, inspections   (GET /mtt?wsdl)
    POST /srcei    Registro Civil, fines and vehicle data   (GET /srcei?wsdl)
    GET  /health   200 while the process runs (whatever the modes)
    GET  /simulator/control                  the mode of each service
    POST /simulator/control {"service": "aach"|"mtt"|"srcei"|"all", "mode": "...", "delay_s": 0}
    POST /simulator/reset                    every service back to "ok"
    GET  /simulator/fixtures                 the fixture plates and what each gives

Modes (switches for tests; ``delay_s`` delays the answer in any mode):

    ok           answers from the fixtures
    slow         answers from the fixtures after delay_s (5 s when not given)
    fault        HTTP 500 with a SOAP Fault (soapenv:Server)
    down         reads the request and closes the connection without answering
    unavailable  HTTP 503 with an HTML page, as a load balancer in front of a dead service
    malformed    HTTP 200 with XML cut in half
    invalid      HTTP 200, well-formed, but breaking the contract (a date that is not a date)
    xml_bomb     HTTP 200 with a "billion laughs" entity declaration
    xxe          HTTP 200 with an external entity pointing at a local file

Requests are parsed with lxml without DTDs, entities or network access.

    python -m devstack.simulators.soap --port 8102

In-process (tests): ``with SoapSimulator(port=0) as sim: sim.url_for("aach") …``
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from lxml import etree
from lxml.builder import ElementMaker

from devstack.simulators.base import BackgroundServer, JsonHandler
from devstack.simulators.soap_fixtures import FIXTURES, fixture

WSDL_DIR: Final = Path(__file__).resolve().parent.parent.parent / "chalicelib" / "wsdl"
SOAP_ENV: Final = "http://schemas.xmlsoap.org/soap/envelope/"
MAX_REQUEST_BYTES: Final = 64 * 1024
MODES: Final = ("ok", "slow", "fault", "down", "unavailable", "malformed", "invalid", "xml_bomb", "xxe")
DEFAULT_SLOW_S: Final = 5.0
_PLATE: Final = re.compile(r"^[A-Z0-9]{6}$")


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    wsdl_file: str
    reference_prefix: str
    operations: tuple[str, ...]


SERVICES: Final = {
    "aach": Service("aach", "urn:cl:aach:consulta-soap:v1", "aach.wsdl", "AACH", ("ConsultarSoapPorPatente",)),
    "mtt": Service("mtt", "urn:cl:mtt:revisiones-tecnicas:v1", "mtt.wsdl", "PRT",
                   ("ConsultarRevisionesPorPatente",)),
    "srcei": Service("srcei", "urn:cl:srcei:rvm-rmnp:v1", "srcei.wsdl", "RC",
                     ("ConsultarMultasPorPatente", "ConsultarVehiculoPorPatente")),
}


@dataclass(frozen=True)
class Mode:
    """How one service behaves."""

    mode: str = "ok"
    delay_s: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if not 0 <= self.delay_s <= 120:
            raise ValueError("delay_s must be between 0 and 120")

    @property
    def wait_s(self) -> float:
        return self.delay_s or (DEFAULT_SLOW_S if self.mode == "slow" else 0.0)


class SoapFault(Exception):
    """Answer with a SOAP Fault."""

    def __init__(self, actor: str, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.actor, self.code, self.message, self.status = actor, code, message, status


class SoapSimulator(BackgroundServer):
    """The three services on one loopback port; modes settable by constructor, method or HTTP."""

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1",
                 modes: Mapping[str, Mode | str] | None = None) -> None:
        server = _Server((host, port), SoapHandler)
        server.simulator = self
        super().__init__(server, host=host, name="soap-simulator")
        self._lock = threading.Lock()
        self._modes = {name: Mode() for name in SERVICES}
        self._counter = itertools.count(1)
        self._requests = dict.fromkeys(SERVICES, 0)
        for name, mode in (modes or {}).items():
            self.set_mode(name, mode if isinstance(mode, Mode) else Mode(mode))

    def url_for(self, service: str) -> str:
        """The address of one service (what SEM's settings point at)."""
        return f"{self.url}/{SERVICES[service].name}"

    # -- switches ----------------------------------------------------------------------------

    def set_mode(self, service: str, mode: Mode | str, delay_s: float = 0.0) -> None:
        """Switch one service (or ``"all"``) to ``mode``."""
        chosen = mode if isinstance(mode, Mode) else Mode(mode, delay_s)
        names = list(SERVICES) if service == "all" else [service]
        for name in names:
            if name not in SERVICES:
                raise ValueError(f"service must be one of {', '.join(SERVICES)} or all")
        with self._lock:
            for name in names:
                self._modes[name] = chosen

    def reset(self) -> None:
        self.set_mode("all", Mode())

    def mode(self, service: str) -> Mode:
        with self._lock:
            return self._modes[service]

    def modes(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {name: asdict(mode) for name, mode in self._modes.items()}

    def count_request(self, service: str) -> None:
        with self._lock:
            self._requests[service] += 1

    def request_count(self, service: str) -> int:
        """SOAP requests received by ``service`` since start (tests check retries with it)."""
        with self._lock:
            return self._requests[service]

    def next_reference(self, service: Service) -> str:
        return f"{service.reference_prefix}-{datetime.now(UTC):%Y%m%d}-{next(self._counter):07d}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: SoapSimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout tests) leaves a broken pipe behind: not worth a traceback.
        pass


class SoapHandler(JsonHandler):
    """HTTP front of the simulator."""

    server: _Server

    @property
    def sim(self) -> SoapSimulator:
        return self.server.simulator

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        service = SERVICES.get(parts.path.strip("/"))
        if parts.path == "/health":
            self.send_json(200, {"status": "ok", "service": "soap-simulator", "modes": self.sim.modes()})
        elif parts.path == "/simulator/control":
            self.send_json(200, self.sim.modes())
        elif parts.path == "/simulator/fixtures":
            self.send_json(200, {plate: {"summary": data["summary"], "expected": data["expected"]}
                                 for plate, data in FIXTURES.items()})
        elif service is not None and parts.query.lower() == "wsdl":
            wsdl = (WSDL_DIR / service.wsdl_file).read_text(encoding="utf-8")
            wsdl = re.sub(r'(<soap:address location=")[^"]*(")', rf"\g<1>{self.sim.url_for(service.name)}\g<2>",
                          wsdl)
            self._send(200, wsdl.encode(), "text/xml; charset=utf-8")
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        if path == "/simulator/control":
            self._control()
        elif path == "/simulator/reset":
            self.sim.reset()
            self.send_json(200, self.sim.modes())
        elif path.strip("/") in SERVICES:
            self._soap(SERVICES[path.strip("/")])
        else:
            self.send_json(404, {"error": "not found"})

    # -- control -----------------------------------------------------------------------------

    def _control(self) -> None:
        try:
            body = json.loads(self.read_body() or b"{}")
            self.sim.set_mode(str(body.get("service", "all")), str(body.get("mode", "ok")),
                              float(body.get("delay_s", 0)))
        except (ValueError, TypeError, AttributeError) as exc:
            self.send_json(400, {"error": str(exc)})
            return
        self.send_json(200, self.sim.modes())

    # -- SOAP --------------------------------------------------------------------------------

    def _soap(self, service: Service) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.send_json(413, {"error": "request too large"})
            return
        raw = self.rfile.read(length) if length else b""
        self.sim.count_request(service.name)
        mode = self.sim.mode(service.name)
        if mode.wait_s and self.sim.stopping.wait(mode.wait_s):
            return
        if mode.mode == "down":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(2)
            return
        if mode.mode == "unavailable":
            self._send(503, b"<html><body><h1>503 Service Unavailable</h1></body></html>", "text/html")
            return
        reference = self.sim.next_reference(service)
        try:
            if mode.mode == "fault":
                raise SoapFault("Server", "ERR-INTERNO", "Error interno del servicio; reintente más tarde.", 500)
            operation, plate = _read_request(raw, service)
            payload = _answer(service, operation, plate, reference)
        except SoapFault as fault:
            self._send(fault.status, _fault_envelope(service, fault, reference), "text/xml; charset=utf-8")
            return
        body = _envelope(payload)
        if mode.mode == "malformed":
            body = body[: len(body) // 2]
        elif mode.mode == "invalid":
            body = re.sub(rb"<(\w+:)?fechaHora>[^<]*<", rb"<\g<1>fechaHora>ayer a las tres<", body)
        elif mode.mode in ("xml_bomb", "xxe"):
            body = _hostile(body, mode.mode)
        self._send(200, body, "text/xml; charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)


def _safe_parser() -> Any:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def _read_request(raw: bytes, service: Service) -> tuple[str, str]:
    """The operation and plate of a SOAP request (a Client fault when it is not one)."""

    def client_fault(message: str) -> SoapFault:
        return SoapFault("Client", "ERR-SOLICITUD", message, 500)

    try:
        root = etree.fromstring(raw, parser=_safe_parser())
    except etree.XMLSyntaxError:
        raise client_fault("La solicitud no es XML válido.") from None
    if root.getroottree().docinfo.doctype:
        raise client_fault("La solicitud no puede declarar un DTD.")
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if root.tag != f"{{{SOAP_ENV}}}Envelope" or body is None or len(body) != 1:
        raise client_fault("Se esperaba un sobre SOAP 1.1 con una operación.")
    request = body[0]
    name = etree.QName(request)
    if name.namespace != service.namespace or name.localname not in service.operations:
        raise client_fault("Operación desconocida para este servicio.")
    plate = (request.findtext(f"{{{service.namespace}}}patente") or "").strip().upper()
    if not _PLATE.match(plate):
        raise client_fault("Patente con formato inválido.")
    return name.localname, plate


def _answer(service: Service, operation: str, plate: str, reference: str) -> Any:
    data = fixture(plate)
    e = ElementMaker(namespace=service.namespace, nsmap={"tns": service.namespace})

    def leaf(name: str, value: Any) -> list[Any]:
        return [] if value is None else [getattr(e, name)(str(value))]

    def record(name: str, fields: Mapping[str, Any]) -> Any:
        children: list[Any] = []
        for key, value in fields.items():
            children += [record(key, value)] if isinstance(value, Mapping) else leaf(key, value)
        return getattr(e, name)(*children)

    head = [e.transaccion(e.idTransaccion(reference), e.fechaHora(datetime.now(UTC).isoformat(timespec="seconds"))),
            e.patente(plate)]
    if operation == "ConsultarSoapPorPatente":
        items = [record("poliza", policy) for policy in data["policies"]]
    elif operation == "ConsultarRevisionesPorPatente":
        items = [record(name, control) for name, control in data["controls"].items() if control is not None]
    elif operation == "ConsultarMultasPorPatente":
        items = [record("multa", fine) for fine in data["fines"]]
    else:
        items = [] if data["vehicle"] is None else [record("vehiculo", data["vehicle"])]
    return getattr(e, f"{operation}Respuesta")(*head, *items)


def _envelope(payload: Any) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soapenv": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(payload)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def _fault_envelope(service: Service, fault: SoapFault, reference: str) -> bytes:
    e = ElementMaker(namespace=service.namespace, nsmap={"tns": service.namespace})
    plain = ElementMaker()
    payload = etree.Element(f"{{{SOAP_ENV}}}Fault", nsmap={"soapenv": SOAP_ENV})
    payload.append(plain.faultcode(f"soapenv:{fault.actor}"))
    payload.append(plain.faultstring(fault.message))
    payload.append(plain.detail(e.ErrorServicio(e.codigo(fault.code), e.glosa(fault.message),
                                                e.idTransaccion(reference))))
    return _envelope(payload)


def _hostile(body: bytes, kind: str) -> bytes:
    """The answer with a DTD that a safe client must refuse (never expand)."""
    if kind == "xml_bomb":
        levels = ['<!ENTITY lol0 "lol">'] + [
            f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
        dtd = "<!DOCTYPE soapenv:Envelope [" + "".join(levels) + "]>"
        entity = "&lol9;"
    else:
        dtd = '<!DOCTYPE soapenv:Envelope [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'
        entity = "&xxe;"
    declaration, rest = body.split(b"?>", 1)
    rest = re.sub(rb"(<(\w+:)?idTransaccion>)[^<]*", rb"\g<1>" + entity.encode(), rest, count=1)
    return declaration + b"?>" + dtd.encode() + rest


def main() -> None:
    parser = argparse.ArgumentParser(description="Local SOAP simulator: AACH, MTT and Registro Civil.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_SOAP_PORT", "8102")))
    simulator = SoapSimulator(parser.parse_args().port)
    print(f"SOAP simulator listening on {simulator.url} (/aach, /mtt, /srcei)", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve_forever()


if __name__ == "__main__":
    main()
