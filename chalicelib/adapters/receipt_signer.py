"""The receipts' unattended signer: who signs a municipality's receipts (its designated official,
or the clearly-labelled default) and the signing port call that signs each one."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.domain.errors import DependencyUnavailable, Forbidden, InvalidInput
from chalicelib.domain.labels import SIGNER_ROLE_TEXT, display_name
from chalicelib.domain.rut import parse_rut
from chalicelib.domain.signature_kinds import SignatureKind
from chalicelib.observability import logger
from chalicelib.ttl_cache import TtlCache

if TYPE_CHECKING:  # the signing modules are for the worker: the API's import chain skips them
    from chalicelib.adapters.kms_keys import KmsKeys
    from chalicelib.signing.ca import BlobStore, SigningCredentials
    from chalicelib.signing.certificates import CertificateHolder
    from chalicelib.signing.port import SignerIdentity, SigningPort

DEFAULT_SIGNER_NAME = "Tesorero(a) municipal"
DEFAULT_SIGNER_ROLE = "Firmante por defecto (sin designación municipal)"


def designated_official(config: Mapping[str, Any], default_run: str) -> tuple[CertificateHolder, str]:
    """The official who signs the municipality's receipts (its `receipt_signer` setting), or the
    clearly-labelled default; with the role printed in the signature stamp."""
    from chalicelib.signing.certificates import CertificateHolder

    data = config.get("receipt_signer") or {}
    if data.get("name") and data.get("run"):
        profile = str(data.get("profile") or "tesorero")
        role = str(data.get("role") or SIGNER_ROLE_TEXT.get(profile, profile.replace("_", " ").capitalize()))
        return CertificateHolder(name=str(data["name"]), run=parse_rut(data["run"]).compact, profile=profile), role
    return CertificateHolder(name=DEFAULT_SIGNER_NAME, run=parse_rut(default_run).compact, profile="tesorero"), \
        DEFAULT_SIGNER_ROLE


class SigningRefused(DependencyUnavailable):
    """The signing service refused the receipt for a reason a retry does not change (its
    configuration, the designation, the document): the job ends; the payments sweep queues it
    again at its recheck time (`PaymentContext.receipt_recheck`), after the cause is fixed."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message, code=code, retryable=False)


