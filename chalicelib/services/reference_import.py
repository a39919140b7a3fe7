"""Importing the UTM, IPC and semestral penalty rate from the CMF's API, and an official's
confirmation before use.

An imported month is stored apart (`IMPORT_UTM` / `IMPORT_IPC` / `IMPORT_TASA`, status `pending`)
and is NOT used by any rule until the central administrator confirms it; confirming copies it
into the table the rules read (through `reference_admin.set_month`, so it is validated, audited
and the previous value kept in history). A month the CMF does not have yet answers
`not_published`; a month already confirmed with the same value answers `already_confirmed`; one
already waiting with the same value answers `already_pending` and writes nothing (so a scheduled
run repeated imports nothing new).

The semestral rate (Código Tributario art. 53 as amended by Ley 21.713) of a semester starting in
January or July is the CMF's *tasa de interés corriente* for readjustable operations of one year
or more up to 2.000 UF published in the month before (December or June; SII Res. Ex. N° 205 of
2025 used the rate published on 15-12-2025) plus 3,5 points. The SII fixes it by resolution: the
imported figure is the administrator's to check against that resolution before confirming it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, Literal

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.cmf_client import CmfClient
from chalicelib.adapters.reference_repo import ReferenceRepository
from chalicelib.domain.errors import DependencyUnavailable, NotFound
from chalicelib.domain.money import decimal_text
from chalicelib.domain.units import (
    YearMonth,
    ipc_variation_from_record,
    semestral_rate_from_record,
    utm_value_from_record,
)
from chalicelib.services import reference_admin

Table = Literal["UTM", "IPC", "TASA"]
PLATFORM = "00000"
_PUBLISHER = {"UTM": "publicada por el SII", "IPC": "publicada por el INE"}
_FIELD = {"UTM": "value", "IPC": "variation_percent", "TASA": "annual_percent"}
ART53_SPREAD: Final = Decimal("3.5")
"""Points art. 53 of the Código Tributario (Ley 21.713) adds to the CMF's rate."""


def _import_table(table: Table) -> Literal["IMPORT_UTM", "IMPORT_IPC", "IMPORT_TASA"]:
    if table == "UTM":
        return "IMPORT_UTM"
    return "IMPORT_IPC" if table == "IPC" else "IMPORT_TASA"


def import_month(table: Table, month: str, *, client: CmfClient, references: ReferenceRepository,
                 audit: AuditLog, actor: str, profile: str) -> dict[str, Any]:
    """Fetch one month from the CMF and keep it pending confirmation; returns ``{"status", "record"?}``.

    For ``TASA``, ``month`` is the semester's first month (AAAA-01 or AAAA-07)."""
    when = YearMonth.parse(month, field="month")
    record = _fetch(table, when, client)
    if record is None:
        return {"status": "not_published", "month": str(when)}
    field = _FIELD[table]
    current = next((r for r in references.records(table) if r.get("month") == str(when)), None)
    if current is not None and not current.get("projected") and _same(current.get(field), record[field]):
        return {"status": "already_confirmed", "month": str(when), "record": current}
    waiting = next((r for r in pending(table, references) if r.get("month") == str(when)), None)
    if waiting is not None and _same(waiting.get(field), record[field]):
        return {"status": "already_pending", "month": str(when), "record": waiting}
    saved = references.put(_import_table(table), {**record, "status": "pending"}, actor=actor)
    audit.record(PLATFORM, actor=actor, profile=profile, action=f"reference.{table.lower()}.imported",
                 target=str(when), before=None, after={field: record[field], "status": "pending"})
    return {"status": "pending", "month": str(when), "record": saved}


def _fetch(table: Table, when: YearMonth, client: CmfClient) -> dict[str, Any] | None:
    """The record to keep pending, validated by the domain (None when the CMF has not published it)."""
    imported = f"importada el {datetime.now(UTC):%d-%m-%Y}; confirmada por el administrador central antes de usarse"
    record: dict[str, Any] = {"month": str(when), "projected": False}
    if table == "TASA":
        if when.month not in (1, 7):
            semestral_rate_from_record(record)  # raises the domain's invalid_rate_month
        rate = client.art53_rate(when.plus(-1))
        if rate is None:
            return None
        record["annual_percent"] = decimal_text(rate.annual_percent + ART53_SPREAD)
        record["source"] = (
            f"API CMF (api.cmfchile.cl): tasa de interés corriente, operaciones reajustables en moneda nacional "
            f"de un año o más ≤ 2.000 UF (tipo 24), vigente desde {_day(rate.in_force_from)}: "
            f"{decimal_text(rate.annual_percent).replace('.', ',')}% + 3,5 puntos (art. 53 Código Tributario, "
            f"Ley 21.713); contrastar con la resolución semestral del SII; {imported}")
        semestral_rate_from_record(record)
        return record
    fetched = client.month("utm" if table == "UTM" else "ipc", when)
    if fetched is None:
        return None
    record["source"] = f"API CMF (api.cmfchile.cl), {_PUBLISHER[table]}; {imported}"
    if table == "UTM":
        record["value"] = int(fetched.value)
        utm_value_from_record(record)
    else:
        record["variation_percent"] = decimal_text(fetched.value)
        ipc_variation_from_record(record)
    return record


