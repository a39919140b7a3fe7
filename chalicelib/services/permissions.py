"""The permission matrix: which profile may do what. One table (`RULES`), enforced on every admin
route, and documented in docs/roles.md (a test checks that file against `matrix_markdown()`).

Scope. A permission is either about one municipality's data (`municipality`: the route names a
municipality and the official must belong to it) or about the platform (`platform`: central
routes). Municipal profiles act only on their own municipality, always. Central profiles
(SUBDERE) hold a municipality-scoped permission only where this table says so, and then on any
municipality: that is how support reads a municipality's payments when it reports a problem.
`soporte` is read-only: it holds no permission that writes (a test checks it).

Second factor. The profiles that authorize payments (those holding `payments.authorize`) must
sign in with a TOTP second factor: `TOTP_PROFILES` is derived from the table, not listed twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

MUNICIPAL_PROFILES = frozenset({
    "alcalde", "director_finanzas", "tesorero", "tesorero_subrogante",
    "operador_rentas", "operador_transito", "administrador_municipal",
})
CENTRAL_PROFILES = frozenset({"administrador_subdere", "soporte"})
ALL_PROFILES = MUNICIPAL_PROFILES | CENTRAL_PROFILES

# Display order and Spanish names (docs, `GET /v1/admin/me`).
PROFILE_ORDER: tuple[str, ...] = (
    "alcalde", "director_finanzas", "tesorero", "tesorero_subrogante", "operador_rentas",
    "operador_transito", "administrador_municipal", "administrador_subdere", "soporte",
)
PROFILE_NAMES: dict[str, str] = {
    "alcalde": "Alcalde(sa)",
    "director_finanzas": "Director(a) de Finanzas",
    "tesorero": "Tesorero(a)",
    "tesorero_subrogante": "Tesorero(a) subrogante",
    "operador_rentas": "Operador(a) de Rentas",
    "operador_transito": "Operador(a) de Tránsito",
    "administrador_municipal": "Administrador(a) municipal",
    "administrador_subdere": "Administrador(a) SUBDERE",
    "soporte": "Soporte SUBDERE (solo lectura)",
}


class Permission(StrEnum):
    PAYMENTS_READ = "payments.read"
    PAYMENTS_EXPORT = "payments.export"
    PAYMENTS_AUTHORIZE = "payments.authorize"
    RECEIPTS_RESEND = "receipts.resend"
    ROLLS_READ = "rolls.read"
    ROLLS_UPLOAD = "rolls.upload"
    SETTINGS_READ = "settings.read"
    BRANDING_EDIT = "settings.branding"
    SETTINGS_EDIT = "settings.edit"
    PORTAL_KEYS_ROTATE = "settings.portal_keys"
    RECEIPT_SIGNER_DESIGNATE = "settings.receipt_signer"
    OFFICIALS_READ = "officials.read"
    OFFICIALS_MANAGE = "officials.manage"
    OFFICIALS_APPROVE = "officials.approve"
    AUDIT_READ = "audit.read"
    MUNICIPALITIES_READ = "municipalities.read"
    MUNICIPALITIES_ONBOARD = "municipalities.onboard"
    MUNICIPALITIES_EDIT = "municipalities.edit"
    REFERENCE_READ = "reference.read"
    REFERENCE_EDIT = "reference.edit"
    RECONCILIATION_READ = "reconciliation.read"
    RECONCILIATION_COMMENT = "reconciliation.comment"
    RECONCILIATION_RESOLVE = "reconciliation.resolve"
    REPORTS_MUNICIPAL = "reports.municipal"
    REPORTS_CENTRAL = "reports.central"
    # Fleets (docs/citizens.md, "Flotas").
    REPRESENTATIONS_MANAGE = "representations.manage"
    # Advanced electronic signature (docs/signatures.md).
    SIGNATURE_ENROLL = "signatures.enroll"
    BATCHES_READ = "batches.read"
    BATCHES_SIGN = "batches.sign"
    AGREEMENTS_READ = "agreements.read"
    AGREEMENTS_SIGN = "agreements.sign"
    AGREEMENTS_ISSUE = "agreements.issue"
    AGREEMENTS_COUNTERSIGN = "agreements.countersign"
    # Money back (docs/refunds.md).
    REFUNDS_READ = "refunds.read"
    REFUNDS_PROPOSE = "refunds.propose"
    REFUNDS_AUTHORIZE = "refunds.authorize"
    # Personal data (docs/personal-data.md).
    PRIVACY_REQUESTS = "privacy.requests"
    PERSONAL_DATA_FULL = "personal_data.full"


@dataclass(frozen=True)
class Rule:
    """Who holds a permission, over what, whether it changes anything, and what it lets one do."""

    profiles: frozenset[str]
    scope: Literal["municipality", "platform", "own"]
    """`own`: the official's own record (their signature enrollment), whatever the municipality."""
    writes: bool
    description: str


_FINANCE = frozenset({"alcalde", "director_finanzas", "tesorero", "tesorero_subrogante"})
_CENTRAL = CENTRAL_PROFILES
_SUBDERE = frozenset({"administrador_subdere"})

