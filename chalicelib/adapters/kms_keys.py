"""KMS keys: the only place that talks to KMS — signatures (`KmsKeys`, the implementation of
`chalicelib/signing/signing_keys.SigningKeys`) and the symmetric key of TOTP secrets (`KmsSecrets`).

Takes its boto3 KMS client in the constructor and turns provider errors into domain errors:
throttling and outages are retryable `DependencyUnavailable`; a missing, disabled or misused key
is a non-retryable one (a configuration problem that no retry fixes). Private keys never leave
KMS: this class only asks for public keys and signatures.
"""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.aws_errors import error_code, translated
from chalicelib.domain.errors import DependencyUnavailable, NotFound
from chalicelib.observability import logger
from chalicelib.signing.signing_keys import KEY_SPEC, SIGNING_ALGORITHM


class KmsKeys:
    """Sign with, read and create asymmetric signing keys (RSA, and EC P-256 for receipt tokens) in KMS."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def sign(self, key_id: str, message: bytes, *, algorithm: str = SIGNING_ALGORITHM) -> bytes:
        """PKCS#1 v1.5 signature over SHA-256(`message`), made inside KMS (`algorithm`
        `ECDSA_SHA_256` for an EC P-256 key: then a DER-encoded ECDSA signature).

        `message` is sent whole (MessageType RAW, at most 4096 bytes): KMS hashes it. moto ignores
        MessageType DIGEST, so pre-hashed input would be hashed twice there.
        """
        response = self._call("sign", KeyId=key_id, Message=message, MessageType="RAW",
                              SigningAlgorithm=algorithm)
        signature: bytes = response["Signature"]
        return signature

    def public_key_der(self, key_id: str) -> bytes:
        """The key's public half as DER SubjectPublicKeyInfo."""
        public_key: bytes = self._call("get_public_key", KeyId=key_id)["PublicKey"]
        return public_key

    def find(self, key_id: str) -> str | None:
        """The key id behind `key_id` (an id, ARN or `alias/…`), or ``None`` when there is none."""
        try:
            return str(self._call("describe_key", KeyId=key_id)["KeyMetadata"]["KeyId"])
        except NotFound:
            return None

    def ensure_key(self, alias: str, description: str, *, tags: dict[str, str] | None = None,
                   key_spec: str = KEY_SPEC) -> str:
        """The key behind `alias`, created (`key_spec`, RSA-3072 by default; SIGN_VERIFY) when missing.

        Safe under concurrency: when another process creates the alias first, the alias's key is
        returned. The key made here is left as it is, unused: no function may schedule a signing
        key's deletion (docs/security.md, "KMS keys"); the warning tells an operator to.
        """
        found = self.find(alias)
        if found:
            return found
        created = self._call(
            "create_key", Description=description, KeyUsage="SIGN_VERIFY", KeySpec=key_spec,
            Tags=[{"TagKey": k, "TagValue": v} for k, v in (tags or {}).items()],
        )
        key_id = str(created["KeyMetadata"]["KeyId"])
        try:
            self._call("create_alias", AliasName=alias, TargetKeyId=key_id)
        except _AliasTaken:
            logger.warning("signing key left unused after losing the race for its alias",
                           extra={"kms_key_id": key_id})
            winner = self.find(alias)
            if winner is None:  # pragma: no cover - the alias was deleted in between
                raise DependencyUnavailable("No fue posible preparar la llave de firma.",
                                            code="signing_key_unavailable") from None
            return winner
        return key_id

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, operation)(**kwargs)
        except ClientError as exc:
            code = error_code(exc)
            if code == "NotFoundException":
                raise NotFound("La llave de firma no existe.", code="signing_key_not_found") from exc
            if code == "AlreadyExistsException":
                raise _AliasTaken(code) from exc
            refused = ("El servicio de firma rechazó la operación ({code}).", "signing_refused")
            raise translated(exc, message="El servicio de firma no está disponible.", code="signing_unavailable",
                             refused=refused) from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("El servicio de firma no está disponible.",
                                        code="signing_unavailable") from exc


class _AliasTaken(Exception):
    """create_alias lost a race (internal to `ensure_key`)."""


class KmsSecrets(KmsKeys):
    """KMS operations beyond signing: the symmetric key that encrypts TOTP secrets."""

    def ensure_symmetric_key(self, alias: str) -> str:
        found = self.find(alias)
        if found:
            return found
        created = self._call("create_key", Description="SEM officials' TOTP secrets", KeyUsage="ENCRYPT_DECRYPT",
                             KeySpec="SYMMETRIC_DEFAULT", Tags=[{"TagKey": "sem:purpose", "TagValue": "signing-otp"}])
        key_id = str(created["KeyMetadata"]["KeyId"])
        try:
            self._call("create_alias", AliasName=alias, TargetKeyId=key_id)
        except _AliasTaken:  # another process made it first: use theirs (ours stays, unused: no deletion)
            logger.warning("TOTP key left unused after losing the race for its alias", extra={"kms_key_id": key_id})
            winner = self.find(alias)
            if winner is None:  # pragma: no cover
                raise
            return winner
        return key_id

    def encrypt(self, alias: str, plaintext: bytes, context: dict[str, str]) -> bytes:
        self.ensure_symmetric_key(alias)
        blob: bytes = self._call("encrypt", KeyId=alias, Plaintext=plaintext, EncryptionContext=context)[
            "CiphertextBlob"]
        return blob

    def decrypt(self, alias: str, ciphertext: bytes, context: dict[str, str]) -> bytes:
        plain: bytes = self._call("decrypt", KeyId=alias, CiphertextBlob=ciphertext, EncryptionContext=context)[
            "Plaintext"]
        return plain