def _same(stored: object, imported: object) -> bool:
    """Equal as numbers ("8.00" and "8" are the same rate)."""
    try:
        return Decimal(str(stored)) == Decimal(str(imported))
    except ArithmeticError:
        return False


def _day(iso: str) -> str:
    """``2025-12-15`` → ``15-12-2025`` (as officials read dates); anything else unchanged."""
    parts = iso[:10].split("-")
    return "-".join(reversed(parts)) if len(parts) == 3 else iso


def pending(table: Table, references: ReferenceRepository) -> list[dict[str, Any]]:
    """Imported months waiting for confirmation, oldest first."""
    return [r for r in references.records(_import_table(table)) if r.get("status") == "pending"]


def confirm_month(table: Table, month: str, *, references: ReferenceRepository, audit: AuditLog,
                  actor: str, profile: str) -> dict[str, Any]:
    """Copy a pending imported month into the table the rules use; NotFound if none is pending."""
    when = str(YearMonth.parse(month, field="month"))
    found = next((r for r in pending(table, references) if r.get("month") == when), None)
    if found is None:
        raise NotFound(f"No hay un valor importado pendiente de confirmación para {when}.",
                       code="import_not_found", field="month")
    field = _FIELD[table]
    values = {field: found[field], "source": found["source"], "projected": False}
    saved = reference_admin.set_month(table, when, values, references=references, audit=audit, actor=actor,
                                      profile=profile)
    references.put(_import_table(table), {k: v for k, v in found.items() if k not in ("updated_at", "updated_by",
                                                                                       "version")}
                   | {"status": "confirmed"}, actor=actor)
    return saved


LOOKBACK_MONTHS: Final = 12
"""How far back a scheduled run looks for months not yet confirmed (the CMF keeps history)."""
SCHEDULER: Final = "importación programada (API CMF)"


def months_to_import(table: Table, today: date, references: ReferenceRepository) -> list[YearMonth]:
    """The months a scheduled run asks the CMF for: recent ones whose published value is not yet in
    the table the rules read (a projected row counts as missing). UTM: through this month (the SII
    publishes it on the first working day); IPC: through last month (INE, around the 8th); the
    semestral rate: this semester and, in June and December, the next one."""
    now = YearMonth.of(today)
    if table == "TASA":
        start = YearMonth(today.year, 1 if today.month <= 6 else 7)
        wanted = [start] + ([start.plus(6)] if today.month in (6, 12) else [])
    else:
        last = now if table == "UTM" else now.plus(-1)
        wanted = list(last.plus(-(LOOKBACK_MONTHS - 1)).through(last))
    confirmed = {str(r.get("month")) for r in references.records(table) if not r.get("projected")}
    return [m for m in wanted if str(m) not in confirmed]


def scheduled_import(today: date, *, client: CmfClient, references: ReferenceRepository,
                     audit: AuditLog) -> dict[str, int]:
    """One scheduled pass: import every missing month of the three tables, each left pending until
    the central administrator confirms it. Idempotent: a second run finds them pending with the same
    value and writes nothing. Stops at the first CMF failure (the next run tries again)."""
    counts = {"asked": 0, "pending": 0, "already_pending": 0, "already_confirmed": 0, "not_published": 0,
              "failed": 0}
    tables: tuple[Table, ...] = ("UTM", "IPC", "TASA")
    for table in tables:
        for month in months_to_import(table, today, references):
            counts["asked"] += 1
            try:
                result = import_month(table, str(month), client=client, references=references, audit=audit,
                                      actor=SCHEDULER, profile="sistema")
            except DependencyUnavailable:
                counts["failed"] += 1
                return counts
            counts[str(result["status"])] += 1
    return counts
