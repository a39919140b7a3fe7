"""What a document's electronic signature is under Ley N° 19.799, stated no higher than it is.

Ley N° 19.799 (sobre documentos electrónicos, firma electrónica y servicios de certificación de
dicha firma), art. 2:
- letra f, *firma electrónica* (simple): any electronic means that lets the receiver identify its
  author at least formally. A certificate from the platform's own CA (keys in KMS) is this: the
  platform is not an accredited certification provider.
- letra g, *firma electrónica avanzada*: certified by an accredited provider, created with means
  under the holder's exclusive control. For public officials the State's accredited service is
  FirmaGob (Gobierno Digital, SEGPRES).

`SignatureKind` is what the receipt PDF's legend, the e-mail, the receipt record (and so the
verification page and JSON) and the officials' console say; `kind_of_record` reads it back from a
stored record, and a record written before the kind was recorded is the platform CA's (the only
backend that signed receipts then).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Backend = Literal["platform", "firmagob"]
Level = Literal["simple", "avanzada"]

PLATFORM_CA_NAME = "SEM Autoridad Certificadora de la Plataforma"
"""The platform CA's common name (the same as `signing/ca.py`'s `CA_COMMON_NAME`)."""
FIRMAGOB_PROVIDER = "FirmaGob (Gobierno Digital, SEGPRES)"
PLATFORM_PROVIDER = "Autoridad certificadora propia de la plataforma SEM"
TRUST_CHAINS = {"platform": "/v1/trust/ca.pem", "firmagob": "/v1/trust/firmagob.pem"}
"""Where the API publishes each backend's chain (PEM), to validate a PDF in any reader."""
LAW = "Ley N° 19.799"
GENERIC_NOTE = "Documento firmado electrónicamente conforme a la Ley N° 19.799."
"""The legend of a document whose signer is not known when it is drawn: says no more than that."""


@dataclass(frozen=True)
class SignatureKind:
    """Which backend signs, what that is legally, and who issued the signer's certificate."""

    backend: Backend
    issuer: str
    """The common name of the CA that issued the signer's certificate."""

    @property
    def level(self) -> Level:
        return "avanzada" if self.backend == "firmagob" else "simple"

    @property
    def accredited(self) -> bool:
        """Whether the certificate comes from an accredited provider (art. 2 letra g)."""
        return self.backend == "firmagob"

    @property
    def provider(self) -> str:
        return FIRMAGOB_PROVIDER if self.backend == "firmagob" else PLATFORM_PROVIDER

    @property
    def level_text(self) -> str:
        """``"firma electrónica avanzada"`` or ``"firma electrónica simple"``."""
        return f"firma electrónica {self.level}"

    def legend(self) -> str:
        """The sentence printed in the receipt's signature block (three short lines)."""
        if self.accredited:
            return (f"Documento firmado con firma electrónica avanzada ({LAW}, art. 2 letra g), certificada por "
                    f"FirmaGob, prestador acreditado. Certificado emitido por {self.issuer}.")
        return (f"Documento firmado con firma electrónica simple ({LAW}, art. 2 letra f), con certificado de la "
                "autoridad certificadora propia de la plataforma SEM, que no es un prestador acreditado.")

    def sentence(self) -> str:
        """What the e-mail says of the attached PDF's signature."""
        if self.accredited:
            return (f"firmado con firma electrónica avanzada ({LAW}) a través de FirmaGob, prestador acreditado "
                    f"de servicios de certificación; certificado emitido por {self.issuer}")
        return (f"firmado con firma electrónica simple ({LAW}) con un certificado de la autoridad "
                "certificadora propia de la plataforma SEM, que no es un prestador acreditado")

    def record(self) -> dict[str, Any]:
        """The fields the receipt record keeps (and the verification shows)."""
        return {"backend": self.backend, "level": self.level, "level_text": self.level_text,
                "accredited": self.accredited, "provider": self.provider, "issuer": self.issuer,
                "legend": self.legend(), "trust_chain": TRUST_CHAINS[self.backend]}


def platform_kind() -> SignatureKind:
    return SignatureKind(backend="platform", issuer=PLATFORM_CA_NAME)


def firmagob_kind(issuer: str) -> SignatureKind:
    return SignatureKind(backend="firmagob", issuer=issuer)


def kind_of_record(signature: Mapping[str, Any] | None) -> SignatureKind:
    """The kind a stored signature record states; older records (no `backend`) are the platform CA's."""
    data = signature or {}
    if data.get("backend") == "firmagob":
        return firmagob_kind(str(data.get("issuer") or ""))
    return platform_kind()


def describe(signature: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a verification page or JSON shows of a stored receipt signature: its record fields
    (`backend`, `level`, `level_text`, `accredited`, `provider`, `issuer`, `legend`, `trust_chain`)."""
    return kind_of_record(signature).record()
