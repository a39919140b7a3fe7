"""Central administration of the UTM, IPC and semestral interest-rate tables (SUBDERE)."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import current_official
from chalicelib.api.http import api_view, json_response, parse_body, typed
from chalicelib.api.models import Strict
from chalicelib.api.models_reference import ReferenceImportOut, ReferenceMonthSavedOut, ReferenceTableOut
from chalicelib.api.operations import operation
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.services import reference_admin, reference_import
from chalicelib.services.auth import require
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

TABLES = {"utm": "UTM", "ipc": "IPC", "interest": "TASA"}
FIELD_OF = {"UTM": "value", "IPC": "variation_percent", "TASA": "annual_percent"}


class ReferenceValueIn(Strict):
    """A month's value: `value` (UTM, whole pesos), `variation_percent` (IPC, e.g. "0.4") or
    `annual_percent` (the SII's semestral penalty rate, e.g. "8.12", keyed by the semester's first month)."""

    value: int | None = Field(default=None, description="UTM del mes, en pesos.")
    variation_percent: str | None = Field(default=None, pattern=r"^-?\d{1,2}(\.\d{1,2})?$",
                                          description="Variación mensual del IPC, en %, p. ej. \"0.4\".")
    annual_percent: str | None = Field(default=None, pattern=r"^\d{1,2}(\.\d{1,4})?$",
                                       description="Tasa semestral de interés moratorio (art. 53), en %.")
    source: str = Field(min_length=3, max_length=300, description="Fuente (p. ej. SII, INE, fecha).")
    projected: bool = False


def _table(name: str) -> Literal["UTM", "IPC", "TASA"]:
    table = TABLES.get(name)
    if table == "UTM":
        return "UTM"
    if table == "IPC":
        return "IPC"
    if table == "TASA":
        return "TASA"
    raise NotFound("Tabla desconocida; use utm, ipc o interest.", code="unknown_table", field="table")


@bp.route("/v1/admin/reference/{table}", methods=["GET"], cors=True)
@operation("listReferenceValues", "Tabla de UTM, IPC o tasa semestral de interés (utm, ipc, interest)", tag="admin",
           security="officialToken", errors=(401, 403, 404), response=ReferenceTableOut)
@api_view
def list_reference(table: str) -> Response:
    """Every month of a table, with source and whether it is projected."""
    official = current_official(bp.current_request)
    require(official, Permission.REFERENCE_READ)
    name = _table(table)
    return json_response(typed(ReferenceTableOut, {"table": name, "months": wiring.references().records(name)}))


@bp.route("/v1/admin/reference/{table}/{month}", methods=["PUT"], cors=True)
@operation("putReferenceValue", "Fijar la UTM, el IPC o la tasa semestral de un mes (administrador SUBDERE)",
           tag="admin", body=ReferenceValueIn, security="officialToken", errors=(400, 401, 403, 404),
           response=ReferenceMonthSavedOut)
@api_view
def put_reference(table: str, month: str) -> Response:
    """Set a month's UTM, IPC or semestral rate (central administrator); the previous value is kept in history."""
    official = current_official(bp.current_request)
    require(official, Permission.REFERENCE_EDIT)
    name = _table(table)
    body = parse_body(bp.current_request, ReferenceValueIn)
    given = {"value": body.value, "variation_percent": body.variation_percent, "annual_percent": body.annual_percent}
    field = FIELD_OF[name]
    if given[field] is None or any(v is not None for k, v in given.items() if k != field):
        raise InvalidInput(f"Para la tabla {name} indique solo {field}.", code="invalid_input", field=field)
    saved = reference_admin.set_month(
        name, month, body.model_dump(exclude_none=True), references=wiring.references(),
        audit=wiring.audit_log(), actor=official.email, profile=official.profile)
    return json_response(typed(ReferenceMonthSavedOut, {"table": name, "month": saved}), status=200)



class ImportIn(Strict):
    """Which month to import from the CMF's API (for the semestral rate, the semester's first month)."""

    month: str = Field(pattern=r"^\d{4}-\d{2}$",
                       description="Mes a importar, AAAA-MM (tasa semestral: AAAA-01 o AAAA-07).")


def _importable(table: str) -> Literal["UTM", "IPC", "TASA"]:
    """Every table is importable: the semestral rate as the CMF's rate + 3,5 points (art. 53), which the
    administrator checks against the SII's resolution before confirming."""
    return _table(table)


@bp.route("/v1/admin/reference/{table}/import", methods=["POST"], cors=True)
@operation("importReferenceValue",
           "Importar la UTM o el IPC de un mes desde la API de la CMF (queda pendiente de confirmación)", tag="admin",
           body=ImportIn, security="officialToken", errors=(400, 401, 403, 404, 503), response=ReferenceImportOut)
@api_view
def import_reference(table: str) -> Response:
    """Import a month of UTM, IPC or the semestral rate from the CMF's API; it waits for confirmation
    before any rule uses it."""
    official = current_official(bp.current_request)
    require(official, Permission.REFERENCE_EDIT)
    name = _importable(table)
    body = parse_body(bp.current_request, ImportIn)
    result = reference_import.import_month(name, body.month, client=wiring.cmf_client(),
                                           references=wiring.references(), audit=wiring.audit_log(),
                                           actor=official.email, profile=official.profile)
    return json_response(typed(ReferenceImportOut, {"table": name, **result}))


@bp.route("/v1/admin/reference/{table}/pending", methods=["GET"], cors=True)
@operation("listPendingReferenceValues", "Meses importados pendientes de confirmación", tag="admin",
           security="officialToken", errors=(400, 401, 403, 404), response=ReferenceTableOut)
@api_view
def list_pending(table: str) -> Response:
    """Imported months waiting for the central administrator's confirmation."""
    official = current_official(bp.current_request)
    require(official, Permission.REFERENCE_READ)
    name = _importable(table)
    months = reference_import.pending(name, wiring.references())
    return json_response(typed(ReferenceTableOut, {"table": name, "months": months}))


@bp.route("/v1/admin/reference/{table}/{month}/confirm", methods=["POST"], cors=True)
@operation("confirmReferenceValue", "Confirmar un mes importado: desde ese momento lo usan los cálculos", tag="admin",
           security="officialToken", errors=(400, 401, 403, 404), response=ReferenceMonthSavedOut)
@api_view
def confirm_reference(table: str, month: str) -> Response:
    """Confirm an imported month: from now on the rules use it."""
    official = current_official(bp.current_request)
    require(official, Permission.REFERENCE_EDIT)
    name = _importable(table)
    saved = reference_import.confirm_month(name, month, references=wiring.references(), audit=wiring.audit_log(),
                                           actor=official.email, profile=official.profile)
    return json_response(typed(ReferenceMonthSavedOut, {"table": name, "month": saved}))
