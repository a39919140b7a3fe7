"""Request and response shapes of the public routes (docs/contract.md), as pydantic models.

They validate structure and types at the edge (and generate the OpenAPI document); the domain
then applies the rules and refuses, with its own specific codes, what the law does not allow.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.errors import InvalidInput

_CUT = re.compile(r"^[0-9]{5}$")


def municipality_code(value: str) -> str:
    """A path's municipality code: five digits (the CUT), or a 400 naming the field."""
    if not _CUT.match(value or ""):
        raise InvalidInput("El código de municipalidad debe tener 5 dígitos (código CUT, p. ej. 13101).",
                           code="invalid_municipality", field="code")
    return value


class Strict(BaseModel):
    """Base of every request model: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    """Base of every response model: a key the service returns that the model does not name is a
    bug caught at once (`http.typed` answers 500), never a field silently dropped from the answer."""

    model_config = ConfigDict(extra="forbid")


IsoDate = Annotated[str, Field(description="Fecha ISO 8601 (AAAA-MM-DD).", examples=["2027-03-31"])]
IsoDateTime = Annotated[str, Field(description="Fecha y hora ISO 8601 con zona horaria.",
                                   examples=["2027-03-01T13:05:00+00:00"])]
IsoMonth = Annotated[str, Field(description="Mes AAAA-MM.", examples=["2027-03"])]
Pesos = Annotated[int, Field(description="Monto en pesos chilenos (enteros).")]
DecimalText = Annotated[str, Field(description="Número decimal exacto como texto (p. ej. \"0.625\"), para no "
                                               "perder precisión.")]
Cursor = Annotated[str | None, Field(description="Para pedir la página siguiente; null al final.")]
FreeForm = dict[str, Any]
"""A JSON object whose keys the route cannot fix: each use says why (a snapshot of what changed,
a calculation trail that depends on the rule in force)."""


class PresignedUploadOut(Out):
    """Where to PUT a file: the presigned URL, the method and headers to use, and until when."""

    upload_id: str
    upload_url: str
    method: Literal["PUT"]
    headers: dict[str, str]
    expires_at: str


class MunicipalityNameOut(Out):
    code: str
    name: str


class PlatePermitOut(Out):
    """`GET /v1/permits/{plate}`: a plate's permit for a year, nationally, without its owner."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "plate": "BBBB10", "year": 2027, "status": "paid", "status_text": "Pagado",
        "municipality": {"code": "13101", "name": "Santiago"},
        "installments": [{"installment": "full", "folio": "13101-2027-000001", "paid_at": "2027-03-01T13:05:00+00:00"}],
        "valid_until": "2028-03-31", "valid_until_text": "31-03-2028"}]})

    plate: str
    year: int
    status: Literal["paid", "partially_paid", "not_paid", "annulled"]
    status_text: str
    municipality: MunicipalityNameOut | None
    installments: list[dict[str, Any]]
    valid_until: str | None
    valid_until_text: str


class ReceiptSignatureOut(Out):
    """The receipt's signature as it is under Ley 19.799 art. 2: `simple` (the platform's CA) or
    `advanced` (FirmaGob, an accredited provider), with who issued the signer's certificate."""

    status: str
    format: str
    signer: str
    role: str
    trust_chain: str
    backend: Literal["platform", "firmagob"] | None = None
    level: Literal["simple", "avanzada"] | None = None
    level_text: str | None = None
    accredited: bool | None = None
    provider: str | None = None
    issuer: str | None = None
    legend: str | None = None


class ReceiptDocumentOut(Out):
    sha256: str | None
    algorithm: Literal["SHA-256"]


class AnnulmentOut(Out):
    at: str | None
    reason: str


class ReceiptVerificationOut(Out):
    """`GET /v1/receipts/verify`: what the receipt's verification page shows, as JSON."""

    valid: bool
    status: str
    status_text: str
    folio: str
    municipality: MunicipalityNameOut
    amount: int
    amount_text: str
    issued_at: str
    issued_on: str
    paid_at: str
    items: list[dict[str, Any]]
    signature: ReceiptSignatureOut
    document: ReceiptDocumentOut
    verification_url: str
    keys: str = Field(description="Ruta del JWKS que verifica sin conexión el token del QR.")
    annulment: AnnulmentOut | None = None


class NewVehicleIn(Strict):
    net_invoice_value: int = Field(description="Valor neto de la factura, en pesos.")
    month: int = Field(description="Mes de compra (1-12).")


