"""One SOAP service at one address: the zeep client, timeouts, retries, the breaker, and errors.

Everything SEM's SOAP adapters share lives here:

- the client factory (:func:`build_zeep_service`): the WSDL is read from the file shipped in
  ``chalicelib/wsdl/`` (never fetched), the address comes from the caller (settings), the
  transport has a connect and a read timeout on every operation, and the XML parser refuses
  DTDs, entity declarations, external references and huge trees;
- :class:`SoapEndpoint`: builds that client on first use (so neither importing this module nor
  building the adapters imports zeep), retries transport failures only (connection errors,
  timeouts, HTTP 502/503/504 without a SOAP answer) a bounded number of times, runs every call
  through a :class:`CircuitBreaker`, and turns every provider error into a domain error.

Error mapping (``<source>`` is ``aach``, ``mtt`` or ``srcei``; all are ``DependencyUnavailable``
so a check becomes ``unavailable``, never ``ok``):

=========================================  ============================  =======  =============
what happened                              code                          retried  breaker counts
=========================================  ============================  =======  =============
connect or read timeout                    ``<source>_timeout``          yes      yes
connection refused / reset / dropped       ``<source>_unreachable``      yes      yes
HTTP 502/503/504 without a SOAP answer     ``<source>_unavailable``      yes      yes
other HTTP status without a SOAP answer    ``<source>_http_error``       no       yes
SOAP Fault ``Server``                      ``<source>_fault``            no       yes
SOAP Fault ``Client`` (our request)        ``<source>_rejected``         no       no
not XML / not the contract / bad values    ``<source>_bad_response``     no       yes
DTD, entity or external reference in XML   ``<source>_unsafe_response``  no       yes
circuit open (fails fast, no call)         ``circuit_open``              no       —
=========================================  ============================  =======  =============
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from chalicelib.adapters.circuit_breaker import CircuitBreaker
from chalicelib.domain.errors import DependencyUnavailable, InvalidInput

T = TypeVar("T")

WSDL_DIR: Final = Path(__file__).resolve().parent.parent.parent / "wsdl"
USER_AGENT: Final = "SEM-prerequisites/1 (zeep)"
_RETRYABLE_STATUS: Final = frozenset({502, 503, 504})


@dataclass(frozen=True)
class SoapConfig:
    """Timeouts, retries and breaker of one SOAP service (defaults suit a citizen waiting)."""

    connect_timeout_s: float = 1.0
    read_timeout_s: float = 3.0
    max_attempts: int = 2
    """Attempts per call, the first included; only transport failures are retried."""
    retry_backoff_s: float = 0.1
    """Pause before the 2nd attempt; doubled before each later one."""
    breaker_threshold: int = 5
    """Consecutive failed calls (after their retries) that open the circuit."""
    breaker_reset_s: float = 30.0
    """How long an open circuit fails fast before letting one trial call through."""

    def __post_init__(self) -> None:
        if self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")


@dataclass(frozen=True)
class SoapServiceSpec:
    """Which contract a service speaks and how it is named."""

    source: str
    """Short name recorded with every answer: ``aach``, ``mtt``, ``srcei``."""
    wsdl_file: str
    binding: str
    """QName of the WSDL binding, ``{namespace}Name``."""
    label: str
    """The service as named in Spanish messages ("la Asociación de Aseguradores")."""

    @property
    def wsdl_path(self) -> Path:
        return WSDL_DIR / self.wsdl_file


class BadResponse(ValueError):
    """The answer is XML but not what the contract promises (raised by parse functions)."""


def zeep_settings() -> Any:
    """zeep parser settings: strict, no DTD, no entities, no external fetches, no huge trees."""
    from zeep import Settings

    return Settings(strict=True, forbid_entities=True, forbid_dtd=True, forbid_external=True,
                    xml_huge_tree=False)


def build_zeep_service(spec: SoapServiceSpec, address: str, config: SoapConfig) -> Any:
    """A zeep service proxy for ``spec`` at ``address`` (the WSDL read from the package)."""
    import requests
    import zeep
    import zeep.transports

    # zeep has no type hints: hold its classes as Any (mypy strict refuses untyped calls).
    client_cls: Any = zeep.Client
    transport_cls: Any = zeep.transports.Transport
    session = requests.Session()
    transport = transport_cls(
        timeout=config.connect_timeout_s + config.read_timeout_s,  # loading documents (none remote)
        operation_timeout=(config.connect_timeout_s, config.read_timeout_s),
        session=session,
    )
    session.headers["User-Agent"] = USER_AGENT
    session.max_redirects = 0  # a SOAP endpoint never redirects; following one would post elsewhere
    session.hooks["response"].append(_refuse_error_pages)
    client = client_cls(str(spec.wsdl_path), transport=transport, settings=zeep_settings())
    return client.create_service(spec.binding, address)


def _refuse_error_pages(response: Any, *args: Any, **kwargs: Any) -> None:
    """A requests response hook: a non-200 answer whose body is not XML is a transport failure.

    zeep parses any body it gets: an HTML "503 Service Unavailable" page from a load balancer is
    well-formed enough to become a meaningless SOAP Fault. A SOAP 1.1 answer (even a Fault) is
    XML, so any other status without an XML body is raised as zeep's TransportError (retried
    when it is 502/503/504).
    """
    from zeep import exceptions

    error_cls: Any = exceptions.TransportError  # zeep has no type hints
    content_type = str(response.headers.get("Content-Type", "")).lower()
    if response.status_code != 200 and "xml" not in content_type:
        raise error_cls(f"HTTP {response.status_code} without a SOAP answer", status_code=response.status_code)


ServiceFactory = Callable[[SoapServiceSpec, str, SoapConfig], Any]


class SoapEndpoint:
    """Calls the operations of one SOAP service, with retries, a breaker and mapped errors.

    Thread-safe: the zeep client is built once under a lock and then only read.
    """

    def __init__(
        self,
        spec: SoapServiceSpec,
        address: str,
        *,
        config: SoapConfig | None = None,
        breaker: CircuitBreaker | None = None,
        service_factory: ServiceFactory = build_zeep_service,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.spec = spec
        self.address = address
        self.config = config or SoapConfig()
        self.breaker = breaker or CircuitBreaker(
            spec.source,
            failure_threshold=self.config.breaker_threshold,
            reset_after_s=self.config.breaker_reset_s,
            message=f"El servicio de {spec.label} no está disponible; intente nuevamente en unos minutos.",
        )
        self._factory = service_factory
        self._sleep = sleep
        self._now = now
        self._service: Any = None
        self._lock = threading.Lock()

    @property
    def source(self) -> str:
        return self.spec.source

    def call(self, operation: str, parse: Callable[[Any, datetime], T], **params: Any) -> T:
        """Call ``operation`` with ``params`` and turn the answer into a value with ``parse``.

        ``parse(answer, answered_at)`` raises ``BadResponse`` (or ``ValueError``, ``TypeError``,
        ``AttributeError``, ``InvalidInput``) when the answer breaks the contract.
        """
        self.breaker.before_call()
        try:
            raw = self._send(operation, params)
            value = parse(raw, self._now())
        except Exception as exc:
            error, counts = self._translate(exc)
            if error is None:
                self.breaker.release()
                raise
            if counts:
                self.breaker.record_failure()
            else:
                self.breaker.release()
            raise error from exc
        self.breaker.record_success()
        return value

    # -- internals ---------------------------------------------------------------------------

    def _zeep(self) -> Any:
        if self._service is None:
            with self._lock:
                if self._service is None:
                    self._service = self._factory(self.spec, self.address, self.config)
        return self._service

    def _send(self, operation: str, params: dict[str, Any]) -> Any:
        method = getattr(self._zeep(), operation)
        attempt = 1
        while True:
            try:
                return method(**params)
            except Exception as exc:
                if attempt >= self.config.max_attempts or not _transient(exc):
                    raise
                self._sleep(self.config.retry_backoff_s * 2 ** (attempt - 1))
                attempt += 1

    def _translate(self, exc: Exception) -> tuple[DependencyUnavailable | None, bool]:
        """The domain error for ``exc`` and whether it counts against the service's health."""
        import requests
        from zeep import exceptions as zx

        src, label = self.spec.source, self.spec.label
        retry_after = max(1, round(self.config.breaker_reset_s))

        def down(code: str, message: str, *, retryable: bool = True) -> DependencyUnavailable:
            return DependencyUnavailable(message, code=f"{src}_{code}", retry_after=retry_after,
                                         retryable=retryable)

        if isinstance(exc, requests.Timeout):
            return down("timeout", f"El servicio de {label} no respondió a tiempo; intente nuevamente."), True
        if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
            return down("unreachable", f"No fue posible conectarse con el servicio de {label}; "
                        "intente nuevamente."), True
        if isinstance(exc, zx.TransportError):
            if exc.status_code in _RETRYABLE_STATUS:
                return down("unavailable", f"El servicio de {label} no está disponible "
                            f"(HTTP {exc.status_code}); intente nuevamente."), True
            if exc.status_code == 200:
                return down("bad_response", f"El servicio de {label} respondió un mensaje que no se pudo "
                            "leer.", retryable=False), True
            return down("http_error", f"El servicio de {label} respondió HTTP {exc.status_code}; "
                        "intente nuevamente.", retryable=False), True
        if isinstance(exc, zx.Fault):
            if str(exc.code or "").rsplit(":", 1)[-1] == "Client":
                return down("rejected", f"El servicio de {label} rechazó la consulta: {exc.message}",
                            retryable=False), False
            return down("fault", f"El servicio de {label} informó un error: {exc.message}"), True
        if isinstance(exc, zx.DTDForbidden | zx.EntitiesForbidden | zx.ExternalReferenceForbidden):
            return down("unsafe_response", f"El servicio de {label} respondió un XML no permitido.",
                        retryable=False), True
        if isinstance(exc, zx.Error | ValueError | TypeError | AttributeError | LookupError | InvalidInput):
            return down("bad_response", f"El servicio de {label} respondió datos que no cumplen el "
                        "contrato.", retryable=False), True
        if isinstance(exc, requests.RequestException):
            return down("unreachable", f"No fue posible comunicarse con el servicio de {label}."), True
        return None, False


