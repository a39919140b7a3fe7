"""Response shapes of the reference tables' routes: UTM, IPC and the semestral interest rate
(chalicelib/api/admin_reference.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import DecimalText, IsoDateTime, IsoMonth, Out, Pesos

Table = Literal["UTM", "IPC", "TASA"]


class ReferenceMonthOut(Out):
    """One month's value with its source: `value` (UTM), `variation_percent` (IPC) or
    `annual_percent` (semestral rate), whichever the table holds."""

    month: IsoMonth
    value: Pesos | None = None
    variation_percent: DecimalText | None = None
    annual_percent: DecimalText | None = None
    source: str
    projected: bool = Field(description="true: valor proyectado, aún no publicado.")
    status: Literal["pending", "confirmed"] | None = Field(
        default=None, description="Solo un mes importado desde la CMF: pendiente o ya confirmado.")
    updated_at: IsoDateTime | None = None
    updated_by: str | None = None
    version: int | None = None


class ReferenceTableOut(Out):
    table: Table
    months: list[ReferenceMonthOut]


class ReferenceMonthSavedOut(Out):
    table: Table
    month: ReferenceMonthOut


class ReferenceImportOut(Out):
    """What the import did: `pending` (waits for confirmation), `already_pending`,
    `already_confirmed` (the same value is in force) or `not_published` (the CMF has none yet)."""

    table: Table
    status: Literal["pending", "already_pending", "already_confirmed", "not_published"]
    month: IsoMonth
    record: ReferenceMonthOut | None = None