class PermitSimulationIn(Strict):
    """Body of `POST /v1/municipalities/{code}/permits/simulate`."""

    vehicle_class: str = Field(examples=["light"], description="light, motorcycle, taxi, bus, truck, …")
    tasacion: int | None = Field(default=None, description="Tasación fiscal SII, en pesos.")
    year: int = Field(description="Año del permiso.")
    installment: Literal["full", "first", "second"] = "full"
    propulsion: Literal["combustion", "electric", "plugin_hybrid"] = "combustion"
    model_year: int | None = None
    new_vehicle: NewVehicleIn | None = None
    payment_date: date | None = None
    capacity_kg: int | None = Field(default=None, description="Capacidad de carga (camiones).")
    back_years: list[int] | None = Field(
        default=None, description="Años anteriores no pagados: cada uno se calcula reajustado y con intereses.")


class PatenteSimulationIn(Strict):
    """Body of `POST /v1/municipalities/{code}/patentes/simulate`."""

    kind: str = Field(examples=["comercial"],
                      description="comercial, industrial, provisoria, profesional, micro_empresa_familiar")
    capital_propio: int | None = Field(default=None, description="Capital propio, en pesos.")
    year: int
    zone: str | None = None
    exempt_reason: str | None = None
    payment_date: date | None = Field(
        default=None, description="Fecha de pago: los semestres vencidos llevan reajuste e intereses (art. 53).")


class PermitSimulationOut(Out):
    """The permit calculator's answer: the amount of the asked installment, every installment's
    amount, whether a projected UTM/IPC was used, the breakdown to redo it by hand, and with
    `back_years` each earlier unpaid permit readjusted and with interest."""

    municipality: str
    amount: int | None
    amounts: dict[str, int | None]
    estimated: bool
    estimated_amounts: dict[str, bool]
    breakdown: dict[str, Any]
    back_years: dict[str, Any] | None = None


class PatenteSimulationOut(Out):
    """The patente calculator's answer: the yearly amount, its semesters and the breakdown."""

    municipality: str
    amount: int
    installments: list[dict[str, Any]]
    estimated: bool
    breakdown: dict[str, Any]


class MunicipalitySummaryOut(Out):
    code: str = Field(examples=["13101"], description="Código CUT.")
    name: str = Field(examples=["Santiago"])
    region: str | None
    services: list[str] = Field(examples=[["permisos", "patentes", "aseo"]])


class MunicipalitiesOut(Out):
    """`GET /v1/municipalities`: the enabled municipalities and the services each offers."""

    municipalities: list[MunicipalitySummaryOut]


class BrandingOut(Out):
    primary_color: str = Field(examples=["#0b5394"])
    secondary_color: str = Field(examples=["#ffffff"])


class MunicipalityOut(MunicipalitySummaryOut):
    """`GET /v1/municipalities/{code}`: name, services and the colours the payment widget uses."""

    branding: BrandingOut


class HealthOut(Out):
    """`GET /v1/health`: `ok`, or `degraded` (answered 503) with each dependency's check."""

    status: Literal["ok", "degraded"]
    checks: dict[str, dict[str, Any]]


def body_for_domain(model: BaseModel) -> dict[str, Any]:
    """The validated body as plain JSON for the domain's parser (dates back to ISO text)."""
    return model.model_dump(mode="json", exclude_none=True)


class UploadCheckOut(Out):
    """Whether an uploaded PDF is byte for byte the stored receipt and whether its signature holds."""

    sha256: str
    matches: bool
    signature_valid: bool
    intact: bool
    trusted: bool
    signer: str | None
    verdict: Literal["authentic", "different"]
    verdict_text: str


class ReceiptUploadVerificationOut(ReceiptVerificationOut):
    """`POST /v1/receipts/verify`: the receipt's verification and the check of the uploaded PDF."""

    upload: UploadCheckOut


class JwkOut(Out):
    """A municipality's public key (EC P-256) for the ES256 tokens in receipts' QR codes."""

    kty: Literal["EC"]
    crv: Literal["P-256"]
    x: str
    y: str
    kid: str = Field(description="<municipalidad>-<huella>: el kid del encabezado del token.")
    alg: Literal["ES256"]
    use: Literal["sig"]


class JwksOut(Out):
    """`GET /v1/trust/jwks.json`: every municipality's key (RFC 7517 JWK Set)."""

    keys: list[JwkOut]


class OpenApiDocumentOut(Out):
    """`GET /v1/openapi.json`: this document (OpenAPI 3.1)."""

    openapi: str
    info: FreeForm = Field(description="Título, versión y descripción (objeto Info de OpenAPI).")
    tags: list[FreeForm] = Field(description="Objetos Tag de OpenAPI, con x-displayName.")
    # Free-form: the structure of these is OpenAPI's own (specified at spec.openapis.org), not ours.
    paths: FreeForm = Field(description="Objeto Paths de OpenAPI.")
    components: FreeForm = Field(description="Objeto Components de OpenAPI (esquemas y esquemas de seguridad).")