def _transient(exc: Exception) -> bool:
    """A failure of the transport, worth one more try: nothing reached the service's logic."""
    import requests
    from zeep.exceptions import TransportError

    if isinstance(exc, requests.Timeout | requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return True
    return isinstance(exc, TransportError) and exc.status_code in _RETRYABLE_STATUS


# -- helpers for parse functions ------------------------------------------------------------


def element(obj: Any, name: str) -> Any:
    """A required element of a zeep answer (BadResponse when missing)."""
    value = getattr(obj, name, None) if obj is not None else None
    if value is None:
        raise BadResponse(f"missing element {name}")
    return value


def text(obj: Any, name: str) -> str:
    """A required, non-blank text element."""
    value = element(obj, name)
    if not isinstance(value, str) or not value.strip():
        raise BadResponse(f"element {name} is not text")
    return value.strip()


def optional_text(obj: Any, name: str) -> str | None:
    value = getattr(obj, name, None)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadResponse(f"element {name} is not text")
    return value.strip() or None


def day(obj: Any, name: str) -> date:
    """A required xsd:date."""
    value = element(obj, name)
    if not isinstance(value, date) or isinstance(value, datetime):
        raise BadResponse(f"element {name} is not a date")
    return value


def optional_day(obj: Any, name: str) -> date | None:
    return None if getattr(obj, name, None) is None else day(obj, name)


def whole(obj: Any, name: str, *, minimum: int = 0) -> int:
    """A required integer (pesos, kg, a year), at least ``minimum``."""
    value = element(obj, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadResponse(f"element {name} is not a whole number >= {minimum}")
    return value


def optional_whole(obj: Any, name: str, *, minimum: int = 0) -> int | None:
    return None if getattr(obj, name, None) is None else whole(obj, name, minimum=minimum)


def many(obj: Any, name: str) -> list[Any]:
    """A repeated element (zeep gives a list; absent means none)."""
    value = getattr(obj, name, None)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def reference_of(answer: Any) -> str:
    """The service's transaction id, which every answer of SEM's contracts carries with its time.

    zeep turns a value it cannot read into None (and logs it), so a garbled time is caught here.
    """
    transaction = element(answer, "transaccion")
    if not isinstance(element(transaction, "fechaHora"), datetime):
        raise BadResponse("element fechaHora is not a date and time")
    return text(transaction, "idTransaccion")


def same_plate(answer: Any, plate: str) -> None:
    """Guard against an answer about another plate (a mixed-up proxy or cache)."""
    if text(answer, "patente").upper() != plate:
        raise BadResponse("the answer is about another plate")
