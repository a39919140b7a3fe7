"""A receipt's folio and verification code: their shapes, how a typed code is read, what is kept
of it, and the public link that carries both (docs/verification.md)."""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final
from urllib.parse import urlencode

from chalicelib.domain.errors import InvalidInput

CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH: Final = 10
FOLIO_PATTERN: Final = r"^[0-9]{5}-[0-9]{4}-[0-9]{6,9}$"
"""``<cut>-<year>-<number>``: a receipt's folio."""


def new_verification_code() -> str:
    """10 random Crockford base-32 symbols (50 bits; no I, L, O, U), as ``XXXXX-XXXXX``."""
    symbols = "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))
    return f"{symbols[:5]}-{symbols[5:]}"


def normalize_code(text: str) -> str:
    """A code as typed (any case, spaces or hyphens, O for 0, I/L for 1) in its printed form;
    `InvalidInput` when it cannot be one."""
    compact = re.sub(r"[\s-]", "", text or "").upper().translate(str.maketrans("OIL", "011"))
    if len(compact) != CODE_LENGTH or any(c not in CROCKFORD for c in compact):
        raise InvalidInput("El código de verificación tiene 10 caracteres (p. ej. K7P39-XQ2M4).",
                           code="invalid_verification_code", field="code")
    return f"{compact[:5]}-{compact[5:]}"


def code_hash(folio: str, code: str) -> str:
    """What the receipt record keeps of the code (the code itself lives only on the payment)."""
    return hashlib.sha256(f"{folio}|{code}".encode()).hexdigest()


def verify_url(base: str, folio: str, code: str) -> str:
    """The public page that verifies the receipt `folio` with its `code` (printed and in the QR)."""
    return f"{base.rstrip('/')}/v1/receipts/verify?{urlencode({'folio': folio, 'code': code})}"


def privacy_url(base: str, code: str) -> str:
    """The privacy notice naming the municipality (docs/personal-data.md)."""
    return f"{base.rstrip('/')}/v1/privacy?{urlencode({'municipality': code})}"
