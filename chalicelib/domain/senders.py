"""Which e-mail addresses a municipality may send from: only under the SES identities verified for
it (its `sender_identities`, set by the platform when it registers the municipality, never by the
municipality's own settings). An identity is an address (that address only) or a domain (any
mailbox of exactly that domain). Pure."""

from __future__ import annotations

from collections.abc import Iterable


def sender_allowed(address: str, identities: Iterable[str]) -> bool:
    """Whether `address` is covered by one of `identities` (case-insensitive)."""
    address = address.strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        return False
    for identity in identities:
        identity = str(identity).strip().lower()
        if not identity:
            continue
        if ("@" in identity and address == identity) or ("@" not in identity and domain == identity):
            return True
    return False
