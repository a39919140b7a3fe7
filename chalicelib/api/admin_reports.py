"""Officials: a day's consolidation and reconciliation with TGR (discrepancies to comment and
resolve), and the operation reports — a municipality's (JSON, CSV) and the central one (JSON, CSV,
PDF with charts)."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any, Final, Literal

from chalice.app import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, parse_body, parse_query
from chalicelib.api.models import Strict
from chalicelib.api.operations import operation
from chalicelib.documents.report_pdf import central_pdf
from chalicelib.domain.chile_time import SANTIAGO
from chalicelib.services import reconciliation as recon_service
from chalicelib.services import reports
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

PDF_LINK_SECONDS: Final = 300


# -- models --------------------------------------------------------------------------------------

class CommentIn(Strict):
    """A comment on a discrepancy."""

    text: str = Field(min_length=1, max_length=1000, description="Comentario (se agrega; nada se sobrescribe).")


class ResolveIn(Strict):
    """How a discrepancy was resolved."""

    outcome: Literal["aclarada", "ajuste_contable", "reclamo_tgr", "otra"] = Field(
        description="aclarada: no era un error; ajuste_contable; reclamo_tgr: se reclamó a TGR; otra.")
    note: str = Field(min_length=3, max_length=1000, description="Qué se hizo y por qué.")


class MunicipalReportQuery(Strict):
    """`from`–`to` inclusive (at most 366 days), grouped by day, month, service or payment method."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    date_from: date = Field(alias="from", description="Primer día (AAAA-MM-DD).")
    date_to: date = Field(alias="to", description="Último día (AAAA-MM-DD).")
    group: Literal["day", "month", "service", "method"] = "month"
    format: Literal["json", "csv"] = "json"


class CentralReportQuery(Strict):
    """The year to date (or to `as_of`) and the same dates of the previous year."""

    year: int = Field(ge=2000, le=2100, description="Año del informe.")
    as_of: date | None = Field(default=None, description="Fecha de corte (por omisión, hoy o el 31-12).")
    format: Literal["json", "csv", "pdf"] = "json"


# -- consolidation and reconciliation ---------------------------------------------------------------

@bp.route("/v1/admin/municipalities/{code}/consolidation/{day}", methods=["GET"], cors=True)
@operation("getConsolidation",
           "Consolidación del día: totales por servicio y medio de pago, participación FCM y estado de la conciliación",
           tag="reconciliation", security="officialToken", errors=(400, 401, 403, 404))
@api_view
def consolidation(code: str, day: str) -> Response:
    """The day's totals by service and method, the FCM share of permit revenue, the municipal share
    and the reconciliation status."""
    authorized(bp.current_request, Permission.RECONCILIATION_READ, code)
    return json_response(recon_service.consolidation(code, day, wiring.reconciliation_context()))


@bp.route("/v1/admin/municipalities/{code}/reconciliation/{day}", methods=["GET"], cors=True)
@operation("getReconciliation", "Conciliación del día con la rendición de TGR: versiones y diferencias con su historia",
           tag="reconciliation", security="officialToken", errors=(400, 401, 403, 404))
@api_view
def reconciliation_day(code: str, day: str) -> Response:
    """The day's reconciliation with TGR's settlement: versions, discrepancies and their history."""
    authorized(bp.current_request, Permission.RECONCILIATION_READ, code)
    return json_response(recon_service.day_view(code, day, wiring.reconciliation_context()))


@bp.route("/v1/admin/municipalities/{code}/reconciliation/{day}/run", methods=["POST"], cors=True)
@operation("runReconciliation", "Volver a conciliar el día (p. ej. tras un pago tardío)", tag="reconciliation",
           security="officialToken", errors=(400, 401, 403, 404))
@api_view
def reconcile_again(code: str, day: str) -> Response:
    """Reconcile the day again (after a late payment); discrepancies are kept, cleared or re-opened."""
    official = authorized(bp.current_request, Permission.RECONCILIATION_RESOLVE, code)
    ctx = wiring.reconciliation_context()
    run = recon_service.reconcile_day(code, recon_service.check_day(day), ctx, trigger=f"manual: {official.email}")
    return json_response(run)


@bp.route("/v1/admin/municipalities/{code}/reconciliation/{day}/discrepancies/{discrepancy_id}/comments",
          methods=["POST"], cors=True)
