"""A PDF sent to a public route: as the raw body (`application/pdf`) or as the `pdf` file of an HTML
form (`multipart/form-data`, what a page without JavaScript can send). The multipart body is read
with the standard library's MIME parser; anything malformed is a 400, never a 500."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

from chalice.app import Request

from chalicelib.api.http import header
from chalicelib.domain.errors import InvalidInput

UPLOAD_TYPES = ["multipart/form-data", "application/pdf", "application/octet-stream"]
MAX_UPLOAD_BYTES = 5 * 1024 * 1024 + 64 * 1024
"""The 5 MB a PDF may have, plus room for the form's own headers."""


def uploaded_pdf(request: Request) -> bytes:
    """The PDF's bytes (not checked to be a PDF here)."""
    raw = request.raw_body or b""
    if isinstance(raw, str):  # pragma: no cover - binary bodies arrive as bytes
        raw = raw.encode("latin-1", errors="replace")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise InvalidInput("El PDF supera los 5 MB.", code="body_too_large", field="pdf")
    content_type = header(request, "content-type") or ""
    if not content_type.lower().startswith("multipart/form-data"):
        return bytes(raw)
    try:
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + bytes(raw))
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "pdf":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    return payload
    except (ValueError, TypeError, UnicodeError, LookupError, AttributeError) as exc:
        raise InvalidInput("El formulario enviado no es válido.", code="invalid_form", field="pdf") from exc
    raise InvalidInput("Adjunte el PDF del comprobante.", code="not_a_pdf", field="pdf")
