"""A municipality's settings: branding (colours, texts, logo), enabled services, permit discounts,
portal origins, sender e-mail, and the portal API keys. Every change is one transaction with its
audit entry (before/after of the fields that changed) and needs the configuration's current
`version` when the caller gives one (409 if someone changed it meanwhile)."""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.adapters.logo_uploads import LogoUploads
from chalicelib.adapters.municipalities_repo import MunicipalityRepository, PortalKeyRepository
from chalicelib.adapters.municipality_admin_repo import MunicipalityAdminRepository
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.domain.errors import ConditionFailed, Conflict, InvalidInput, NotFound, RuleRefused
from chalicelib.domain.senders import sender_allowed
from chalicelib.services.auth import Official

BRANDING_FIELDS = ("branding", "display_name")
LOGO_MAX_BYTES = 512 * 1024
LOGO_MIN_PX, LOGO_MAX_PX = 32, 2000
LOGO_URL_TTL_S = 600
LOGO_KEY = "{code}/branding/logo.png"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOCAL_HOSTS = ("127.0.0.1", "localhost")


@dataclass
class SettingsAdminContext:
    admin: MunicipalityAdminRepository
    municipalities: MunicipalityRepository
    portal_keys: PortalKeyRepository
    table: DynamoTable
    uploads: ObjectStore
    assets: ObjectStore
    clock: Callable[[], datetime]


# -- validation (pure) --------------------------------------------------------------------------

def check_origin(url: str, index: int) -> str:
    """A portal origin: `https://host[:port]`, or `http://` only for 127.0.0.1 / localhost."""
    field = f"origins[{index}]"
    parts = urlsplit(url.strip())
    bad = InvalidInput("Cada origen debe ser https://dominio[:puerto], sin ruta (http solo para 127.0.0.1 o "
                       "localhost).", code="invalid_origin", field=field)
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or not parts.hostname:
        raise bad
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise bad from exc
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        pass
    elif parts.scheme != "https":
        raise bad
    return f"{parts.scheme}://{parts.netloc.lower()}"


