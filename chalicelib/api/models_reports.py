"""Response shapes of the reconciliation and report routes: a day's consolidation and its
reconciliation with TGR's settlement, the municipal and the central reports
(chalicelib/api/admin_reports.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, RootModel

from chalicelib.api.models import DecimalText, IsoDate, IsoDateTime, Out, Pesos

ReconciliationStatus = Literal["sin_rendicion", "con_diferencias", "conciliado"]


class FiguresOut(Out):
    """Collections of a period or a group: amount, payments, items and the average ticket (half up)."""

    amount: Pesos
    payments: int
    items: int
    average_ticket: Pesos


class ServiceFiguresOut(FiguresOut):
    service: str = Field(description="permisos, patentes o aseo.")
    label: str


class MethodFiguresOut(FiguresOut):
    method: str = Field(description="Medio de pago informado por TGR (p. ej. debito, credito).")
    label: str


class DistributionOut(Out):
    """The Fondo Común Municipal's share of the day's permit revenue (DL 3063 art. 14) and the rest."""

    permits_amount: Pesos
    fcm_share: DecimalText
    fcm: Pesos
    municipal_permits: Pesos
    municipal_total: Pesos
    note: str


class ReconciliationRunOut(Out):
    """One reconciliation run; the settlement's fields only when there was a settlement to compare."""

    at: IsoDateTime
    trigger: str = Field(description="schedule, settlement o manual: <correo>.")
    payments: int
    returns: int
    platform_total: Pesos
    status: ReconciliationStatus
    status_text: str
    settlement_version: int | None = None
    settlement_sha256: str | None = None
    settlement_generated_at: str | None = None
    lines: int | None = None
    settlement_total: Pesos | None = None
    matched: int | None = None
    discrepancies: int | None = None
    open: int | None = None


class SettlementFileOut(Out):
    """A version of TGR's settlement file for the day."""

    version: int | None
    key: str | None
    sha256: str | None
    status: Literal["received", "ingested", "rejected"] | None
    generated_at: str | None
    received_at: IsoDateTime | None
    lines: int | None
    total: Pesos | None
    reason: str | None = Field(description="Por qué se rechazó el archivo.")


class DayReconciliationStateOut(Out):
    status: ReconciliationStatus
    status_text: str
    open: int = Field(description="Diferencias abiertas.")
    settlement: SettlementFileOut | None
    last_run: ReconciliationRunOut | None


class ConsolidationOut(Out):
    """The day's totals by service and method, the FCM share and the reconciliation status."""

    municipality: str
    day: IsoDate
    totals: FiguresOut
    by_service: list[ServiceFiguresOut]
    by_method: list[MethodFiguresOut]
    distribution: DistributionOut
    reconciliation: DayReconciliationStateOut


class DiscrepancyEventOut(Out):
    """A step of a discrepancy's history: detected, reopened, cleared, comment or resolved."""

    type: Literal["detected", "reopened", "cleared", "comment", "resolved"]
    at: IsoDateTime
    text: str | None = None
    settlement_version: int | None = None
    by: str | None = None
    profile: str | None = None
    outcome: Literal["aclarada", "ajuste_contable", "reclamo_tgr", "otra"] | None = None


class DiscrepancyOut(Out):
    discrepancy_id: str
    kind: Literal["missing_in_settlement", "not_in_platform", "amount_mismatch", "duplicate_in_settlement"]
    kind_text: str
    payment_id: str | None = None
    order_id: str | None = None
    platform_amount: Pesos | None = None
    settlement_amount: Pesos | None = None
    detail: str
    status: Literal["open", "cleared", "resolved"]
    status_text: str | None = None
    detected_at: IsoDateTime
    settlement_version: int
    resolved_at: IsoDateTime | None = None
    resolved_by: str | None = None
    events: list[DiscrepancyEventOut] | None = None


class ReconciliationDayOut(Out):
    municipality: str
    day: IsoDate
    status: ReconciliationStatus
    status_text: str
    open: int
    last_run: ReconciliationRunOut | None
    settlement: SettlementFileOut | None
    files: list[SettlementFileOut]
    discrepancies: list[DiscrepancyOut]


class MunicipalReportRowOut(FiguresOut):
    key: str = Field(description="El día (AAAA-MM-DD), el mes (AAAA-MM), el servicio o el medio de pago.")
    label: str


class MunicipalReportOut(Out):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    municipality: str
    date_from: IsoDate = Field(alias="from")
    date_to: IsoDate = Field(alias="to")
    group: Literal["day", "month", "service", "method"]
    rows: list[MunicipalReportRowOut]
    totals: FiguresOut
    source: str


class MonthFiguresOut(FiguresOut):
    month: int = Field(ge=1, le=12)
    label: str


class CentralPeriodOut(FiguresOut):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    date_from: IsoDate = Field(alias="from")
    date_to: IsoDate = Field(alias="to")
    municipalities: int = Field(description="Municipalidades con pagos en el período.")
    by_month: list[MonthFiguresOut]
    by_service: list[ServiceFiguresOut]


class CentralChangeOut(Out):
    amount_percent: int | None = Field(description="Variación entera de la recaudación; null sin base de comparación.")
    payments_percent: int | None
    municipalities: int


class CentralReportOut(Out):
    """The platform's year to date against the same dates of the previous year."""

    year: int
    as_of: IsoDate
    current: CentralPeriodOut
    previous: CentralPeriodOut
    change: CentralChangeOut
    sentence: str
    note: str


class CentralReportPdfOut(Out):
    """`format=pdf`: a short-lived link to the report's PDF."""

    year: int
    as_of: IsoDate
    sentence: str
    key: str
    bytes: int
    download_url: str
    expires_in: int = Field(description="Segundos de validez del enlace.")


class CentralReportAnswerOut(RootModel[CentralReportOut | CentralReportPdfOut]):
    """`GET /v1/admin/central/reports`: the report (`format=json`) or the link to its PDF (`format=pdf`)."""
