"""Portal API keys: `sem_<CUT>_<key id>_<secret>`. The municipality and key id are readable so a
key is found with one GetItem; only a hash of the secret is stored."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

_KEY = re.compile(r"^sem_(\d{5})_([0-9a-f]{8})_([A-Za-z0-9_-]{32,64})$")


@dataclass(frozen=True)
class PortalKey:
    municipality: str
    key_id: str
    secret: str


def parse_portal_key(raw: str | None) -> PortalKey | None:
    """The parts of a key, or None when it is not shaped like one."""
    match = _KEY.match(raw or "")
    return PortalKey(*match.groups()) if match else None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)


def format_portal_key(municipality: str, key_id: str, secret: str) -> str:
    return f"sem_{municipality}_{key_id}_{secret}"
