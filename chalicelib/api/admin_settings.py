"""Officials: the municipality's settings, logo, and portal API keys."""

from __future__ import annotations

from typing import Any, Literal

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized, authorized_any
from chalicelib.api.http import api_view, json_response, parse_body, typed
from chalicelib.api.models import Out, PresignedUploadOut, Strict
from chalicelib.api.models_settings import ReceiptSignerOut, SettingsOut
from chalicelib.api.operations import operation
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import admin_settings, receipt_signer_admin
from chalicelib.services.auth import require
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

HEX_COLOUR = r"^#[0-9A-Fa-f]{6}$"
PLAIN_TEXT = r"^[^\x00-\x1f<>]*$"


class BrandingIn(Strict):
    """Receipt branding; a field left out keeps its value, "" goes back to the platform default."""

    primary_color: str | None = Field(default=None, pattern=HEX_COLOUR + "|^$", description="#RRGGBB")
    secondary_color: str | None = Field(default=None, pattern=HEX_COLOUR + "|^$", description="#RRGGBB")
    header_text: str | None = Field(default=None, max_length=120, pattern=PLAIN_TEXT)
    footer_text: str | None = Field(default=None, max_length=300, pattern=PLAIN_TEXT)


class PermitDiscountsIn(Strict):
    """Permit rule overrides: the percentage of the tasación the permit is computed on (zonas
    extremas), with its legal reason."""

    tasacion_percent: str = Field(pattern=r"^\d{1,3}(\.\d{1,2})?$", description="p. ej. \"50\"")
    tasacion_percent_reason: str = Field(min_length=5, max_length=400, pattern=PLAIN_TEXT)


