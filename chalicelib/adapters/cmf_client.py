"""Client of the CMF's public API (API CMF Bancos v3): the UTM and IPC of a month, and the
*tasa de interés corriente* the SII's semestral penalty rate is built from.

Contract (api.cmfchile.cl/documentacion/UTM.html, IPC.html): GET
``{base}/api-sbifv3/recursos_api/{utm|ipc}/{yyyy}/{mm}?apikey=…&formato=json`` answers
``{"UTMs": [{"Valor": "67.429", "Fecha": "2025-01-01"}]}`` or ``{"IPCs": [{"Valor": "1,1", …}]}``:
numbers in Chilean notation (``.`` for thousands, ``,`` for decimals). An error answers a non-200
status with ``{"CodigoHTTP": …, "CodigoError": …, "Mensaje": "…"}``. The CMF takes these values
from their publishers (UTM: SII; IPC: INE) and updates them around the 9th of each month.

Interest rates (api.cmfchile.cl/documentacion/TIP.html): GET
``{base}/api-sbifv3/recursos_api/tip/{yyyy}/{mm}?apikey=…&formato=json`` answers
``{"TIPs": [{"Titulo": …, "SubTitulo": …, "Valor": "4,42", "Fecha": "2025-12-15", "Hasta": "",
"Tipo": "24"}, …]}``: one row per type of operation, ``Fecha`` the first day in force (its
publication in the Diario Oficial, before the 15th), ``Hasta`` the last (empty for the latest).
Type 24 is "operaciones reajustables en moneda nacional de un año o más, inferiores o iguales al
equivalente de 2.000 UF" — the rate art. 53 of the Código Tributario (Ley 21.713) names.

The API key is a secret from the environment; it is never logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Literal

from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.units import YearMonth

if TYPE_CHECKING:
    import requests

Indicator = Literal["utm", "ipc"]
_LIST_KEY = {"utm": "UTMs", "ipc": "IPCs"}
ART53_TIP_TYPE = "24"
"""CMF type: readjustable operations in pesos, one year or more, up to 2.000 UF (art. 53 CT)."""


@dataclass(frozen=True)
class CmfValue:
    """One month's value as the CMF publishes it."""

    indicator: Indicator
    month: YearMonth
    value: Decimal
    published_date: str


@dataclass(frozen=True)
class CmfRate:
    """The art. 53 base rate (type 24) the CMF published in a month, with the day it took force."""

    month: YearMonth
    annual_percent: Decimal
    in_force_from: str
    in_force_to: str


class CmfClient:
    """Reads one month of UTM or IPC from the CMF API (or the local simulator)."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 5.0,
                 session: requests.Session | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._key = api_key
        self._timeout = timeout_s
        if session is None:  # requests is imported here, not by the API's import (docs/performance.md)
            import requests

            session = requests.Session()
        self._session = session

    def month(self, indicator: Indicator, month: YearMonth) -> CmfValue | None:
        """The value of ``month`` (None when the CMF has none yet: not published)."""
        response = self._get(indicator, month)
        if response is None:
            return None
        try:
            rows = response.json()[_LIST_KEY[indicator]]
            row = next(r for r in rows if str(r["Fecha"]).startswith(str(month)))
            value = parse_cmf_number(str(row["Valor"]))
        except StopIteration:
            return None
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise _invalid() from None
        return CmfValue(indicator, month, value, str(row["Fecha"]))

    def art53_rate(self, month: YearMonth) -> CmfRate | None:
        """The type-24 *tasa de interés corriente* published in ``month`` (None if not yet published)."""
        response = self._get("tip", month)
        if response is None:
            return None
        try:
            rows = response.json()["TIPs"]
            found = [r for r in rows if str(r["Tipo"]).strip() == ART53_TIP_TYPE
                     and str(r["Fecha"]).startswith(str(month))]
            if not found:
                return None
            row = max(found, key=lambda r: str(r["Fecha"]))
            value = parse_cmf_number(str(row["Valor"]))
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise _invalid() from None
        if not Decimal(0) < value < Decimal(100):
            raise _invalid()
        return CmfRate(month, value, str(row["Fecha"]), str(row.get("Hasta") or ""))

    def _get(self, resource: str, month: YearMonth) -> requests.Response | None:
        import requests

        url = f"{self._base}/api-sbifv3/recursos_api/{resource}/{month.year:04d}/{month.month:02d}"
        try:
            response = self._session.get(url, params={"apikey": self._key, "formato": "json"},
                                         timeout=self._timeout)
        except requests.RequestException:
            raise DependencyUnavailable("No se pudo consultar la API de la CMF; reintente más tarde.",
                                        code="cmf_unavailable", retry_after=300) from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise DependencyUnavailable(f"La API de la CMF respondió {response.status_code}.",
                                        code="cmf_unavailable", retry_after=300)
        return response


def _invalid() -> DependencyUnavailable:
    return DependencyUnavailable("La API de la CMF respondió algo que no cumple su contrato.",
                                 code="cmf_invalid", retry_after=300)


def parse_cmf_number(text: str) -> Decimal:
    """``"67.429"`` → 67429; ``"1,1"`` → 1.1; ``"-0,2"`` → -0.2 (Chilean notation)."""
    cleaned = text.strip().replace(".", "").replace(",", ".")
    if not cleaned or cleaned.count(".") > 1:
        raise ValueError(f"not a CMF number: {text!r}")
    return Decimal(cleaned)
