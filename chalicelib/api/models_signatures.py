"""Response shapes of the electronic-signature routes: an official's enrollment, the daily
payment batch, agreements, certificate status and the verification of a signed PDF
(chalicelib/api/admin_signatures.py, chalicelib/api/signatures.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import IsoDate, IsoDateTime, Out, Pesos
from chalicelib.api.models_officials import Profile


class SignatureKindOut(Out):
    """What a signature is under Ley 19.799 art. 2: `simple` (the platform's CA) or `avanzada`
    (FirmaGob, an accredited provider), with the legend the documents carry."""

    backend: Literal["platform", "firmagob"]
    level: Literal["simple", "avanzada"]
    level_text: str
    accredited: bool
    provider: str
    issuer: str
    legend: str
    trust_chain: str = Field(description="Ruta de la cadena PEM con que se valida.")


class CertificateRefOut(Out):
    serial: str | None
    not_before: IsoDateTime | None
    not_after: IsoDateTime | None
    status_url: str


class EnrollmentOut(Out):
    """The official's signature: not enrolled, pending (first code awaited), active or revoked."""

    enrolled: bool
    status: Literal["not_enrolled", "pending", "active", "revoked"] | None
    name: str | None = None
    run: str | None = None
    profile: Profile | None = None
    profile_name: str | None = None
    certificate: CertificateRefOut | None = None
    enrolled_at: IsoDateTime | None = None
    confirmed_at: IsoDateTime | None = None
    revoked_at: IsoDateTime | None = None
    revocation_reason: str | None = None
    otp_locked_until: str | None = Field(default=None, description="Hasta cuándo está bloqueado el código (UTC).")


class MySignatureOut(EnrollmentOut):
    signs_with: SignatureKindOut = Field(description="Qué es una firma hecha ahora.")


class EnrolledOut(EnrollmentOut):
    otpauth_uri: str = Field(description="URI otpauth:// del secreto TOTP: se muestra solo esta vez.")


class BatchPaymentOut(Out):
    payment_id: str
    amount: Pesos
    method: str
    paid_at: str
    services: list[str]
    by_service: dict[str, Pesos] | None = Field(default=None, description="Monto por servicio.")
    line: str | None = Field(default=None, description="En una corrección, la línea retirada de la nómina firmada "
                                                        "(id del pago, o DEV#/CTC# de una devolución o contracargo).")


class BatchReturnOut(Out):
    """Money that went back on the day: a refund TGR completed or a reversal it notified (negative)."""

    payment_id: str
    line: str = Field(description="DEV#<id de la devolución> o CTC#<id del contracargo>.")
    reference: str
    kind: Literal["devolucion", "contracargo"]
    kind_text: str
    amount: Pesos = Field(description="Negativo: lo devuelto.")
    returned_at: str


class BatchReturnsTotalOut(Out):
    count: int
    amount: Pesos


class CountByServiceOut(Out):
    service: str
    label: str
    count: int
    amount: Pesos


class CountByMethodOut(Out):
    method: str
    label: str
    count: int
    amount: Pesos


class BatchTotalsOut(Out):
    count: int
    amount: Pesos = Field(description="Neto del día: lo recaudado más las devoluciones y contracargos (negativos).")
    collected: Pesos
    returns: BatchReturnsTotalOut
    by_service: list[CountByServiceOut]
    by_method: list[CountByMethodOut]


class SignerOut(Out):
    email: str
    name: str | None
    profile: Profile | None = None


class SignedBatchOut(Out):
    """A signed version of the batch: the first (`batch`) or a later `correction`."""

    number: int
    kind: Literal["batch", "correction"]
    count: int
    amount: Pesos
    net_amount: Pesos | None
    digest: str
    signed_at: IsoDateTime
    signed_by: SignerOut
    certificate_serial: str
    document_sha256: str
    download_url: str


class PendingCorrectionOut(Out):
    added: list[BatchPaymentOut | BatchReturnOut]
    removed: list[BatchPaymentOut]
    net_amount: Pesos


class BatchOut(Out):
    """The day's payment batch as it is now, its signed versions and any pending correction."""

    municipality: str
    day: IsoDate
    payments: list[BatchPaymentOut]
    returns: list[BatchReturnOut]
    totals: BatchTotalsOut
    digest: str = Field(description="SHA-256 de la nómina (pago → monto; DEV#/CTC# → monto devuelto).")
    status: Literal["unsigned", "signed", "correction_pending"]
    status_text: str
    signed: list[SignedBatchOut]
    pending_correction: PendingCorrectionOut | None
    signs_with: SignatureKindOut
    draft_url: str | None = Field(default=None, description="Con document=true: el PDF por firmar.")


class PartySignatureOut(Out):
    email: str
    name: str | None
    profile: Profile | None
    signed_at: IsoDateTime
    certificate_serial: str


class AgreementOut(Out):
    agreement_id: str
    municipality: str
    status: Literal["draft", "signed_municipality", "in_force", "expired", "superseded"]
    status_text: str
    valid_from: IsoDate
    valid_until: IsoDate
    reference: str | None
    issued_at: IsoDateTime
    issued_by: SignerOut
    municipality_signature: PartySignatureOut | None
    central_signature: PartySignatureOut | None
    document_sha256: str
    download_url: str
    signs_with: SignatureKindOut | None = None


class AgreementsOut(Out):
    items: list[AgreementOut]
    current: str | None = Field(description="agreement_id del convenio vigente.")
    signs_with: SignatureKindOut


class CertificateSubjectOut(Out):
    name: str | None
    profile: Profile | None
    profile_name: str | None
    organization: str | None
    municipality: str | None


class CertificateStatusOut(Out):
    """`good`, or `revoked` with when and why, for a certificate the platform CA issued."""

    serial: str
    status: Literal["good", "revoked"] | None
    revoked_at: IsoDateTime | None
    reason: str | None
    reason_text: str | None
    not_before: IsoDateTime | None
    not_after: IsoDateTime | None
    subject: CertificateSubjectOut


class SignatureCertificateOut(Out):
    serial: str | None
    status: str = Field(description="good, revoked o unknown.")
    revoked_at: IsoDateTime | None
    reason: str | None
    valid_at_signing: bool


class DocumentSignatureOut(Out):
    field: str | None
    signer: str | None
    run: str | None
    profile: str | None
    profile_name: str | None
    municipality: str | None
    locality: str | None
    signed_at: IsoDateTime | None
    intact: bool
    trusted: bool
    coverage: str | None
    certificate: SignatureCertificateOut
    kind: SignatureKindOut | None = Field(description="null: la firma no es de confianza.")
    valid: bool
    problem: str


class SignedDocumentCheckOut(Out):
    """Every signature of a signed PDF and whether the whole document holds."""

    valid: bool
    signatures: list[DocumentSignatureOut]
    document_sha256: str
    reason: str