def check_discounts(discounts: Mapping[str, Any] | None, current_rules: Mapping[str, Any] | None) -> dict[str, Any]:
    """The municipality's permit rule overrides with the discount changed, validated by the same
    rules engine that prices permits."""
    from chalicelib.domain import reference_data

    rules = {k: v for k, v in (current_rules or {}).items() if k not in ("tasacion_percent", "tasacion_percent_reason")}
    if discounts:
        rules.update({k: v for k, v in discounts.items() if v is not None})
    try:
        reference_data.permit_rules(rules or None)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, code="invalid_discount",
                           field=f"permit_discounts.{exc.field}" if exc.field else "permit_discounts") from exc
    except (ValueError, ArithmeticError) as exc:
        raise InvalidInput("El descuento no es válido.", code="invalid_discount", field="permit_discounts") from exc
    return rules


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, or InvalidInput when the bytes are not a PNG."""
    if len(data) < 24 or not data.startswith(_PNG_SIGNATURE) or data[12:16] != b"IHDR":
        raise InvalidInput("El logo debe ser una imagen PNG.", code="logo_not_png", field="upload_id")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- reading ------------------------------------------------------------------------------------

def settings_view(code: str, ctx: SettingsAdminContext) -> dict[str, Any]:
    config = ctx.admin.config(code)
    if config is None:
        raise NotFound(f"La municipalidad {code} no está registrada en la plataforma.",
                       code="municipality_not_found", field="code")
    return _view(config, ctx.admin.portal_keys(code))


def _view(config: Mapping[str, Any], portal_keys: list[dict[str, Any]]) -> dict[str, Any]:
    rules = config.get("permit_rules") or {}
    discounts = {k: rules[k] for k in ("tasacion_percent", "tasacion_percent_reason") if k in rules}
    return {
        "code": config["code"], "name": config.get("name"), "version": int(config.get("version", 1)),
        "display_name": config.get("display_name"),
        "branding": {k: (config.get("branding") or {}).get(k)
                     for k in ("primary_color", "secondary_color", "header_text", "footer_text")},
        "logo": config.get("logo"), "services": list(config.get("services", [])),
        "permit_discounts": discounts or None, "origins": list(config.get("origins", [])),
        "sender_email": config.get("sender_email"), "agreement": config.get("agreement"),
        "portal_keys": [{k: key.get(k) for k in ("key_id", "status", "created_at", "revoked_at")}
                        for key in portal_keys],
    }


# -- changing -----------------------------------------------------------------------------------

def update_settings(code: str, changes: dict[str, Any], official: Official, ctx: SettingsAdminContext, *,
                    version: int | None) -> dict[str, Any]:
    """Apply a partial change (fields already shape-checked by the route model)."""
    config = ctx.admin.config(code)
    if config is None:
        raise NotFound(f"La municipalidad {code} no está registrada en la plataforma.",
                       code="municipality_not_found", field="code")
    current = int(config.get("version", 1))
    if version is not None and version != current:
        raise Conflict("La configuración cambió mientras la editaba; recárguela e intente de nuevo.",
                       code="settings_version_mismatch", field="version")
    fields: dict[str, Any] = {}
    remove: list[str] = []
    for name, value in changes.items():
        if name == "branding":
            merged = {**(config.get("branding") or {}), **value}
            fields["branding"] = {k: v for k, v in merged.items() if v not in (None, "")}
        elif name == "origins":
            origins = [check_origin(o, i) for i, o in enumerate(value)]
            if len(set(origins)) != len(origins):
                raise InvalidInput("Hay orígenes repetidos.", code="invalid_origin", field="origins")
            fields["origins"] = origins
        elif name == "permit_discounts":
            rules = check_discounts(value, config.get("permit_rules"))
            if rules:
                fields["permit_rules"] = rules
            else:
                remove.append("permit_rules")
        elif name == "sender_email":
            # Only under an identity verified for this municipality: never the platform's or
            # another municipality's sender (issue 15.4).
            if not sender_allowed(value, config.get("sender_identities") or []):
                raise InvalidInput("El remitente debe ser una dirección verificada para la municipalidad.",
                                   code="sender_not_verified", field="sender_email")
            fields["sender_email"] = value.strip().lower()
        elif name == "display_name" and not value:
            remove.append("display_name")
        else:
            fields[name] = value
    stored_names = [*fields, *remove]
    before = {k: config.get(k) for k in stored_names}
    after = {k: fields.get(k) for k in stored_names}
    if before == after:
        return _view(config, ctx.admin.portal_keys(code))
    index_fields = {"services": fields["services"]} if "services" in fields else None
    now = ctx.clock()
    fields["updated_at"] = now.isoformat(timespec="seconds")
    fields["updated_by"] = official.email
    audit = audit_row(code, actor=official.email, profile=official.profile, action="settings.update",
                      target=code, before=before, after=after)
    try:
        ctx.admin.update(code, fields, expect_version=current, audit=audit, remove=remove, index_fields=index_fields)
    except ConditionFailed as exc:
        raise Conflict("La configuración cambió mientras la editaba; recárguela e intente de nuevo.",
                       code="settings_version_mismatch", field="version") from exc
    ctx.municipalities.forget(code)
    return settings_view(code, ctx)


# -- logo ---------------------------------------------------------------------------------------

def start_logo_upload(code: str, content_length: int, official: Official, ctx: SettingsAdminContext) -> dict[str, Any]:
    """A presigned PUT for a PNG of at most 512 KB, to a staging key in the uploads bucket; the
    logo takes effect when `POST …/settings/logo` has checked it."""
    if not 0 < content_length <= LOGO_MAX_BYTES:
        raise InvalidInput("El logo debe pesar como máximo 512 KB.", code="logo_too_large", field="content_length")
    now = ctx.clock()
    upload_id = secrets.token_hex(8)
    staging = f"{code}/branding/uploads/{upload_id}.png"
    LogoUploads(ctx.table).start(code, upload_id, object_key=staging, content_length=content_length,
                                 created_by=official.email, created_at=now.isoformat(timespec="seconds"),
                                 now_epoch=int(now.timestamp()))
    url = ctx.uploads.presign_put(staging, expires_in=LOGO_URL_TTL_S, content_type="image/png",
                                  content_length=content_length)
    return {"upload_id": upload_id, "upload_url": url, "method": "PUT", "headers": {"Content-Type": "image/png"},
            "expires_at": (now + timedelta(seconds=LOGO_URL_TTL_S)).isoformat(timespec="seconds")}


def apply_logo(code: str, upload_id: str, official: Official, ctx: SettingsAdminContext) -> dict[str, Any]:
    """Check the uploaded PNG (signature, size, dimensions) and make it the receipts' logo."""
    session = LogoUploads(ctx.table).get(code, upload_id) \
        if upload_id.isalnum() and len(upload_id) == 16 else None
    if session is None:
        raise NotFound("No existe esa subida de logo.", code="upload_not_found", field="upload_id")
    try:
        data = ctx.uploads.get(str(session["object_key"]))
    except NotFound as exc:
        raise RuleRefused("Todavía no se ha subido el archivo del logo.", code="logo_not_uploaded") from exc
    if len(data) > LOGO_MAX_BYTES:
        raise InvalidInput("El logo debe pesar como máximo 512 KB.", code="logo_too_large", field="upload_id")
    width, height = png_size(data)
    if not (LOGO_MIN_PX <= width <= LOGO_MAX_PX and LOGO_MIN_PX <= height <= LOGO_MAX_PX):
        raise InvalidInput(f"El logo debe medir entre {LOGO_MIN_PX} y {LOGO_MAX_PX} píxeles por lado.",
                           code="logo_bad_dimensions", field="upload_id")
    config = ctx.admin.config(code)
    if config is None:
        raise NotFound(f"La municipalidad {code} no está registrada.", code="municipality_not_found", field="code")
    ctx.assets.put(LOGO_KEY.format(code=code), data, content_type="image/png")
    logo = {"sha256": hashlib.sha256(data).hexdigest(), "width": width, "height": height, "bytes": len(data),
            "updated_at": ctx.clock().isoformat(timespec="seconds")}
    current = int(config.get("version", 1))
    audit = audit_row(code, actor=official.email, profile=official.profile, action="settings.logo",
                      target=code, before=config.get("logo"), after=logo)
    try:
        ctx.admin.update(code, {"logo": logo, "updated_by": official.email}, expect_version=current, audit=audit)
    except ConditionFailed as exc:
        raise Conflict("La configuración cambió mientras se aplicaba el logo; intente de nuevo.",
                       code="settings_version_mismatch") from exc
    ctx.municipalities.forget(code)
    return settings_view(code, ctx)