RULES: dict[Permission, Rule] = {
    Permission.PAYMENTS_READ: Rule(
        _FINANCE | {"operador_rentas", "operador_transito"} | _CENTRAL, "municipality", False,
        "Buscar pagos y ver su detalle (ítems, desglose, verificaciones, eventos, comprobante, correos)"),
    Permission.PAYMENTS_EXPORT: Rule(
        _FINANCE, "municipality", False, "Exportar pagos a CSV"),
    Permission.PAYMENTS_AUTHORIZE: Rule(
        _FINANCE, "municipality", True,
        "Autorizar y consolidar pagos con firma electrónica (exige segundo factor TOTP)"),
    Permission.RECEIPTS_RESEND: Rule(
        frozenset({"director_finanzas", "tesorero", "tesorero_subrogante", "operador_rentas",
                   "operador_transito"}), "municipality", True, "Reenviar el comprobante de un pago"),
    Permission.ROLLS_READ: Rule(
        frozenset({"director_finanzas", "tesorero", "tesorero_subrogante", "operador_rentas",
                   "administrador_municipal"}) | _CENTRAL, "municipality", False,
        "Ver las cargas de roles (patentes, aseo) y sus errores por línea"),
    Permission.ROLLS_UPLOAD: Rule(
        frozenset({"operador_rentas", "administrador_municipal"}), "municipality", True,
        "Cargar y procesar roles de patentes y aseo (CSV)"),
    Permission.SETTINGS_READ: Rule(
        _FINANCE | {"administrador_municipal"} | _CENTRAL, "municipality", False,
        "Ver la configuración: imagen, servicios, descuentos, orígenes del portal, claves, remitente"),
    Permission.BRANDING_EDIT: Rule(
        frozenset({"administrador_municipal", "director_finanzas"}), "municipality", True,
        "Cambiar la imagen del comprobante: logo, colores y textos"),
    Permission.SETTINGS_EDIT: Rule(
        frozenset({"administrador_municipal"}), "municipality", True,
        "Cambiar servicios habilitados, descuentos del permiso, orígenes del portal y correo remitente"),
    Permission.PORTAL_KEYS_ROTATE: Rule(
        frozenset({"administrador_municipal"}), "municipality", True,
        "Emitir y revocar claves de portal (X-Api-Key)"),
    Permission.RECEIPT_SIGNER_DESIGNATE: Rule(
        frozenset({"administrador_municipal"}), "municipality", True,
        "Designar al funcionario que firma los comprobantes de la municipalidad"),
    Permission.OFFICIALS_READ: Rule(
        frozenset({"alcalde", "administrador_municipal"}) | _CENTRAL, "municipality", False,
        "Ver los funcionarios de la municipalidad"),
    Permission.OFFICIALS_MANAGE: Rule(
        frozenset({"administrador_municipal"}), "municipality", True,
        "Crear funcionarios (con su RUN), cambiar su perfil y desactivarlos; dar o subir a un perfil que "
        "autoriza pagos queda como propuesta"),
    Permission.OFFICIALS_APPROVE: Rule(
        frozenset({"alcalde"}) | _SUBDERE, "municipality", True,
        "Aprobar o rechazar la propuesta de dar a una cuenta un perfil que autoriza pagos (cuatro ojos)"),
    Permission.AUDIT_READ: Rule(
        frozenset({"alcalde", "director_finanzas", "administrador_municipal"}) | _CENTRAL, "municipality", False,
        "Leer el registro de auditoría"),
    Permission.MUNICIPALITIES_READ: Rule(
        _CENTRAL, "platform", False, "Ver todas las municipalidades, su convenio y estado"),
    Permission.MUNICIPALITIES_ONBOARD: Rule(
        _SUBDERE, "platform", True, "Incorporar una municipalidad"),
    Permission.MUNICIPALITIES_EDIT: Rule(
        _SUBDERE, "platform", True, "Cambiar el estado y vigencia del convenio; habilitar o deshabilitar"),
    Permission.REPRESENTATIONS_MANAGE: Rule(
        frozenset({"director_finanzas", "tesorero", "tesorero_subrogante"}), "municipality", True,
        "Registrar y revocar representantes de empresas (flotas), tras revisar la escritura o el poder"),
    Permission.REFERENCE_READ: Rule(
        ALL_PROFILES, "platform", False, "Ver las tablas de UTM e IPC"),
    Permission.REFERENCE_EDIT: Rule(
        _SUBDERE, "platform", True, "Fijar la UTM y el IPC de un mes"),
    # As asked by the reconciliation and reports module (chalicelib/api/admin_reports.py).
    Permission.RECONCILIATION_READ: Rule(
        _FINANCE | {"operador_rentas"} | _CENTRAL, "municipality", False,
        "Ver la consolidación y la conciliación diaria con la Tesorería"),
    Permission.RECONCILIATION_COMMENT: Rule(
        _FINANCE | {"operador_rentas"}, "municipality", True, "Comentar una diferencia de conciliación"),
    Permission.RECONCILIATION_RESOLVE: Rule(
        frozenset({"director_finanzas", "tesorero", "tesorero_subrogante"}), "municipality", True,
        "Resolver una diferencia de conciliación"),
    Permission.REPORTS_MUNICIPAL: Rule(
        _FINANCE | {"operador_rentas", "operador_transito", "administrador_municipal"} | _CENTRAL, "municipality",
        False, "Ver los reportes de recaudación de la municipalidad"),
    Permission.REPORTS_CENTRAL: Rule(
        _CENTRAL, "platform", False, "Ver las estadísticas nacionales de la plataforma"),
    # Advanced electronic signature: who holds a certificate, who signs what (docs/signatures.md).
    Permission.SIGNATURE_ENROLL: Rule(
        _FINANCE | _SUBDERE, "own", True,
        "Enrolar su firma electrónica: certificado con llave en KMS y código TOTP de firma"),
    Permission.BATCHES_READ: Rule(
        _FINANCE | _CENTRAL, "municipality", False, "Ver la nómina diaria de pagos, sus firmas y correcciones"),
    Permission.BATCHES_SIGN: Rule(
        frozenset({"tesorero", "tesorero_subrogante"}), "municipality", True,
        "Firmar la nómina diaria de pagos y sus correcciones (firma electrónica con código TOTP)"),
    Permission.AGREEMENTS_READ: Rule(
        frozenset({"alcalde", "director_finanzas", "administrador_municipal"}) | _CENTRAL, "municipality", False,
        "Ver los convenios con el nivel central y descargarlos"),
    Permission.AGREEMENTS_SIGN: Rule(
        frozenset({"alcalde"}), "municipality", True,
        "Firmar el convenio por la municipalidad (firma electrónica con código TOTP)"),
    Permission.AGREEMENTS_ISSUE: Rule(
        _SUBDERE, "platform", True, "Emitir un convenio (borrador PDF) para una municipalidad"),
    Permission.AGREEMENTS_COUNTERSIGN: Rule(
        _SUBDERE, "platform", True,
        "Firmar el convenio por el nivel central, lo que lo pone en vigencia (firma electrónica con código TOTP)"),
    Permission.REFUNDS_READ: Rule(
        _FINANCE | {"operador_rentas", "operador_transito"} | _CENTRAL, "municipality", False,
        "Ver las devoluciones y contracargos de la municipalidad"),
    Permission.REFUNDS_PROPOSE: Rule(
        frozenset({"tesorero", "tesorero_subrogante", "operador_rentas", "operador_transito"}), "municipality",
        True, "Proponer la devolución de un pago (total o por ítem, con motivo), retirar una propuesta y marcar "
              "revisado un contracargo"),
    Permission.REFUNDS_AUTHORIZE: Rule(
        _FINANCE, "municipality", True,
        "Autorizar una devolución firmando la orden con la firma electrónica del funcionario (código TOTP)"),
    Permission.PRIVACY_REQUESTS: Rule(
        frozenset({"alcalde", "director_finanzas", "administrador_municipal"}), "municipality", True,
        "Ingresar y tramitar solicitudes de derechos sobre datos personales (acceso, rectificación, "
        "supresión, oposición)"),
    Permission.PERSONAL_DATA_FULL: Rule(
        frozenset({"director_finanzas", "tesorero", "tesorero_subrogante", "operador_rentas", "operador_transito"}),
        "municipality", False,
        "Ver RUT y correo completos de los pagadores sin pedirlo (los demás perfiles los ven enmascarados y "
        "los piden con «mostrar completos», que queda en la auditoría)"),
}

