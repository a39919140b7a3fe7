"""A pyHanko `Signer` whose private-key operation is an AWS KMS `Sign` call.

This module imports pyHanko (~0.6 s) at module level: import it only inside functions on the
worker's path (as `chalicelib.signing.pades` does), never from the API's import chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, cms, x509
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from chalicelib.signing.signing_keys import SigningKeys

# The signed attributes of a PAdES B-B signature without timestamp: none depends on the time or
# on the document except the message digest (PAdES forbids the signing-time attribute).
_CONTENT_TYPE = "1.2.840.113549.1.9.3"
_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47"
_CONSTANT_ATTRIBUTES = frozenset({_CONTENT_TYPE, _MESSAGE_DIGEST, _SIGNING_CERTIFICATE_V2})


class KmsSigner(Signer):
    """Signs CMS signed attributes with a KMS RSA key (PKCS#1 v1.5, SHA-256).

    pyHanko calls `async_sign_raw` with the DER of the signed attributes; they are sent to KMS
    whole (MessageType RAW) and KMS hashes them. A dry run (pyHanko's sizing pass) returns zero
    bytes of the right length without calling KMS, so a signature costs exactly one KMS call.

    A signer kept for several PAdES signatures (the receipts worker keeps one per process and
    certificate) has pyHanko assemble the first CMS and reuses its DER for the next ones
    (`CmsTemplate`): in a PAdES B-B signature without timestamp only the document digest and the
    signature value change from one document to the next, and pyHanko's assembly (asn1crypto
    re-encoding the certificates and attributes, in pure Python) was most of a receipt's CPU.
    """

    def __init__(self, kms: SigningKeys, key_id: str, signing_cert: x509.Certificate,
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
        self._template: CmsTemplate | None = None

    @property
    def cms_template(self) -> CmsTemplate | None:
        """The template of this signer's first plain PAdES signature (``None`` before it)."""
        return self._template

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise SigningError(f"KMS key signs with SHA-256 only, not {digest_algorithm}")
        if dry_run:
            return bytes(self.signature_length)
        return self._kms.sign(self._key_id, data)

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, dry_run: bool = False,
                         use_pades: bool = False, timestamper: Any = None,
                         signed_attr_settings: Any = None, is_pdf_sig: bool = True,
                         encap_content_info: Any = None) -> cms.ContentInfo:
        """pyHanko's `Signer.async_sign`, from the template when this signer has one and the
        signature is a plain PAdES one (anything else goes through pyHanko unchanged)."""
        plain = (not dry_run and use_pades and is_pdf_sig and digest_algorithm == "sha256"
                 and timestamper is None and encap_content_info is None
                 and _plain_attribute_settings(signed_attr_settings)
                 and self.signed_attr_prov_spec is None and self.unsigned_attr_prov_spec is None
                 and not self.attribute_certs)
        template = self._template
        if plain and template is not None and len(data_digest) == template.digest_length:
            signed_attrs = template.signed_attributes(data_digest)
            signature = await self.async_sign_raw(signed_attrs, digest_algorithm)
            return template.content_info(data_digest, signature)
        content_info: cms.ContentInfo = await super().async_sign(
            data_digest, digest_algorithm, dry_run=dry_run, use_pades=use_pades,
            timestamper=timestamper, signed_attr_settings=signed_attr_settings, is_pdf_sig=is_pdf_sig,
            encap_content_info=encap_content_info)
        if plain and template is None:
            self._template = CmsTemplate.cut(content_info, data_digest, self.signing_cert)
        return content_info


@dataclass(frozen=True)
class CmsTemplate:
    """The DER of a CMS signature pyHanko made, cut around its two variable fields: the
    document digest (in the message-digest signed attribute) and the signature value.

    Filling it with another digest and another signature of the same lengths gives exactly the
    bytes pyHanko would assemble for them (the fields keep their lengths, so every DER length
    around them stays right).
    """

    attributes_head: bytes
    attributes_tail: bytes
    """The signed attributes (DER, SET OF tag: what is signed) before and after the digest."""
    cms_head: bytes
    cms_middle: bytes
    cms_tail: bytes
    """The ContentInfo's DER before the digest, between digest and signature, after the signature."""
    digest_length: int
    signature_length: int

    @classmethod
    def cut(cls, content_info: cms.ContentInfo, digest: bytes,
            signing_cert: x509.Certificate) -> CmsTemplate | None:
        """The template of `content_info` (signed over `digest`), or ``None`` when it is not a
        single-signer CMS whose signed attributes are all constant but the digest, or when the
        cut does not check out (the signature must verify over the attributes found)."""
        der = content_info.dump()
        signer_infos = content_info["content"]["signer_infos"]
        if len(signer_infos) != 1:
            return None
        signer_info = signer_infos[0]
        if signer_info["unsigned_attrs"].native is not None:
            return None
        tagged = signer_info["signed_attrs"].dump()  # [0] IMPLICIT in the SignerInfo
        signed_attrs = b"\x31" + tagged[1:]  # the SET OF encoding the signature covers
        kinds = [attribute["type"].dotted for attribute in signer_info["signed_attrs"]]
        signature = signer_info["signature"].native
        if sorted(kinds) != sorted(_CONSTANT_ATTRIBUTES):
            return None
        if signed_attrs.count(digest) != 1 or der.count(digest) != 1 or der.count(signature) != 1:
            return None
        at_digest, at_signature = der.index(digest), der.index(signature)
        if at_digest + len(digest) > at_signature or not _verifies(signing_cert, signature, signed_attrs):
            return None
        split = signed_attrs.index(digest)
        return cls(
            attributes_head=signed_attrs[:split],
            attributes_tail=signed_attrs[split + len(digest):],
            cms_head=der[:at_digest],
            cms_middle=der[at_digest + len(digest):at_signature],
            cms_tail=der[at_signature + len(signature):],
            digest_length=len(digest),
            signature_length=len(signature),
        )

    def signed_attributes(self, digest: bytes) -> bytes:
        """The DER of the signed attributes for a document whose digest is `digest`."""
        return self.attributes_head + digest + self.attributes_tail

    def content_info(self, digest: bytes, signature: bytes) -> cms.ContentInfo:
        """The CMS for `digest` signed with `signature` (asn1crypto's `dump()` gives back these
        very bytes: a loaded value is not re-encoded)."""
        if len(digest) != self.digest_length or len(signature) != self.signature_length:
            raise SigningError(f"signature of {len(signature)} bytes, {self.signature_length} expected")
        loaded: cms.ContentInfo = cms.ContentInfo.load(
            self.cms_head + digest + self.cms_middle + signature + self.cms_tail)
        return loaded


def _plain_attribute_settings(settings: Any) -> bool:
    """No signed attribute beyond the constant ones (no revocation info, no CAdES extras)."""
    if settings is None:
        return True
    return (getattr(settings, "cades_signed_attrs", None) is None
            and getattr(settings, "adobe_revinfo_attr", None) is None)


def _verifies(signing_cert: x509.Certificate, signature: bytes, signed_attrs: bytes) -> bool:
    """Whether `signature` is the certificate key's PKCS#1 v1.5 SHA-256 signature of `signed_attrs`."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    key = load_der_public_key(signing_cert.public_key.dump())
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, signed_attrs, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True