# -- portal keys --------------------------------------------------------------------------------

def rotate_portal_key(code: str, revoke_others: bool, official: Official, ctx: SettingsAdminContext) -> dict[str, Any]:
    """Issue a new portal key (its secret is in this answer only) and optionally revoke the others."""
    from chalicelib.services.portal import issue_portal_key

    if ctx.admin.config(code) is None:
        raise NotFound(f"La municipalidad {code} no está registrada.", code="municipality_not_found", field="code")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    existing = [k["key_id"] for k in ctx.admin.portal_keys(code) if k.get("status") == "active"]
    api_key = issue_portal_key(code, ctx.portal_keys, created_at=now)
    key_id = api_key.split("_")[2]
    revoked = existing if revoke_others else []
    audit = audit_row(code, actor=official.email, profile=official.profile, action="portal_key.rotate",
                      target=key_id, before={"active": existing},
                      after={"issued": key_id, "revoked": revoked})
    try:
        ctx.admin.revoke_portal_keys(code, revoked, at=now, audit=audit)
    except ConditionFailed as exc:
        raise Conflict("Otra persona cambió las claves a la vez; revise la lista e intente de nuevo.",
                       code="portal_keys_changed") from exc
    finally:  # revoked here: refused at once by this process (others within the cache's 60 s)
        ctx.portal_keys.forget(code, revoked)
    return {"key_id": key_id, "api_key": api_key, "revoked": revoked,
            "notice": "Guarde esta clave ahora: no se volverá a mostrar."}
