"""PAdES signatures of officials' documents (payment batches, agreements): like receipts' (one KMS
call, bytes reserved up front, visible stamp) but with the field, the box and the DocMDP level the
document asks for, so a document can carry more than one signature:

- `no_changes`: a certification signature that locks the document (a batch, a correction);
- `fill_forms`: a certification signature that still allows later signatures (the agreement's
  first signature, by the Alcalde);
- `none`: an approval signature added to a certified document (the central countersignature).

pyHanko is imported inside the function.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Literal

from chalicelib.signing.ca import SigningCredentials
from chalicelib.signing.signing_keys import SigningKeys

Certify = Literal["no_changes", "fill_forms", "none"]
STAMP_TEXT = "Firmado electrónicamente por:\n%(signer)s\n%(role)s\nFecha: %(when)s"
_CMS_OVERHEAD = 1536


def sign_document_pdf(pdf: bytes, *, credentials: SigningCredentials, kms: SigningKeys, field_name: str,
                      box: tuple[int, int, int, int], reason: str, location: str, signer_name: str,
                      signer_role: str, certify: Certify, now: datetime, new_field: bool = True) -> bytes:
    """Sign `pdf` on its last page inside `box` and return the signed PDF (one KMS call).
    `new_field=False`: sign the empty field `field_name` the document already has (see
    `add_signature_fields`; a certified document allows filling fields, not adding them)."""
    from asn1crypto import x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
    from pyhanko.stamp.text import TextStampStyle

    from chalicelib.signing.kms_signer import KmsSigner

    certificate = x509.Certificate.load(credentials.certificate_der)
    chain = tuple(x509.Certificate.load(der) for der in credentials.chain_der)
    signer = KmsSigner(kms, credentials.key_id, certificate, chain)
    permissions = {"no_changes": MDPPerm.NO_CHANGES, "fill_forms": MDPPerm.FILL_FORMS}.get(certify)
    metadata = PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256", reason=reason, location=location, name=signer_name,
        subfilter=SigSeedSubFilter.PADES, certify=permissions is not None,
        docmdp_permissions=permissions or MDPPerm.FILL_FORMS)
    style = TextStampStyle(stamp_text=STAMP_TEXT, border_width=0, background=None)
    pdf_signer = PdfSigner(metadata, signer=signer, stamp_style=style,
                           new_field_spec=SigFieldSpec(sig_field_name=field_name, on_page=-1, box=box)
                           if new_field else None)
    reserved = 2 * (len(credentials.certificate_der) + sum(map(len, credentials.chain_der))
                    + signer.signature_length + _CMS_OVERHEAD)
    offset = now.strftime("%z")
    when = now.strftime("%d-%m-%Y %H:%M:%S") + (f" (UTC{offset[:3]}:{offset[3:]})" if offset else "")
    output = pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False), bytes_reserved=reserved,
        appearance_text_params={"signer": signer_name, "role": signer_role, "when": when})
    signed: bytes = output.getvalue()
    return signed


def add_signature_fields(pdf: bytes, fields: list[tuple[str, tuple[int, int, int, int]]]) -> bytes:
    """The PDF with empty signature fields on its last page, for documents signed more than once."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    for name, box in fields:
        append_signature_field(writer, SigFieldSpec(sig_field_name=name, on_page=-1, box=box))
    output = io.BytesIO()
    writer.write(output)  # type: ignore[no-untyped-call]
    return output.getvalue()
