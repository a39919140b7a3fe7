"""TGR's notification signature: `X-TGR-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, where each
`v1` is HMAC-SHA256(secret, f"{t}." + raw body). Several `v1` values and several secrets allow
rotating the secret without losing a notification. Pure: the caller passes the time."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from chalicelib.domain.errors import Unauthenticated

TOLERANCE_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `v1` value for one secret."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(header: str | None, body: bytes, secrets: Sequence[str], *, now: int,
           tolerance_s: int = TOLERANCE_S) -> int:
    """The signed timestamp when some `v1` matches some secret within the tolerance; otherwise
    `Unauthenticated` (without saying which part failed beyond what a caller can fix)."""
    if not header:
        raise Unauthenticated("Falta la firma X-TGR-Signature.", code="signature_missing",
                              field="X-TGR-Signature")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        # ASCII digits only, and few: str.isdigit() is also true of "¹" or "٣", which int() refuses
        # (and int() refuses numbers of thousands of digits): a 500 for a header anyone can send.
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value.strip())
    if timestamp is None or not candidates:
        raise Unauthenticated("La firma X-TGR-Signature no tiene el formato t=…,v1=….", code="signature_malformed",
                              field="X-TGR-Signature")
    if abs(now - timestamp) > tolerance_s:
        raise Unauthenticated("La firma está fuera del plazo de tolerancia (posible reenvío).",
                              code="signature_stale", field="X-TGR-Signature")
    expected = [sign(secret, timestamp, body) for secret in secrets if secret]
    if not any(hmac.compare_digest(e, c) for e in expected for c in candidates):
        raise Unauthenticated("La firma X-TGR-Signature no es válida.", code="signature_invalid",
                              field="X-TGR-Signature")
    return timestamp
