"""Reconciliation as rules: TGR's daily settlement file (rendición) read and written, the day's
paid payments matched against its lines, each difference named, and the day's consolidation
(totals by service and method, the Fondo Común Municipal share of permit revenue). Pure: no I/O.

The settlement file (docs/settlement.md) is CSV, UTF-8, `;`-separated, whole pesos without
separators::

    RENDICION;13101;2027-03-20;2027-03-21T06:00:00-03:00;2;55356
    orden;pago;monto;medio;autorizacion;pagado_en
    TGR-20270320-0A1B2C3D4E;13101-01HX…;34876;credito;123456;2027-03-20T10:05:00-03:00
    TGR-20270320-9F8E7D6C5B;13101-01HY…;20480;debito;654321;2027-03-20T11:40:12-03:00

Line 1: record type, municipality (CUT), settled day, when TGR generated the file, number of
lines and their total. Line 2: the column names. Then one line per order TGR credited.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import decimal_text, format_clp, mul, to_pesos

DELIMITER: Final = ";"
RECORD_TYPE: Final = "RENDICION"
COLUMNS: Final = ("orden", "pago", "monto", "medio", "autorizacion", "pagado_en")
MAX_LINES: Final = 200_000

SETTLEMENT_KEY: Final = re.compile(
    r"^(?P<code>[0-9]{5})/settlements/(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})/(?P<name>[A-Za-z0-9][A-Za-z0-9._-]{0,119}\.csv)$")
"""Where settlement files land in the uploads bucket: `<cut>/settlements/<YYYY-MM-DD>/<name>.csv`."""

SERVICE_TEXT: Final = {"permisos": "Permisos de circulación", "patentes": "Patentes municipales",
                       "aseo": "Derechos de aseo"}
METHOD_TEXT: Final = {"credito": "Tarjeta de crédito", "debito": "Tarjeta de débito",
                      "casas_comerciales": "Casas comerciales", "transferencia": "Transferencia",
                      "desconocido": "Medio no informado",
                      "refund": "Devoluciones y contracargos (resta)"}


RETURN_METHODS: Final = {"devolucion": "Devolución", "contracargo": "Contracargo"}
"""`medio` of a settlement line that takes money back (docs/settlement.md, "Refunds and reversals"):
its amount is negative, `orden` is TGR's refund order (the original order for a reversal) and
`autorizacion` the reference both sides know: SEM's refund id, or TGR's reversal id."""


class InvalidSettlement(InvalidInput):
    """A settlement file that cannot be read as the documented format (it is recorded, not retried)."""

    default_code = "invalid_settlement"


@dataclass(frozen=True)
class SettlementLine:
    """One order TGR credited to the municipality."""

    order_id: str
    payment_id: str
    amount: int
    method: str
    authorization_code: str
    paid_at: str


@dataclass(frozen=True)
class Settlement:
    """A parsed settlement file."""

    municipality: str
    day: str
    generated_at: str
    total: int
    lines: tuple[SettlementLine, ...]


@dataclass(frozen=True)
class SettlementKey:
    municipality: str
    day: str
    name: str


def parse_key(key: str) -> SettlementKey | None:
    """The municipality, day and file name of a settlement object key (None for any other key)."""
    match = SETTLEMENT_KEY.match(key)
    if not match or not _valid_day(match.group("day")):
        return None
    return SettlementKey(match.group("code"), match.group("day"), match.group("name"))


def _valid_day(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _moment(text: str, where: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidSettlement(f"{where}: la fecha y hora «{text[:40]}» no es ISO 8601.") from None
    if moment.tzinfo is None:
        raise InvalidSettlement(f"{where}: la fecha y hora debe indicar su huso horario (p. ej. -03:00).")
    return text


def _pesos(text: str, where: str) -> int:
    if not re.fullmatch(r"\d{1,12}", text):
        raise InvalidSettlement(f"{where}: el monto «{text[:20]}» debe ser un entero de pesos, sin separadores.")
    return int(text)


def _signed_pesos(text: str, where: str) -> int:
    if not re.fullmatch(r"-?\d{1,12}", text):
        raise InvalidSettlement(f"{where}: el monto «{text[:20]}» debe ser un entero de pesos, sin separadores.")
    return int(text)


def parse_settlement(raw: bytes) -> Settlement:
    """The settlement in a file's bytes; `InvalidSettlement` naming the line at fault."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidSettlement("El archivo no está codificado en UTF-8.") from None
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=DELIMITER) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise InvalidSettlement("El archivo no tiene encabezado y nombres de columnas.")
    header = [cell.strip() for cell in rows[0]]
    if len(header) != 6 or header[0] != RECORD_TYPE:
        raise InvalidSettlement("Línea 1: se espera RENDICION;<municipio>;<fecha>;<generado>;<líneas>;<total>.")
    code, day, generated_at = header[1], header[2], _moment(header[3], "Línea 1")
    if not re.fullmatch(r"[0-9]{5}", code):
        raise InvalidSettlement("Línea 1: el municipio debe ser un código CUT de 5 dígitos.")
    if not _valid_day(day):
        raise InvalidSettlement("Línea 1: la fecha debe ser AAAA-MM-DD.")
    count, total = _pesos(header[4], "Línea 1"), _signed_pesos(header[5], "Línea 1")
    if tuple(cell.strip().lower() for cell in rows[1]) != COLUMNS:
        raise InvalidSettlement("Línea 2: las columnas deben ser " + DELIMITER.join(COLUMNS) + ".")
    if len(rows) - 2 > MAX_LINES:
        raise InvalidSettlement(f"El archivo tiene más de {MAX_LINES} líneas.")
    lines = []
    for number, row in enumerate(rows[2:], start=3):
        where = f"Línea {number}"
        cells = [cell.strip() for cell in row]
        if len(cells) != len(COLUMNS):
            raise InvalidSettlement(f"{where}: se esperan {len(COLUMNS)} columnas y hay {len(cells)}.")
        order_id, payment_id, amount, method, authorization, paid_at = cells
        if not order_id or len(order_id) > 64 or not payment_id or len(payment_id) > 128:
            raise InvalidSettlement(f"{where}: faltan la orden o el pago, o son demasiado largos.")
        if method in RETURN_METHODS:
            pesos = _signed_pesos(amount, where)
            if pesos >= 0 or not authorization:
                raise InvalidSettlement(f"{where}: una {RETURN_METHODS[method].lower()} se informa con monto "
                                        "negativo y su referencia en «autorizacion».")
        else:
            pesos = _pesos(amount, where)
        lines.append(SettlementLine(order_id, payment_id, pesos, method or "desconocido",
                                    authorization[:32], _moment(paid_at, where)))
    if len(lines) != count:
        raise InvalidSettlement(f"Línea 1: declara {count} líneas y el archivo trae {len(lines)}.")
    if sum(line.amount for line in lines) != total:
        raise InvalidSettlement(f"Línea 1: declara un total de {total} y las líneas suman "
                                f"{sum(line.amount for line in lines)}.")
    return Settlement(code, day, generated_at, total, tuple(lines))