class SettingsPatchIn(Strict):
    """A partial change. Branding fields (`branding`, `display_name`) need `settings.branding`;
    the others `settings.edit`. `permit_discounts: null` removes the discount."""

    version: int | None = Field(default=None, ge=1, description="La `version` leída; 409 si cambió.")
    display_name: str | None = Field(default=None, max_length=80, pattern=PLAIN_TEXT)
    branding: BrandingIn | None = None
    services: list[Literal["permisos", "patentes", "aseo"]] | None = Field(default=None, max_length=3)
    permit_discounts: PermitDiscountsIn | None = None
    origins: list[str] | None = Field(default=None, max_length=10)
    sender_email: str | None = Field(default=None, min_length=5, max_length=254,
                                     pattern=r"^[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class LogoUploadIn(Strict):
    content_length: int = Field(ge=1, le=admin_settings.LOGO_MAX_BYTES, description="Tamaño exacto del PNG, en bytes.")


class LogoApplyIn(Strict):
    upload_id: str = Field(min_length=16, max_length=16, pattern=r"^[0-9a-f]{16}$")


class PortalKeyOut(Out):
    """A new portal key: shown once, with the ids of the keys it revoked."""

    key_id: str
    api_key: str = Field(description="sem_<CUT>_<key id>_<secreto>: se muestra solo esta vez.")
    revoked: list[str]
    notice: str


class PortalKeyIn(Strict):
    revoke_others: bool = Field(default=False, description="Revocar las claves activas anteriores.")


def _changes(body: SettingsPatchIn) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for name in body.model_fields_set - {"version"}:
        value = getattr(body, name)
        if name == "branding":
            if value is None:
                raise InvalidInput("branding debe ser un objeto.", code="invalid_input", field="branding")
            value = value.model_dump(exclude_unset=True)
        elif name == "permit_discounts" and value is not None:
            value = value.model_dump()
        elif name in ("services", "origins", "sender_email") and value is None:
            raise InvalidInput("Este campo no puede quedar vacío.", code="invalid_input", field=name)
        if name == "services" and len(set(value)) != len(value):
            raise InvalidInput("Hay servicios repetidos.", code="invalid_input", field="services")
        changes[name] = value
    if not changes:
        raise InvalidInput("Indique al menos un cambio.", code="no_changes")
    return changes


@bp.route("/v1/admin/municipalities/{code}/settings", methods=["GET"], cors=True)
@operation("getSettings", "Configuración de la municipalidad — settings.read", tag="admin", security="officialToken",
           errors=(401, 403, 404), response=SettingsOut)
@api_view
def get_settings(code: str) -> Response:
    """The municipality's settings (with `version`, for a later PATCH)."""
    authorized(bp.current_request, Permission.SETTINGS_READ, code)
    return json_response(typed(SettingsOut, admin_settings.settings_view(code, wiring.settings_admin())))


@bp.route("/v1/admin/municipalities/{code}/settings", methods=["PATCH"], cors=True)
@operation("updateSettings", "Cambiar la configuración (imagen: settings.branding; lo demás: settings.edit)",
           tag="admin", body=SettingsPatchIn, security="officialToken", errors=(400, 401, 403, 404, 409),
           response=SettingsOut)
@api_view
def patch_settings(code: str) -> Response:
    """Change some settings; answers the settings as stored."""
    official = authorized_any(bp.current_request, (Permission.BRANDING_EDIT, Permission.SETTINGS_EDIT), code)
    body = parse_body(bp.current_request, SettingsPatchIn)
    changes = _changes(body)
    branding_only = all(name in admin_settings.BRANDING_FIELDS for name in changes)
    require(official, Permission.BRANDING_EDIT if branding_only else Permission.SETTINGS_EDIT, municipality=code)
    return json_response(typed(SettingsOut, admin_settings.update_settings(code, changes, official,
                                                                           wiring.settings_admin(),
                                                                           version=body.version)))


@bp.route("/v1/admin/municipalities/{code}/settings/logo-upload", methods=["POST"], cors=True)
@operation("startLogoUpload", "URL prefirmada para subir el logo (PNG, máx. 512 KB) — settings.branding", tag="admin",
           body=LogoUploadIn, response=PresignedUploadOut, success=201, security="officialToken",
           errors=(400, 401, 403))
@api_view
def start_logo_upload(code: str) -> Response:
    """A presigned PUT for the new logo (PNG, ≤ 512 KB, exact size, 10 minutes)."""
    official = authorized(bp.current_request, Permission.BRANDING_EDIT, code)
    body = parse_body(bp.current_request, LogoUploadIn)
    upload = admin_settings.start_logo_upload(code, body.content_length, official, wiring.settings_admin())
    return json_response(typed(PresignedUploadOut, upload), status=201)


@bp.route("/v1/admin/municipalities/{code}/settings/logo", methods=["POST"], cors=True)
@operation("applyLogo", "Validar el PNG subido y usarlo como logo — settings.branding", tag="admin", body=LogoApplyIn,
           security="officialToken", errors=(400, 401, 403, 404, 409, 422), response=SettingsOut)
@api_view
def apply_logo(code: str) -> Response:
    """Check the uploaded PNG and make it the logo of the next receipts."""
    official = authorized(bp.current_request, Permission.BRANDING_EDIT, code)
    body = parse_body(bp.current_request, LogoApplyIn)
    return json_response(typed(SettingsOut, admin_settings.apply_logo(code, body.upload_id, official,
                                                                      wiring.settings_admin())))


@bp.route("/v1/admin/municipalities/{code}/portal-keys", methods=["POST"], cors=True)
@operation("rotatePortalKey",
           "Emitir una clave de portal (se muestra una vez) y revocar las anteriores — settings.portal_keys",
           tag="admin", body=PortalKeyIn, response=PortalKeyOut,
           success=201, security="officialToken", errors=(400, 401, 403, 404, 409))
@api_view
def rotate_portal_key(code: str) -> Response:
    """Issue a new portal API key (shown once) and optionally revoke the previous ones."""
    official = authorized(bp.current_request, Permission.PORTAL_KEYS_ROTATE, code)
    body = parse_body(bp.current_request, PortalKeyIn)
    issued = admin_settings.rotate_portal_key(code, body.revoke_others, official, wiring.settings_admin())
    return json_response(typed(PortalKeyOut, issued), status=201)


class ReceiptSignerIn(Strict):
    email: str = Field(min_length=5, max_length=254, pattern=r"^[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
                       description="Correo del funcionario que firmará los comprobantes.")
    version: int | None = Field(default=None, ge=1, description="La `version` leída; 409 si cambió.")


@bp.route("/v1/admin/municipalities/{code}/receipt-signer", methods=["GET"], cors=True)
@operation("getReceiptSigner", "Quién firma los comprobantes de la municipalidad — settings.read", tag="admin",
           security="officialToken", errors=(401, 403, 404), response=ReceiptSignerOut)
@api_view
def get_receipt_signer(code: str) -> Response:
    """Who signs the municipality's receipts (or that the labelled default does)."""
    authorized(bp.current_request, Permission.SETTINGS_READ, code)
    return json_response(typed(ReceiptSignerOut, receipt_signer_admin.view(code, wiring.receipt_signer_admin())))


@bp.route("/v1/admin/municipalities/{code}/receipt-signer", methods=["PUT"], cors=True)
@operation("designateReceiptSigner",
           "Designar al funcionario que firma los comprobantes (su RUN registrado) — settings.receipt_signer",
           tag="admin", body=ReceiptSignerIn, security="officialToken", errors=(400, 401, 403, 404, 409, 503),
           response=ReceiptSignerOut)
@api_view
def designate_receipt_signer(code: str) -> Response:
    """Designate the official who signs the municipality's receipts."""
    actor = authorized(bp.current_request, Permission.RECEIPT_SIGNER_DESIGNATE, code)
    body = parse_body(bp.current_request, ReceiptSignerIn)
    return json_response(typed(ReceiptSignerOut, receipt_signer_admin.designate(code, body.email, actor,
                                                                                wiring.receipt_signer_admin(),
                                                                                version=body.version)))
