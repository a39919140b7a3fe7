"""Editing the UTM, IPC and semestral interest-rate tables: validated by the domain, history kept, audited."""

from __future__ import annotations

from typing import Any, Literal

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.reference_repo import ReferenceRepository
from chalicelib.domain.units import ipc_variation_from_record, semestral_rate_from_record, utm_value_from_record

PLATFORM = "00000"


def set_month(name: Literal["UTM", "IPC", "TASA"], month: str, values: dict[str, Any], *,
              references: ReferenceRepository, audit: AuditLog, actor: str, profile: str) -> dict[str, Any]:
    """Validate and store one month's value; returns the stored record."""
    record = {"month": month, **values}
    if name == "UTM":
        utm_value_from_record(record)
    elif name == "IPC":
        ipc_variation_from_record(record)
    else:
        semestral_rate_from_record(record)
    before = next((r for r in references.records(name) if r.get("month") == month), None)
    saved = references.put(name, record, actor=actor)
    audit.record(PLATFORM, actor=actor, profile=profile, action=f"reference.{name.lower()}.set",
                 target=month, before=_summary(before), after=_summary(saved))
    return saved


def _summary(record: dict[str, Any] | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {k: record[k] for k in ("value", "variation_percent", "annual_percent", "source", "projected")
            if k in record}