def format_settlement(code: str, day: str, generated_at: str, lines: Sequence[SettlementLine]) -> bytes:
    """A settlement file in the documented format (what TGR sends; the simulator writes it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\n")
    writer.writerow([RECORD_TYPE, code, day, generated_at, len(lines), sum(line.amount for line in lines)])
    writer.writerow(COLUMNS)
    for line in lines:
        writer.writerow([line.order_id, line.payment_id, line.amount, line.method, line.authorization_code,
                         line.paid_at])
    return out.getvalue().encode("utf-8")


def file_name(code: str, day: str, generated_at: str) -> str:
    """TGR's file name convention used by the simulator: `rendicion-<cut>-<YYYYMMDD>-<HHMMSS>.csv`."""
    stamp = datetime.fromisoformat(generated_at).strftime("%Y%m%d%H%M%S")
    return f"rendicion-{code}-{day.replace('-', '')}-{stamp}.csv"


def digest(raw: bytes) -> str:
    """A file's identity: the same bytes are the same file, whatever its name."""
    return hashlib.sha256(raw).hexdigest()


def current_version(files: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Which of a day's ingested files is in force: the one TGR generated last (a stale file that
    arrives after its correction does not replace it); on equal generation times, the later arrival."""
    ingested = [f for f in files if f.get("status") == "ingested"]
    if not ingested:
        return None
    return max(ingested, key=lambda f: (datetime.fromisoformat(str(f["generated_at"])), int(f.get("version", 0))))


# -- matching ------------------------------------------------------------------------------------


class DiscrepancyKind(StrEnum):
    MISSING_IN_SETTLEMENT = "missing_in_settlement"
    NOT_IN_PLATFORM = "not_in_platform"
    AMOUNT_MISMATCH = "amount_mismatch"
    DUPLICATE_IN_SETTLEMENT = "duplicate_in_settlement"


KIND_TEXT: Final = {
    DiscrepancyKind.MISSING_IN_SETTLEMENT: "En la plataforma, no en la rendición",
    DiscrepancyKind.NOT_IN_PLATFORM: "En la rendición, no en la plataforma",
    DiscrepancyKind.AMOUNT_MISMATCH: "Monto distinto",
    DiscrepancyKind.DUPLICATE_IN_SETTLEMENT: "Informado dos veces en la rendición",
}


@dataclass(frozen=True)
class PlatformPayment:
    """A payment the platform has as paid on the day."""

    payment_id: str
    order_id: str
    amount: int
    method: str
    paid_at: str


@dataclass(frozen=True)
class Discrepancy:
    """One difference between the platform and the settlement; its id is stable across runs."""

    kind: DiscrepancyKind
    payment_id: str | None
    order_id: str | None
    platform_amount: int | None
    settlement_amount: int | None
    detail: str

    @property
    def id(self) -> str:
        basis = f"{self.kind.value}|{self.payment_id or ''}|{self.order_id or ''}"
        return hashlib.sha256(basis.encode()).hexdigest()[:16]

    def record(self) -> dict[str, Any]:
        return {"discrepancy_id": self.id, "kind": self.kind.value, "kind_text": KIND_TEXT[self.kind],
                "payment_id": self.payment_id, "order_id": self.order_id, "platform_amount": self.platform_amount,
                "settlement_amount": self.settlement_amount, "detail": self.detail}


@dataclass(frozen=True)
class Matching:
    matched: tuple[tuple[PlatformPayment, SettlementLine], ...]
    discrepancies: tuple[Discrepancy, ...]
    platform_total: int
    settlement_total: int


def reconcile(payments: Sequence[PlatformPayment], lines: Sequence[SettlementLine],
              returns: Sequence[PlatformPayment] = ()) -> Matching:
    """Match the day's paid payments with the settlement's lines (by payment id, else by TGR order),
    and the day's refunds and reversals (`returns`: `order_id` is their reference, `amount`
    negative) with its return lines (by reference); name every difference."""
    by_payment = {p.payment_id: p for p in payments}
    by_order = {p.order_id: p for p in payments if p.order_id}
    seen: set[str] = set()
    matched: list[tuple[PlatformPayment, SettlementLine]] = []
    found: list[Discrepancy] = []
    for line in lines:
        if line.method in RETURN_METHODS:
            continue
        payment = by_payment.get(line.payment_id) or by_order.get(line.order_id)
        if payment is None:
            found.append(Discrepancy(
                DiscrepancyKind.NOT_IN_PLATFORM, line.payment_id, line.order_id, None, line.amount,
                f"La rendición de TGR informa la orden {line.order_id} (pago {line.payment_id}, "
                f"{format_clp(line.amount)}), que no figura como pagada en la plataforma ese día."))
            continue
        if payment.payment_id in seen:
            found.append(Discrepancy(
                DiscrepancyKind.DUPLICATE_IN_SETTLEMENT, payment.payment_id, line.order_id, payment.amount,
                line.amount, f"La rendición informa más de una vez el pago {payment.payment_id} "
                             f"(orden {line.order_id}, {format_clp(line.amount)})."))
            continue
        seen.add(payment.payment_id)
        if line.amount != payment.amount:
            found.append(Discrepancy(
                DiscrepancyKind.AMOUNT_MISMATCH, payment.payment_id, payment.order_id, payment.amount, line.amount,
                f"El pago {payment.payment_id} (orden {payment.order_id}): la plataforma registra "
                f"{format_clp(payment.amount)} y la rendición {format_clp(line.amount)} "
                f"(diferencia {format_clp(line.amount - payment.amount)})."))
        else:
            matched.append((payment, line))
    for payment in payments:
        if payment.payment_id not in seen:
            found.append(Discrepancy(
                DiscrepancyKind.MISSING_IN_SETTLEMENT, payment.payment_id, payment.order_id, payment.amount, None,
                f"El pago {payment.payment_id} (orden {payment.order_id}, {format_clp(payment.amount)}) está "
                "pagado en la plataforma pero no figura en la rendición de TGR."))
    _reconcile_returns(returns, [li for li in lines if li.method in RETURN_METHODS], matched, found)
    return Matching(tuple(matched), tuple(found), sum(p.amount for p in payments) + sum(r.amount for r in returns),
                    sum(li.amount for li in lines))


def _reconcile_returns(returns: Sequence[PlatformPayment], lines: Sequence[SettlementLine],
                       matched: list[tuple[PlatformPayment, SettlementLine]], found: list[Discrepancy]) -> None:
    by_reference = {r.order_id: r for r in returns}
    seen: set[str] = set()
    for line in lines:
        what = RETURN_METHODS[line.method].lower()
        known = by_reference.get(line.authorization_code)
        if known is None:
            found.append(Discrepancy(
                DiscrepancyKind.NOT_IN_PLATFORM, line.payment_id, line.authorization_code, None, line.amount,
                f"La rendición de TGR informa una {what} ({line.authorization_code}, pago {line.payment_id}, "
                f"{format_clp(line.amount)}) que no figura cerrada en la plataforma ese día."))
        elif known.order_id in seen:
            found.append(Discrepancy(
                DiscrepancyKind.DUPLICATE_IN_SETTLEMENT, known.payment_id, known.order_id, known.amount, line.amount,
                f"La rendición informa más de una vez la {what} {known.order_id} del pago {known.payment_id}."))
        elif line.amount != known.amount:
            seen.add(known.order_id)
            found.append(Discrepancy(
                DiscrepancyKind.AMOUNT_MISMATCH, known.payment_id, known.order_id, known.amount, line.amount,
                f"La {what} {known.order_id} del pago {known.payment_id}: la plataforma registra "
                f"{format_clp(known.amount)} y la rendición {format_clp(line.amount)}."))
        else:
            seen.add(known.order_id)
            matched.append((known, line))
    for known in returns:
        if known.order_id not in seen:
            found.append(Discrepancy(
                DiscrepancyKind.MISSING_IN_SETTLEMENT, known.payment_id, known.order_id, known.amount, None,
                f"La devolución o contracargo {known.order_id} del pago {known.payment_id} "
                f"({format_clp(known.amount)}) está cerrada en la plataforma pero no figura en la rendición de TGR."))


def status_of(has_settlement: bool, open_count: int) -> tuple[str, str]:
    """A day's reconciliation status and its text."""
    if not has_settlement:
        return "sin_rendicion", "Aún no llega la rendición de TGR de este día."
    if open_count:
        return "con_diferencias", f"{open_count} diferencia(s) por revisar."
    return "conciliado", "La rendición de TGR coincide con la plataforma."


