"""PAdES signature of a receipt: one KMS call, no sizing pass, a visible stamp.

The signature is a PAdES baseline B-B (ETSI.CAdES.detached) certification signature: the PDF is
locked against changes (DocMDP "no changes"), the signed attributes carry the signer certificate
reference (signing-certificate-v2), and the CMS embeds the signer certificate and the CA chain.
The space for the CMS is reserved up front from the certificates' sizes (`bytes_reserved`), so
pyHanko skips its dry-run sizing signature. No timestamp authority is reachable from here, so
the signing time is the one the signer declares (the /M entry).

pyHanko is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import io
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.domain.chile_time import SANTIAGO
from chalicelib.signing.ca import SigningCredentials
from chalicelib.signing.signing_keys import SigningKeys

if TYPE_CHECKING:
    from chalicelib.signing.kms_signer import KmsSigner

FIELD_NAME = "FirmaComprobante"
REASON = "Comprobante de pago"
STAMP_TEXT = "Firmado electrónicamente por:\n%(signer)s\n%(role)s\nFecha: %(when)s"

# DER bytes around the certificates and the signature value: signed attributes (content type,
# digest, signing-certificate-v2, CMS algorithm protection), SignerInfo and SignedData framing.
_CMS_OVERHEAD = 1536


def sign_receipt_pdf(pdf: bytes, *, credentials: SigningCredentials, kms: SigningKeys, signer_name: str,
                     signer_role: str, location: str, box: tuple[int, int, int, int] | None = None,
                     reason: str = REASON, local_time: tzinfo | None = None) -> bytes:
    """Sign `pdf` and return the signed PDF.

    - `signer_name`, `signer_role`: printed in the visible stamp (the certificate's CN is what
      validators show); `location`: the municipality, recorded in the signature dictionary;
    - `box`: (x1, y1, x2, y2) on the last page for the visible stamp (the receipt layout's
      `SIGNATURE_BOX` by default); `local_time`: the zone the stamp's time is printed in
      (Chile's by default).

    What does not change between receipts is kept per process (`_kms_signer`, `_pdf_signer`):
    the parsed certificates, pyHanko's signer with its CMS template, the signature metadata,
    stamp style and field specification.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    if box is None:
        from chalicelib.documents.receipt_pdf import SIGNATURE_BOX

        box = SIGNATURE_BOX
    signer = _kms_signer(kms, credentials)
    pdf_signer = _pdf_signer(signer, reason=reason, location=location, signer_name=signer_name, box=box)
    now = datetime.now(local_time or SANTIAGO)
    reserved = 2 * (len(credentials.certificate_der) + sum(map(len, credentials.chain_der))
                    + signer.signature_length + _CMS_OVERHEAD)
    output = pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        bytes_reserved=reserved,
        appearance_text_params={
            "signer": signer_name,
            "role": signer_role,
            "when": now.strftime("%d-%m-%Y %H:%M:%S ") + _offset(now),
        },
    )
    signed: bytes = output.getvalue()
    return signed


@lru_cache(maxsize=512)  # one per municipality's certificate: ~345 municipalities, a few KB each
def _kms_signer(kms: SigningKeys, credentials: SigningCredentials) -> KmsSigner:
    """pyHanko's signer for a KMS key and its certificates, one per process (it keeps the
    parsed certificates and, after its first signature, the CMS template)."""
    from asn1crypto import x509

    from chalicelib.signing.kms_signer import KmsSigner

    certificate = x509.Certificate.load(credentials.certificate_der)
    chain = tuple(x509.Certificate.load(der) for der in credentials.chain_der)
    return KmsSigner(kms, credentials.key_id, certificate, chain)


@lru_cache(maxsize=1024)  # one per signer and stamp text
def _pdf_signer(signer: KmsSigner, *, reason: str, location: str, signer_name: str,
                box: tuple[int, int, int, int]) -> Any:
    """pyHanko's `PdfSigner` (metadata, stamp style, field) for one signer and stamp text; it
    keeps no state between documents."""
    from pyhanko.sign.fields import MDPPerm, SigFieldSpec, SigSeedSubFilter
    from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
    from pyhanko.stamp.text import TextStampStyle

    metadata = PdfSignatureMetadata(
        field_name=FIELD_NAME,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=signer_name,
        subfilter=SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
    )
    style = TextStampStyle(stamp_text=STAMP_TEXT, border_width=0, background=None)
    return PdfSigner(metadata, signer=signer, stamp_style=style,
                     new_field_spec=SigFieldSpec(sig_field_name=FIELD_NAME, on_page=-1, box=box))


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")
    return f"(UTC{text[:3]}:{text[3:]})" if text else ""
