"""The register of processing of personal data (Ley 19.628 as amended by Ley 21.719): what the
platform holds about people, why, on which legal basis, where, and for how long.

This module is the single source: `docs/personal-data.md` carries `register_markdown()` between
markers (a test compares them), the privacy notice citizens read is `privacy_notice()`, and the
retention job reads each record type's period from `RETENTION` below. Legal references name only
what was checked against the law's text; `confirmed=False` marks a source still to be confirmed by
the municipalities' legal counsel (docs/personal-data.md says which).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from chalicelib.domain.rut import is_valid_rut, parse_rut

LAW = "Ley N° 19.628, sobre protección de los datos personales, modificada por la Ley N° 21.719"
AGENCY = "Agencia de Protección de Datos Personales"
PROCESSOR = "Subsecretaría de Desarrollo Regional y Administrativo (SUBDERE), que opera la plataforma SEM"
STORAGE_ABROAD = "Los datos se almacenan en servidores de Amazon Web Services en la región de São Paulo (Brasil)."
RESPONSE_DAYS = 30
"""Art. 11: the controller answers a rights request within thirty calendar days of its filing."""
EXTENSION_DAYS = 30
"""Art. 11: extendable once, by up to thirty calendar days."""


@dataclass(frozen=True)
class LegalSource:
    """A legal text a period or basis rests on; `confirmed` when checked against the text itself."""

    text: str
    confirmed: bool


@dataclass(frozen=True)
class Retention:
    """How long a record type keeps personal data, and what happens then.

    `days` None means the platform never removes it (a legal obligation keeps it); `action` is
    `keep`, `anonymize` (the retention job strips the personal fields, the record stays) or `ttl`
    (DynamoDB's TTL removes the whole record, its expiry written with the record)."""

    record: str
    days: int | None
    action: str
    counted_from: str
    source: LegalSource

    def cutoff(self, today: date) -> date | None:
        """Records of days before this one are past their period (None: never)."""
        return None if self.days is None else today - timedelta(days=self.days)


@dataclass(frozen=True)
class Category:
    """One category of personal data in the register (public part in Spanish)."""

    key: str
    name: str
    data: str
    holders: str
    purpose: str
    basis: str
    basis_source: LegalSource
    storage: str
    retention: str
    records: tuple[str, ...]


_ART_3C = LegalSource("Art. 3° letra c) (principio de proporcionalidad: conservar sólo el tiempo necesario "
                      "para los fines, luego suprimir o anonimizar)", confirmed=True)
_ART_13B = LegalSource("Art. 13 letra b) (tratamiento necesario para cumplir una obligación legal)", confirmed=True)
_ART_12 = LegalSource("Art. 12 (consentimiento libre, informado y específico)", confirmed=True)
_ART_7 = LegalSource("Art. 7° (no procede la supresión cuando el tratamiento es necesario para cumplir una "
                     "obligación legal o una función pública)", confirmed=True)
_ACCOUNTING = LegalSource("Normas de contabilidad y rendición de cuentas municipales (plazo exacto de "
                          "conservación por confirmar con la asesoría jurídica de cada municipalidad)",
                          confirmed=False)

RETENTION: dict[str, Retention] = {r.record: r for r in (
    Retention("payment", None, "keep", "fecha del pago", _ACCOUNTING),
    Retention("receipt", None, "keep", "fecha de emisión", _ACCOUNTING),
    Retention("payer_email", 90, "anonymize", "fecha de creación del pago (y sólo con el correo ya resuelto)",
              _ART_3C),
    Retention("email_delivery", 90, "anonymize", "fecha de creación del pago", _ART_3C),
    Retention("unpaid_payer", 180, "anonymize", "fecha de creación del pago no pagado", _ART_3C),
    Retention("idempotency", 2, "ttl", "creación del registro", _ART_3C),
    Retention("rate_limit", 1, "ttl", "fin de la ventana de conteo", _ART_3C),
    Retention("rights_request", 730, "keep", "fecha de ingreso de la solicitud", LegalSource(
        "Art. 11 (respuesta fundada y reclamación ante la Agencia; plazo de conservación por confirmar)",
        confirmed=False)),
    Retention("audit", None, "keep", "fecha del registro", LegalSource(
        "Art. 3° letra e) (principio de responsabilidad: acreditar el cumplimiento; plazo por confirmar)",
        confirmed=False)),
    Retention("reminder_consent", 180, "anonymize", "retiro del consentimiento", _ART_12),
    Retention("representation", None, "keep", "registro de la representación", LegalSource(
        "Art. 3° letra e) (principio de responsabilidad: acreditar quién actuó por la empresa; plazo tras la "
        "revocación por confirmar)", confirmed=False)),
)}

CATEGORIES: tuple[Category, ...] = (
    Category(
        "payer", "Datos del pagador",
        "RUN, nombre", "Personas que pagan un permiso de circulación, patente o derecho de aseo",
        "Emitir el comprobante de pago y registrar el ingreso municipal",
        "Obligación legal y función pública de la municipalidad", _ART_13B,
        "Base de datos de la plataforma (Amazon Web Services, región sa-east-1, São Paulo, Brasil) y "
        "comprobante PDF firmado",
        "Se conservan mientras lo exija la contabilidad municipal; nunca los borra la plataforma. "
        "En pagos no concretados se anonimizan a los 180 días",
        ("payment", "receipt", "unpaid_payer")),
    Category(
        "email", "Correo electrónico del pagador",
        "Dirección de correo electrónico", "Personas que pagan en línea",
        "Enviar el comprobante de pago",
        "Obligación legal y función pública de la municipalidad (entrega del comprobante)", _ART_13B,
        "Base de datos de la plataforma; servicio de envío de correo (Amazon SES)",
        "Se elimina a los 90 días desde el pago, una vez resuelto el envío",
        ("payer_email", "email_delivery")),
    Category(
        "vehicle", "Datos del vehículo",
        "Patente (placa), año, datos del permiso y de sus requisitos", "Propietarios de vehículos",
        "Calcular y cobrar el permiso de circulación y verificar sus requisitos",
        "Obligación legal y función pública de la municipalidad", _ART_13B,
        "Base de datos de la plataforma", "Con el pago, mientras lo exija la contabilidad municipal",
        ("payment",)),
    Category(
        "debts", "Deudas de los roles municipales",
        "RUN, nombre, monto y concepto de la deuda", "Contribuyentes de patentes y derechos de aseo",
        "Mostrar y cobrar las deudas del contribuyente",
        "Obligación legal y función pública de la municipalidad", _ART_13B,
        "Base de datos de la plataforma (cargadas por la municipalidad)",
        "Mientras lo exija la contabilidad municipal", ("payment",)),
    Category(
        "technical", "Registros técnicos",
        "Claves de idempotencia, contadores de intentos (con la dirección de origen resumida, nunca en claro)",
        "Personas que usan el sitio de pago",
        "Evitar cobros duplicados y abusos", "Función pública (seguridad del servicio)", _ART_13B,
        "Base de datos de la plataforma", "Se borran solos: 48 horas y 1 día",
        ("idempotency", "rate_limit")),
    Category(
        "officials", "Funcionarios municipales",
        "Correo institucional, perfil, acciones registradas en la bitácora", "Funcionarios que usan la consola",
        "Dar acceso a la consola y dejar constancia de cada cambio",
        "Función pública de la municipalidad", _ART_13B,
        "Servicio de identidad (Amazon Cognito) y base de datos de la plataforma",
        "La bitácora se conserva para acreditar el cumplimiento", ("audit",)),
    Category(
        "rights", "Solicitudes de derechos",
        "RUN, nombre, forma de contacto, tipo de solicitud y su respuesta", "Personas que ejercen sus derechos",
        "Tramitar y acreditar la respuesta a las solicitudes de acceso, rectificación, supresión, oposición "
        "y portabilidad", "Obligación legal", _ART_13B, "Base de datos de la plataforma",
        "2 años desde su ingreso", ("rights_request",)),
    Category(
        "reminders", "Consentimiento para recordatorios",
        "Correo electrónico y la fecha del consentimiento", "Personas que pidan recordatorios de vencimiento",
        "Enviar recordatorios de vencimiento (la plataforma aún no ofrece este servicio)",
        "Consentimiento", _ART_12, "Base de datos de la plataforma",
        "Hasta 180 días después de retirar el consentimiento", ("reminder_consent",)),
    Category(
        "representation", "Representantes de empresas (flotas)",
        "RUN del representante, empresa que representa, escritura o poder que lo acredita, funcionario que lo "
        "registró y, por cada pago de flota, un resumen con clave (HMAC) del RUN de quien lo inició",
        "Representantes legales o apoderados de empresas que pagan permisos de varios vehículos",
        "Comprobar que quien ingresa con ClaveÚnica puede actuar por la empresa y dejar constancia de quién pagó",
        "Función pública de la municipalidad (cobro del permiso de circulación)", _ART_13B,
        "Base de datos de la plataforma", "Mientras la representación esté vigente; revocada, se conserva para "
        "acreditar quién actuó (plazo por confirmar)", ("representation",)),
)


def retention(record: str) -> Retention:
    """The retention of a record type (KeyError for one not in the register)."""
    return RETENTION[record]


def retention_seconds(record: str) -> int:
    """A TTL-enforced record type's period in seconds (what its adapter writes as expiry)."""
    days = RETENTION[record].days
    if days is None:
        raise ValueError(f"{record} is never removed")
    return days * 86_400


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def register_markdown() -> str:
    """The register as the Markdown tables of docs/personal-data.md (Spanish, public)."""
    lines = ["| Categoría | Datos | Titulares | Finalidad | Base de licitud | Dónde se guarda | Plazo |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for c in CATEGORIES:
        basis = f"{c.basis} ({c.basis_source.text})"
        lines.append("| " + " | ".join(_cell(v) for v in (c.name, c.data, c.holders, c.purpose, basis, c.storage,
                                                         c.retention)) + " |")
    lines += ["", "| Registro | Plazo | Acción al vencer | Se cuenta desde | Fuente | Confirmada |",
              "| --- | --- | --- | --- | --- | --- |"]
    actions = {"keep": "se conserva", "anonymize": "se anonimiza", "ttl": "se borra (TTL)"}
    for r in RETENTION.values():
        period = ("sin plazo (lo fija la obligación legal)" if r.days is None
                  else f"{r.days} día" if r.days == 1 else f"{r.days} días")
        lines.append("| " + " | ".join(_cell(v) for v in (
            f"`{r.record}`", period, actions[r.action], r.counted_from, r.source.text,
            "sí" if r.source.confirmed else "**no**")) + " |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class NoticeSection:
    """One heading and its paragraphs in the privacy notice."""

    title: str
    paragraphs: tuple[str, ...]


def privacy_notice(controller: str = "la municipalidad a la que usted paga") -> tuple[NoticeSection, ...]:
    """The short privacy notice (es-CL) citizens read, from the register; `controller` names the
    municipality when the page knows it."""
    uses = tuple(f"{c.name} ({c.data}). Para {c.purpose[0].lower()}{c.purpose[1:]}. "
                 f"Base: {c.basis.lower()}. Plazo: {c.retention[0].lower()}{c.retention[1:]}."
                 for c in CATEGORIES if c.key not in ("officials",))
    return (
        NoticeSection("Quién trata sus datos", (
            f"Responsable: {controller}. Encargado del tratamiento: {PROCESSOR} por cuenta y según "
            "instrucciones de cada municipalidad.", STORAGE_ABROAD)),
        NoticeSection("Qué datos, para qué y por cuánto tiempo", uses),
        NoticeSection("Sus derechos", (
            "Usted puede pedir acceso a sus datos y una copia en formato electrónico, su rectificación, su "
            "supresión cuando ninguna obligación legal obligue a conservarlos, y oponerse a las "
            "comunicaciones que no sean necesarias para su pago.",
            "Presente su solicitud en la municipalidad (oficina de partes o sus canales de atención), "
            "acreditando su identidad. La municipalidad responde dentro de "
            f"{RESPONSE_DAYS} días corridos, prorrogables una vez hasta por {EXTENSION_DAYS} días. "
            "La solicitud en línea con ClaveÚnica aún no está disponible.",
            f"Si su solicitud es denegada o no es respondida, puede reclamar ante la {AGENCY}.")),
        NoticeSection("Ley aplicable", (f"{LAW}.",)),
    )


def privacy_notice_text(controller: str = "la municipalidad a la que usted paga") -> str:
    """The notice as plain text (e-mails, tests)."""
    parts = ["Aviso de privacidad"]
    for section in privacy_notice(controller):
        parts.append("")
        parts.append(section.title)
        parts.extend(f"- {p}" if len(section.paragraphs) > 1 else p for p in section.paragraphs)
    return "\n".join(parts) + "\n"


def mask_email(email: str | None) -> str | None:
    """`m***@ciudadano.demo`: enough to recognise an address, not to write to it."""
    if not email or "@" not in email:
        return email
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_rut(compact: str | None) -> str | None:
    """`12.***.***-5` (Rut.masked) for a stored RUT; anything unparseable is hidden whole."""
    if not compact:
        return compact
    return parse_rut(compact).masked if is_valid_rut(compact) else "***"
