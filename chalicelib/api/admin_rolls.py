"""Officials: the municipality's rolls (patentes, aseo) — upload a CSV, process it, see its errors."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, parse_body, parse_query, typed
from chalicelib.api.models import Strict
from chalicelib.api.models_rolls import RollUploadOut, RollUploadsPageOut, RollUploadStartedOut, RollUploadStatusOut
from chalicelib.api.operations import operation
from chalicelib.services import admin_rolls
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)


class RollUploadIn(Strict):
    """The file about to be uploaded: its name (for people) and its exact size in bytes."""

    filename: str = Field(min_length=1, max_length=120, pattern=r"^[^/\\\x00-\x1f]+$")
    content_length: int = Field(ge=1, le=admin_rolls.MAX_ROLL_BYTES, description="Tamaño exacto del archivo, en bytes.")


class PageIn(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


@bp.route("/v1/admin/municipalities/{code}/rolls/uploads", methods=["POST"], cors=True)
@operation("startRollUpload", "Iniciar la carga de un rol (URL prefirmada para PUT del CSV) — rolls.upload",
           tag="admin", body=RollUploadIn, success=201, security="officialToken", errors=(400, 401, 403),
           response=RollUploadStartedOut)
@api_view
def start_upload(code: str) -> Response:
    """A new roll upload and its presigned PUT URL (10 minutes; send exactly that size, text/csv)."""
    official = authorized(bp.current_request, Permission.ROLLS_UPLOAD, code)
    body = parse_body(bp.current_request, RollUploadIn)
    return json_response(typed(RollUploadStartedOut, admin_rolls.start_upload(code, body.filename, body.content_length,
                                                                              official, wiring.rolls_admin())),
                         status=201)


@bp.route("/v1/admin/municipalities/{code}/rolls/uploads", methods=["GET"], cors=True)
@operation("listRollUploads", "Cargas de roles, más recientes primero — rolls.read", tag="admin", query=PageIn,
           security="officialToken", errors=(400, 401, 403), response=RollUploadsPageOut)
@api_view
def list_uploads(code: str) -> Response:
    """The municipality's roll uploads, newest first."""
    authorized(bp.current_request, Permission.ROLLS_READ, code)
    query = parse_query(bp.current_request, PageIn)
    return json_response(typed(RollUploadsPageOut, admin_rolls.list_uploads(code, wiring.rolls_admin(),
                                                                            limit=query.limit, cursor=query.cursor)))


@bp.route("/v1/admin/municipalities/{code}/rolls/uploads/{upload_id}/process", methods=["POST"], cors=True)
@operation("processRollUpload",
           "Validar y cargar el rol subido (idempotente; repetir mientras esté en proceso) — rolls.upload", tag="admin",
           security="officialToken", errors=(401, 403, 404, 422), response=RollUploadOut)
@api_view
def process_upload(code: str, upload_id: str) -> Response:
    """Validate every line and load the good ones (idempotent; call again while `processing`)."""
    official = authorized(bp.current_request, Permission.ROLLS_UPLOAD, code)
    return json_response(typed(RollUploadOut, admin_rolls.process_upload(code, upload_id, official,
                                                                         wiring.rolls_admin())))


@bp.route("/v1/admin/municipalities/{code}/rolls/uploads/{upload_id}", methods=["GET"], cors=True)
@operation("getRollUpload", "Estado, avance y errores por línea de una carga — rolls.read", tag="admin", query=PageIn,
           security="officialToken", errors=(400, 401, 403, 404), response=RollUploadStatusOut)
@api_view
def upload_status(code: str, upload_id: str) -> Response:
    """An upload's status, counts and progress, with one page of its rejected lines."""
    authorized(bp.current_request, Permission.ROLLS_READ, code)
    query = parse_query(bp.current_request, PageIn)
    return json_response(typed(RollUploadStatusOut, admin_rolls.upload_status(code, upload_id, wiring.rolls_admin(),
                                                                              limit=query.limit, cursor=query.cursor)))