MATRIX: dict[Permission, frozenset[str]] = {permission: rule.profiles for permission, rule in RULES.items()}

TOTP_PROFILES: frozenset[str] = RULES[Permission.PAYMENTS_AUTHORIZE].profiles


def allowed(profile: str, permission: Permission) -> bool:
    """Whether `profile` holds `permission`."""
    return profile in MATRIX[permission]


def permissions_of(profile: str) -> list[str]:
    """Every permission `profile` holds, in the table's order."""
    return [permission.value for permission, profiles in MATRIX.items() if profile in profiles]


def requires_totp(profile: str) -> bool:
    """Whether this profile must sign in with a second factor (TOTP)."""
    return profile in TOTP_PROFILES


def matrix_markdown() -> str:
    """The matrix as the Markdown table of docs/roles.md (✔ = holds the permission)."""
    header = "| permiso | alcance | " + " | ".join(f"`{p}`" for p in PROFILE_ORDER) + " | qué permite |"
    rule_line = "| --- | --- | " + " | ".join("---" for _ in PROFILE_ORDER) + " | --- |"
    lines = [header, rule_line]
    for permission, rule in RULES.items():
        marks = " | ".join("✔" if p in rule.profiles else "" for p in PROFILE_ORDER)
        scope = {"municipality": "municipalidad", "platform": "plataforma", "own": "propia"}[rule.scope]
        lines.append(f"| `{permission.value}` | {scope} | {marks} | {rule.description} |")
    lines.append("| segundo factor TOTP | — | " + " | ".join(
        "✔" if p in TOTP_PROFILES else "" for p in PROFILE_ORDER) + " | perfiles que autorizan pagos |")
    return "\n".join(lines) + "\n"