@operation("commentDiscrepancy", "Comentar una diferencia", tag="reconciliation", body=CommentIn, success=201,
           security="officialToken", errors=(400, 401, 403, 404))
@api_view
def comment(code: str, day: str, discrepancy_id: str) -> Response:
    """Add a comment to a discrepancy."""
    official = authorized(bp.current_request, Permission.RECONCILIATION_COMMENT, code)
    body = parse_body(bp.current_request, CommentIn)
    event = recon_service.comment(code, day, discrepancy_id, body.text.strip(), actor=official.email,
                                  profile=official.profile, ctx=wiring.reconciliation_context())
    return json_response(event, status=201)


@bp.route("/v1/admin/municipalities/{code}/reconciliation/{day}/discrepancies/{discrepancy_id}/resolve",
          methods=["POST"], cors=True)
@operation("resolveDiscrepancy", "Resolver una diferencia abierta", tag="reconciliation", body=ResolveIn,
           security="officialToken", errors=(400, 401, 403, 404, 409))
@api_view
def resolve(code: str, day: str, discrepancy_id: str) -> Response:
    """Resolve an open discrepancy (409 if it is not open)."""
    official = authorized(bp.current_request, Permission.RECONCILIATION_RESOLVE, code)
    body = parse_body(bp.current_request, ResolveIn)
    record = recon_service.resolve(code, day, discrepancy_id, outcome=body.outcome, note=body.note.strip(),
                                   actor=official.email, profile=official.profile, ctx=wiring.reconciliation_context())
    return json_response(record)


# -- reports -------------------------------------------------------------------------------------

def _csv_response(text: str, filename: str) -> Response:
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/v1/admin/municipalities/{code}/reports", methods=["GET"], cors=True)
@operation("getMunicipalReport", "Informe de la municipalidad por día, mes, servicio o medio de pago (JSON o CSV)",
           tag="reports", query=MunicipalReportQuery, security="officialToken", errors=(400, 401, 403))
@api_view
def municipal_report(code: str) -> Response:
    """Collections, transactions, items and average ticket by day, month, service or method."""
    authorized(bp.current_request, Permission.REPORTS_MUNICIPAL, code)
    query = parse_query(bp.current_request, MunicipalReportQuery)
    report = reports.municipal_report(code, query.date_from, query.date_to, query.group, wiring.reports_context())
    if query.format == "csv":
        return _csv_response(reports.municipal_csv(report),
                             f"informe-{code}-{query.date_from}-{query.date_to}-{query.group}.csv")
    return json_response(report)


@bp.route("/v1/admin/central/reports", methods=["GET"], cors=True)
@operation("getCentralReport",
           "Estadísticas nacionales del año con comparación a la misma fecha del año anterior (JSON, CSV o PDF)",
           tag="reports", query=CentralReportQuery, security="officialToken", errors=(400, 401, 403))
@api_view
def central_report() -> Response:
    """Municipalities with payments, transactions and amount in the year to date, against the same
    date of the previous year. `format=pdf` answers a short-lived download link to the PDF."""
    authorized(bp.current_request, Permission.REPORTS_CENTRAL)
    query = parse_query(bp.current_request, CentralReportQuery)
    report = reports.central_report(query.year, wiring.reports_context(), as_of=query.as_of)
    if query.format == "csv":
        return _csv_response(reports.central_csv(report), f"estadisticas-sem-{query.year}.csv")
    if query.format == "pdf":
        return json_response(_pdf_link(report))
    return json_response(report)


def _pdf_link(report: dict[str, Any]) -> dict[str, Any]:
    """Build the PDF, keep it in the uploads bucket (platform prefix) and link to it: API Gateway
    would need `application/pdf` as a binary type to answer it inline."""
    now = datetime.now(SANTIAGO)
    pdf = central_pdf(report, generated_at=now.strftime("%d-%m-%Y %H:%M"))
    key = f"00000/reports/central/{report['year']}/{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.pdf"
    store = wiring.uploads_store()
    store.put(key, pdf, content_type="application/pdf")
    filename = f"estadisticas-sem-{report['year']}.pdf"
    return {"year": report["year"], "as_of": report["as_of"], "sentence": report["sentence"], "key": key,
            "bytes": len(pdf), "download_url": store.presign_get(key, expires_in=PDF_LINK_SECONDS, filename=filename),
            "expires_in": PDF_LINK_SECONDS}