class ReceiptSigner:
    """Signs receipts through the signing port, unattended, as the municipality's designated
    official — with the platform CA (default: the official's certificate from the platform CA,
    key in KMS) or with FirmaGob ("Desatendido", the official's RUN and the municipality's entity).

    One port call per receipt. With the platform CA the credentials are made or checked once per
    process and municipality (`ensure_receipt_signer`: a few KMS and S3 calls) and then reused;
    each receipt costs one KMS `Sign`. `kind` is what the signature is (`domain/signature_kinds`).
    """

    def __init__(self, kms: KmsKeys, store: BlobStore, *, default_run: str, cache_ttl_s: float = 3600,
                 refused_runs: frozenset[str] = frozenset(), port: SigningPort | None = None,
                 kind: SignatureKind | None = None) -> None:
        from chalicelib.domain.signature_kinds import platform_kind
        from chalicelib.signing.port import PlatformCaReceiptSigning

        self._kms = kms
        self._store = store
        self._default_run = default_run
        self._refused_runs = refused_runs
        """RUNs this process never signs with (in production: the built-in demo RUN)."""
        self._credentials: TtlCache[SigningCredentials] = TtlCache(cache_ttl_s)
        self._port: SigningPort = port or PlatformCaReceiptSigning(kms, self._credentials_of)
        self.kind: SignatureKind = kind or platform_kind()
        self._signed_here: dict[str, SignatureKind] = {}
        """SHA-256 of the PDFs this process just signed → their kind (`kind_of` without parsing)."""

    def credentials(self, code: str, config: Mapping[str, Any]) -> tuple[SigningCredentials, CertificateHolder, str]:
        """The platform CA's receipt credentials of the municipality's designated official."""
        official, role = self._official(config)
        identity = self._identity(code, config, official, role)
        return self._credentials_of(identity), official, role

    def _official(self, config: Mapping[str, Any]) -> tuple[CertificateHolder, str]:
        official, role = designated_official(config, self._default_run)
        if official.run in self._refused_runs or (self.kind.backend == "firmagob"
                                                  and official.name == DEFAULT_SIGNER_NAME):
            # FirmaGob signs only for the official the municipality designated (and registered
            # for unattended signing): the default signer is never sent. The job waits.
            logger.error("receipt signer not designated; refusing to sign", extra={"outcome": "signer_not_designated"})
            raise DependencyUnavailable("La municipalidad no tiene un firmante de comprobantes designado; no se "
                                        "firma con el RUN de demostración ni con el firmante por defecto.",
                                        code="receipt_signer_not_designated")
        return official, role

    @staticmethod
    def _identity(code: str, config: Mapping[str, Any], official: CertificateHolder, role: str) -> SignerIdentity:
        from chalicelib.signing.port import SignerIdentity

        return SignerIdentity(municipality=code, email="", name=official.name, run=official.run,
                              profile=official.profile, purpose="unattended", role=role,
                              organization=str(config.get("legal_name") or display_name(config)),
                              locality=str(config.get("name", code)))

    def _credentials_of(self, signer: SignerIdentity) -> SigningCredentials:
        from chalicelib.signing.ca import SignerMunicipality, ensure_receipt_signer
        from chalicelib.signing.certificates import CertificateHolder

        official = CertificateHolder(name=signer.name, run=signer.run, profile=signer.profile)
        municipality = SignerMunicipality(code=signer.municipality, name=signer.locality or signer.municipality,
                                          legal_name=signer.organization)
        key = f"{signer.municipality}|{official.run}|{official.name}|{official.profile}|{municipality.legal_name}"

        def load() -> SigningCredentials:
            if official.name == DEFAULT_SIGNER_NAME:
                logger.warning("municipality has no designated receipt signer; signing as the default")
            return ensure_receipt_signer(self._kms, self._store, municipality=municipality, official=official)

        return self._credentials.get_or_load(key, load)

    def sign(self, pdf: bytes, *, code: str, config: Mapping[str, Any], description: str = "comprobante.pdf"
             ) -> bytes:
        """The receipt `pdf` signed by the designated official (one call to the port)."""
        from chalicelib.documents.receipt_pdf import SIGNATURE_BOX
        from chalicelib.signing.pades import FIELD_NAME, REASON
        from chalicelib.signing.port import Appearance, DocumentToSign

        official, role = self._official(config)
        document = DocumentToSign(pdf=pdf, kind="receipt", description=description,
                                  appearance=Appearance(field_name=FIELD_NAME, box=SIGNATURE_BOX, reason=REASON,
                                                        location=display_name(config), certify="no_changes"))
        try:
            signed = self._port.sign(document, self._identity(code, config, official, role))
        except (Forbidden, InvalidInput) as exc:  # FirmaGob's 4xx, a missing entity, an unfit document
            raise SigningRefused(exc.message, code=exc.code) from exc
        except DependencyUnavailable as exc:  # 5xx, 429, timeouts: retried; other refusals: not
            if exc.retryable:
                raise
            raise SigningRefused(exc.message, code=exc.code) from exc
        if len(self._signed_here) >= 64:
            self._signed_here.pop(next(iter(self._signed_here)))
        self._signed_here[hashlib.sha256(signed).hexdigest()] = self.kind
        return signed

    def kind_of(self, pdf: bytes) -> SignatureKind:
        """What the signature of a signed receipt is, from its certificate's issuer: the platform
        CA's, or else FirmaGob's (a receipt signed before a switch of backend keeps its kind)."""
        from chalicelib.domain.signature_kinds import PLATFORM_CA_NAME, firmagob_kind, platform_kind
        from chalicelib.signing.verify import signer_issuer

        known = self._signed_here.get(hashlib.sha256(pdf).hexdigest())
        if known is not None:  # signed a moment ago by this process: no need to parse it (~8 ms)
            return known
        issuer = signer_issuer(pdf)
        if issuer == self.kind.issuer:
            return self.kind
        return platform_kind() if issuer in ("", PLATFORM_CA_NAME) else firmagob_kind(issuer)
