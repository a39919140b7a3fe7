"""What signing asks of a key service: signatures and public keys made where the private keys
live (KMS; `chalicelib/adapters/kms_keys.KmsKeys` is the implementation). Signing code is crypto
only and takes this protocol, so it never imports an adapter or the AWS SDK."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

SIGNING_ALGORITHM = "RSASSA_PKCS1_V1_5_SHA_256"
KEY_SPEC = "RSA_3072"
EC_SIGNING_ALGORITHM = "ECDSA_SHA_256"
EC_KEY_SPEC = "ECC_NIST_P256"


class SigningKeys(Hashable, Protocol):
    """Asymmetric signing keys held by a key service (private halves never leave it). Hashable:
    signers built on it are kept per process (`signing/pades._kms_signer`)."""

    def sign(self, key_id: str, message: bytes, *, algorithm: str = SIGNING_ALGORITHM) -> bytes:
        """A signature over `message` (sent whole; the service hashes it) with the key `key_id`."""
        ...

    def public_key_der(self, key_id: str) -> bytes:
        """The key's public half as DER SubjectPublicKeyInfo."""
        ...

    def find(self, key_id: str) -> str | None:
        """The key id behind `key_id` (an id, ARN or alias), or ``None`` when there is none."""
        ...

    def ensure_key(self, alias: str, description: str, *, tags: dict[str, str] | None = None,
                   key_spec: str = KEY_SPEC) -> str:
        """The key behind `alias`, created when missing."""
        ...