# -- consolidation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One counter: what was paid on a day for a service with a payment method."""

    service: str
    method: str
    amount: int
    items: int
    payments: int


@dataclass
class Totals:
    amount: int = 0
    items: int = 0
    payments: int = 0

    def add(self, cell: Cell) -> None:
        self.amount += cell.amount
        self.items += cell.items
        self.payments += cell.payments

    def as_dict(self) -> dict[str, int]:
        return {"amount": self.amount, "payments": self.payments, "items": self.items,
                "average_ticket": average(self.amount, self.payments)}


def average(amount: int, payments: int) -> int:
    """The average ticket in whole pesos (half up), 0 when nothing was paid."""
    return to_pesos(Decimal(amount) / Decimal(payments)) if payments else 0


@dataclass(frozen=True)
class Consolidation:
    totals: Totals
    by_service: dict[str, Totals] = field(default_factory=dict)
    by_method: dict[str, Totals] = field(default_factory=dict)
    fcm_share: Decimal = Decimal("0.625")

    @property
    def permits(self) -> int:
        return self.by_service["permisos"].amount if "permisos" in self.by_service else 0

    @property
    def fcm(self) -> int:
        """The Fondo Común Municipal's share of the day's permit revenue, rounded once."""
        return to_pesos(mul(self.permits, self.fcm_share))

    def as_dict(self) -> dict[str, Any]:
        return {
            "totals": self.totals.as_dict(),
            "by_service": [{"service": s, "label": SERVICE_TEXT.get(s, s), **t.as_dict()}
                           for s, t in sorted(self.by_service.items())],
            "by_method": [{"method": m, "label": METHOD_TEXT.get(m, m), **t.as_dict()}
                          for m, t in sorted(self.by_method.items())],
            "distribution": {
                "permits_amount": self.permits, "fcm_share": decimal_text(self.fcm_share), "fcm": self.fcm,
                "municipal_permits": self.permits - self.fcm, "municipal_total": self.totals.amount - self.fcm,
                "note": "FCM = recaudación de permisos del día × participación, redondeado al peso; "
                        "municipal = total − FCM",
            },
        }


def consolidate(cells: Iterable[Cell], fcm_share: Decimal) -> Consolidation:
    """Totals by service and by method and the FCM share, from counter cells."""
    totals = Totals()
    by_service: dict[str, Totals] = defaultdict(Totals)
    by_method: dict[str, Totals] = defaultdict(Totals)
    for cell in cells:
        totals.add(cell)
        by_service[cell.service].add(cell)
        by_method[cell.method].add(cell)
    return Consolidation(totals, dict(by_service), dict(by_method), fcm_share)
