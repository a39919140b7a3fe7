"""A pyHanko `Signer` whose private-key operation is an AWS KMS `Sign` call.

This module imports pyHanko (~0.6 s) at module level: import it only inside functions on the
worker's path (as `chalicelib.signing.pades` does), never from the API's import chain.
"""

from __future__ import annotations

from asn1crypto import algos, x509
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from chalicelib.signing.kms_keys import KmsKeys


class KmsSigner(Signer):
    """Signs CMS signed attributes with a KMS RSA key (PKCS#1 v1.5, SHA-256).

    pyHanko calls `async_sign_raw` with the DER of the signed attributes; they are sent to KMS
    whole (MessageType RAW) and KMS hashes them. A dry run (pyHanko's sizing pass) returns zero
    bytes of the right length without calling KMS, so a signature costs exactly one KMS call.
    """

    def __init__(self, kms: KmsKeys, key_id: str, signing_cert: x509.Certificate,
                 chain: tuple[x509.Certificate, ...] = ()) -> None:
        registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
        registry.register_multiple(chain)
        super().__init__(
            signing_cert=signing_cert,
            cert_registry=registry,
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
            embed_roots=True,  # lets validators that need the whole chain in the file build it
        )
        self._kms = kms
        self._key_id = key_id
        self.signature_length = (signing_cert.public_key.bit_size + 7) // 8

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise SigningError(f"KMS key signs with SHA-256 only, not {digest_algorithm}")
        if dry_run:
            return bytes(self.signature_length)
        return self._kms.sign(self._key_id, data)
