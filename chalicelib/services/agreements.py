"""Agreements (convenios) between the central level and a municipality: issued as a PDF draft by
the central administrator, signed by the municipality's Alcalde (PAdES certification that still
allows signatures), countersigned by the central administrator (approval signature). The
countersignature puts the agreement in force: the municipality's `agreement` becomes
`{status: in_force, valid_until, agreement_id, …}` in the same transaction, which is what the
citizens' portal gate checks. An agreement past `valid_until` is expired (the gate refuses it);
renewing is issuing and signing a new one, which replaces it when countersigned.

States: `draft` → `signed_municipality` → `in_force` (shown `expired` after `valid_until`, and
`superseded` once a newer agreement is in force). Documents live in the receipts bucket under
`<cut>/agreements/<id>/`; each state's PDF is a new object, never overwritten.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.domain.errors import ConditionFailed, Conflict, InvalidInput, NotFound, RuleRefused
from chalicelib.services import signatures
from chalicelib.services.auth import Official

LINK_SECONDS = 300
STATUS_TEXT = {"draft": "Borrador: falta la firma del Alcalde(sa)",
               "signed_municipality": "Firmado por la municipalidad: falta la firma del nivel central",
               "in_force": "Vigente", "expired": "Vencido", "superseded": "Reemplazado por un convenio posterior"}
MAYOR_FIELD, CENTRAL_FIELD = "FirmaAlcalde", "FirmaSubdere"
_ID = r"^CONV-\d{5}-\d{8}T\d{6}-[0-9a-f]{6}$"


@dataclass
class AgreementsContext:
    documents: ObjectStore
    municipalities: MunicipalityRepository
    signatures: signatures.SignaturesContext
    clock: Callable[[], datetime]


def _config(code: str, ctx: AgreementsContext) -> dict[str, Any]:
    config = ctx.municipalities.get(code)
    if config is None:
        raise NotFound(f"La municipalidad {code} no está registrada en la plataforma.",
                       code="municipality_not_found", field="code")
    return config


def _get(code: str, agreement_id: str, ctx: AgreementsContext) -> dict[str, Any]:
    import re

    record = ctx.signatures.repo.agreement(code, agreement_id) if re.match(_ID, agreement_id) else None
    if record is None:
        raise NotFound("No existe ese convenio para la municipalidad.", code="agreement_not_found")
    return record


def public(record: dict[str, Any], ctx: AgreementsContext, *, current_id: str | None = None) -> dict[str, Any]:
    status = str(record["status"])
    today = ctx.clock().date().isoformat()
    if status == "in_force" and str(record["valid_until"]) < today:
        status = "expired"
    elif status == "in_force" and current_id and current_id != record["agreement_id"]:
        status = "superseded"
    number = {"draft": 0, "signed_municipality": 1}.get(str(record["status"]), 2)
    return {"agreement_id": record["agreement_id"], "municipality": record["municipality"], "status": status,
            "status_text": STATUS_TEXT[status], "valid_from": record["valid_from"],
            "valid_until": record["valid_until"], "reference": record.get("reference"),
            "issued_at": record["issued_at"], "issued_by": record["issued_by"],
            "municipality_signature": record.get("municipality_signature"),
            "central_signature": record.get("central_signature"), "document_sha256": record["document_sha256"],
            "download_url": ctx.documents.presign_get(str(record["document_key"]), expires_in=LINK_SECONDS,
                                                      filename=f"convenio-{record['agreement_id']}-{number}.pdf")}


def list_agreements(code: str, ctx: AgreementsContext) -> dict[str, Any]:
    current = str((_config(code, ctx).get("agreement") or {}).get("agreement_id") or "")
    return {"items": [public(r, ctx, current_id=current) for r in ctx.signatures.repo.agreements(code)],
            "current": current or None, "signs_with": ctx.signatures.port.kind.record()}


def get(code: str, agreement_id: str, ctx: AgreementsContext) -> dict[str, Any]:
    current = str((_config(code, ctx).get("agreement") or {}).get("agreement_id") or "")
    return {**public(_get(code, agreement_id, ctx), ctx, current_id=current),
            "signs_with": ctx.signatures.port.kind.record()}


def issue(code: str, *, valid_from: date, valid_until: date, reference: str | None, actor: Official,
          ctx: AgreementsContext) -> dict[str, Any]:
    """A new agreement for the municipality, as a PDF draft for its Alcalde to sign."""
    from chalicelib.documents.signed_pdfs import CENTRAL_BOX, MAYOR_BOX, agreement_pdf
    from chalicelib.signing.pades_documents import add_signature_fields

    if code == signatures.PLATFORM:
        raise InvalidInput("00000 es la plataforma, no una municipalidad.", code="invalid_municipality", field="code")
    config = _config(code, ctx)
    now = ctx.clock()
    if valid_until <= valid_from or valid_until < now.date():
        raise InvalidInput("La vigencia debe terminar después de comenzar, y no en el pasado.",
                           code="invalid_validity", field="valid_until")
    agreement_id = f"CONV-{code}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
    record: dict[str, Any] = {"agreement_id": agreement_id, "municipality": code, "status": "draft",
                              "valid_from": valid_from.isoformat(), "valid_until": valid_until.isoformat(),
                              "reference": reference, "issued_at": now.isoformat(timespec="seconds"),
                              "issued_by": {"email": actor.email, "name": actor.name}}
    pdf = agreement_pdf(record, municipality_legal_name=str(config.get("legal_name") or config.get("name")),
                        generated_at=now.strftime("%d-%m-%Y %H:%M"), signature=ctx.signatures.port.kind.level_text)
    pdf = add_signature_fields(pdf, [(MAYOR_FIELD, MAYOR_BOX), (CENTRAL_FIELD, CENTRAL_BOX)])
    key = f"{code}/agreements/{agreement_id}/0-borrador.pdf"
    ctx.documents.put(key, pdf, content_type="application/pdf")
    record.update(document_key=key, document_sha256=signatures.sha256_hex(pdf))
    record = {k: v for k, v in record.items() if v is not None}
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="agreement.issue", target=agreement_id,
                      after={"valid_from": record["valid_from"], "valid_until": record["valid_until"]}, now=now)
    ctx.signatures.repo.add_agreement(code, record, audit)
    return public(record, ctx)


def sign_municipality(code: str, agreement_id: str, otp: str, official: Official, ctx: AgreementsContext
                      ) -> dict[str, Any]:
    """The Alcalde signs the draft (certification that allows the countersignature)."""
    from chalicelib.documents.signed_pdfs import MAYOR_BOX

    return _sign(code, agreement_id, otp, official, ctx, from_status="draft", to_status="signed_municipality",
                 field=MAYOR_FIELD, box=MAYOR_BOX, certify="fill_forms", party="municipality_signature",
                 reason="Firma del convenio por la municipalidad", file="1-firmado-municipalidad.pdf")


def countersign(code: str, agreement_id: str, otp: str, official: Official, ctx: AgreementsContext
                ) -> dict[str, Any]:
    """The central administrator countersigns: the agreement enters into force."""
    from chalicelib.documents.signed_pdfs import CENTRAL_BOX

    return _sign(code, agreement_id, otp, official, ctx, from_status="signed_municipality", to_status="in_force",
                 field=CENTRAL_FIELD, box=CENTRAL_BOX, certify="none", party="central_signature",
                 reason="Firma del convenio por el nivel central", file="2-firmado.pdf")


def _sign(code: str, agreement_id: str, otp: str, official: Official, ctx: AgreementsContext, *,
          from_status: str, to_status: str, field: str, box: tuple[int, int, int, int], certify: Any, party: str,
          reason: str, file: str) -> dict[str, Any]:
    from chalicelib.signing.port import Appearance, DocumentToSign

    record = _get(code, agreement_id, ctx)
    if record["status"] != from_status:
        raise Conflict(f"El convenio no está para esta firma (estado: {STATUS_TEXT.get(record['status'])}).",
                       code="agreement_wrong_state")
    now = ctx.clock()
    if str(record["valid_until"]) < now.date().isoformat():
        raise RuleRefused("El convenio ya venció; emita uno nuevo para renovarlo.", code="agreement_expired")
    signer = signatures.identity(official, ctx.signatures)
    pdf = ctx.documents.get(str(record["document_key"]))
    config = _config(code, ctx)
    location = str(config.get("name") or code) if party == "municipality_signature" else "Santiago"
    document = DocumentToSign(pdf=pdf, kind="agreement", description=f"convenio-{agreement_id}.pdf",
                              appearance=Appearance(field_name=field, box=box, reason=reason, location=location,
                                                    certify=certify, existing_field=True))
    signed_pdf = ctx.signatures.port.sign(document, signer, otp=otp)
    key = f"{code}/agreements/{agreement_id}/{file.replace('.pdf', '')}-{secrets.token_hex(4)}.pdf"
    ctx.documents.put(key, signed_pdf, content_type="application/pdf")
    signature = {"email": official.email, "name": official.name, "profile": official.profile,
                 "signed_at": now.isoformat(timespec="seconds"),
                 "certificate_serial": signatures.certificate_serial(official, ctx.signatures)}
    fields = {"status": to_status, party: signature, "document_key": key,
              "document_sha256": signatures.sha256_hex(signed_pdf)}
    in_force = None
    if to_status == "in_force":
        in_force = {"status": "in_force", "valid_until": record["valid_until"], "agreement_id": agreement_id,
                    "signed_at": now.date().isoformat(), "reference": record.get("reference") or agreement_id}
    audit = audit_row(code, actor=official.email, profile=official.profile,
                      action="agreement.countersign" if in_force else "agreement.sign", target=agreement_id,
                      before={"status": from_status}, after={"status": to_status,
                                                             "certificate_serial": signature["certificate_serial"],
                                                             "document_sha256": fields["document_sha256"]}, now=now)
    try:
        ctx.signatures.repo.advance_agreement(code, agreement_id, from_status=from_status, fields=fields, audit=audit,
                                              municipality_agreement=in_force)
    except ConditionFailed as exc:
        raise Conflict("El convenio cambió mientras lo firmaba; recargue.", code="agreement_wrong_state") from exc
    ctx.municipalities.forget(code)
    return get(code, agreement_id, ctx)
