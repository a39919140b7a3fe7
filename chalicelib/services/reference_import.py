"""Importing the UTM and IPC from the CMF's API, and an official's confirmation before use.

An imported month is stored apart (`IMPORT_UTM` / `IMPORT_IPC`, status `pending`) and is NOT
used by any rule until the central administrator confirms it; confirming copies it into the
table the rules read (through `reference_admin.set_month`, so it is validated, audited and the
previous value kept in history). A month the CMF does not have yet answers `not_published`; a
month already confirmed with the same value answers `already_confirmed`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.cmf_client import CmfClient
from chalicelib.adapters.reference_repo import ReferenceRepository
from chalicelib.domain.errors import NotFound
from chalicelib.domain.money import decimal_text
from chalicelib.domain.units import YearMonth, ipc_variation_from_record, utm_value_from_record
from chalicelib.services import reference_admin

Table = Literal["UTM", "IPC"]
PLATFORM = "00000"
_PUBLISHER = {"UTM": "publicada por el SII", "IPC": "publicada por el INE"}


def _import_table(table: Table) -> Literal["IMPORT_UTM", "IMPORT_IPC"]:
    return "IMPORT_UTM" if table == "UTM" else "IMPORT_IPC"


def import_month(table: Table, month: str, *, client: CmfClient, references: ReferenceRepository,
                 audit: AuditLog, actor: str, profile: str) -> dict[str, Any]:
    """Fetch one month from the CMF and keep it pending confirmation; returns ``{"status", "record"?}``."""
    when = YearMonth.parse(month, field="month")
    fetched = client.month("utm" if table == "UTM" else "ipc", when)
    if fetched is None:
        return {"status": "not_published", "month": str(when)}
    now = datetime.now(UTC)
    source = (f"API CMF (api.cmfchile.cl), {_PUBLISHER[table]}; importada el {now:%d-%m-%Y}; "
              "confirmada por el administrador central antes de usarse")
    record: dict[str, Any] = {"month": str(when), "source": source, "projected": False}
    if table == "UTM":
        record["value"] = int(fetched.value)
        utm_value_from_record(record)
    else:
        record["variation_percent"] = decimal_text(fetched.value)
        ipc_variation_from_record(record)
    current = next((r for r in references.records(table) if r.get("month") == str(when)), None)
    field = "value" if table == "UTM" else "variation_percent"
    if current is not None and not current.get("projected") and str(current.get(field)) == str(record[field]):
        return {"status": "already_confirmed", "month": str(when), "record": current}
    saved = references.put(_import_table(table), {**record, "status": "pending"}, actor=actor)
    audit.record(PLATFORM, actor=actor, profile=profile, action=f"reference.{table.lower()}.imported",
                 target=str(when), before=None, after={field: record[field], "status": "pending"})
    return {"status": "pending", "month": str(when), "record": saved}


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
    field = "value" if table == "UTM" else "variation_percent"
    values = {field: found[field], "source": found["source"], "projected": False}
    saved = reference_admin.set_month(table, when, values, references=references, audit=audit, actor=actor,
                                      profile=profile)
    references.put(_import_table(table), {k: v for k, v in found.items() if k not in ("updated_at", "updated_by",
                                                                                       "version")}
                   | {"status": "confirmed"}, actor=actor)
    return saved
