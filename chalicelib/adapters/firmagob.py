"""The FirmaGob adapter of the signing port (the government's advanced-signature service).

Request (one per document), as FirmaGob's API v2 takes it (docs/signatures.md; the public
"firma-xml-ejemplo" integration of digital-gob-cl shows the same fields):

    POST <environment URL>/firma/v2/files/tickets
    OTP: <6 digits>                          (attended only)
    {"api_token_key": "<institution key>", "token": "<JWT HS256>",
     "files": [{"content-type": "application/pdf", "content": "<base64>", "description": "…",
                "checksum": "<base64 SHA-256 of the content field>"}]}

JWT claims: `run` (RUN without check digit), `entity` (the institution's registered name: the
municipality's, from `SEM_FIRMAGOB_ENTITIES`), `purpose` ("Propósito General" attended,
"Desatendido" unattended) and `expiration` (Chile's local time `YYYY-MM-DDTHH:MM:SS`, 5 minutes
ahead). Answer: `{"files": [{"content", "status", "checksum_original", …}], "metadata":
{"otpExpired", "filesSigned", "signedFailed", …}, "idSolicitud"}`; errors carry an HTTP status and
a message. Requests are capped at 5 MB. Never called from here against a real host: tests run it
against `devstack/simulators/firmagob.py`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.errors import DependencyUnavailable, Forbidden, InvalidInput
from chalicelib.domain.signature_kinds import SignatureKind, firmagob_kind
from chalicelib.signing.port import DocumentToSign, SignerIdentity, SigningPort

PATH = "/firma/v2/files/tickets"
PURPOSE = {"attended": "Propósito General", "unattended": "Desatendido"}
MAX_REQUEST_BYTES = 5 * 1024 * 1024
TOKEN_LIFETIME = timedelta(minutes=5)


@dataclass(frozen=True)
class FirmaGobConfig:
    url: str
    """The environment's base URL (certification or production host)."""
    api_token_key: str
    secret: str
    entities: dict[str, str] = field(default_factory=dict)
    """The registered entity name per municipality code (`00000`: the central level)."""
    timeout_s: float = 20.0
    issuer: str = ""
    """The common name of FirmaGob's issuing CA (from its published chain): named in legends."""


def checksum(content_b64: str) -> str:
    """FirmaGob's checksum: SHA-256 of the base64 text sent as `content`, base64-encoded."""
    return base64.b64encode(hashlib.sha256(content_b64.encode()).digest()).decode()


def token(config: FirmaGobConfig, signer: SignerIdentity, now: datetime) -> str:
    import jwt

    entity = config.entities.get(signer.municipality)
    if not entity:
        raise Forbidden("La municipalidad no está registrada en FirmaGob.", code="firmagob_entity_missing")
    claims = {"run": signer.run.split("-")[0], "entity": entity, "purpose": PURPOSE[signer.purpose],
              "expiration": (now + TOKEN_LIFETIME).strftime("%Y-%m-%dT%H:%M:%S")}
    return str(jwt.encode(claims, config.secret, algorithm="HS256"))


def request_body(config: FirmaGobConfig, document: DocumentToSign, signer: SignerIdentity, now: datetime
                 ) -> dict[str, Any]:
    content = base64.b64encode(document.pdf).decode()
    return {"api_token_key": config.api_token_key, "token": token(config, signer, now),
            "files": [{"content-type": "application/pdf", "content": content, "description": document.description,
                       "checksum": checksum(content)}]}


class FirmaGobSigning(SigningPort):
    """Signs through FirmaGob. `now` must give Chile's local time (the JWT's `expiration`)."""

    def __init__(self, config: FirmaGobConfig, clock: Callable[[], datetime], session: Any = None) -> None:
        self._config = config
        self._clock = clock
        self._session = session

    @property
    def kind(self) -> SignatureKind:
        return firmagob_kind(self._config.issuer)

    def _sign(self, document: DocumentToSign, signer: SignerIdentity, otp: str | None) -> bytes:
        import requests

        body = json.dumps(request_body(self._config, document, signer, self._clock())).encode()
        if len(body) > MAX_REQUEST_BYTES:
            raise InvalidInput("El documento excede el máximo de 5 MB del servicio de firma.",
                               code="document_too_large")
        headers = {"Content-Type": "application/json"}
        if signer.purpose == "attended" and otp:
            headers["OTP"] = otp
        session = self._session or requests
        try:
            response = session.post(self._config.url.rstrip("/") + PATH, data=body, headers=headers,
                                    timeout=(2.0, self._config.timeout_s))
        except requests.RequestException as exc:
            raise DependencyUnavailable("El servicio de firma (FirmaGob) no responde.",
                                        code="firmagob_unavailable") from exc
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        message = str(answer.get("error") or answer.get("message") or "")
        if response.status_code >= 500 or response.status_code in (408, 429):  # down, slow or throttling
            raise DependencyUnavailable("El servicio de firma (FirmaGob) no está disponible.",
                                        code="firmagob_unavailable")
        otp_expired = bool((answer.get("metadata") or {}).get("otpExpired"))
        if response.status_code in (401, 403) or otp_expired:
            if otp_expired or "otp" in message.lower():
                raise Forbidden("FirmaGob rechazó el código de un solo uso.", code="otp_invalid", field="otp")
            raise Forbidden(f"FirmaGob rechazó la solicitud: {message or response.status_code}.",
                            code="firmagob_refused")
        if response.status_code != 200:
            raise DependencyUnavailable(f"FirmaGob rechazó el documento: {message or response.status_code}.",
                                        code="firmagob_refused", retryable=False)
        files = answer.get("files") or []
        if len(files) != 1 or str(files[0].get("status", "")).upper() != "OK" or not files[0].get("content"):
            raise DependencyUnavailable("FirmaGob no devolvió el documento firmado.", code="firmagob_refused",
                                        retryable=False)
        signed: bytes = base64.b64decode(files[0]["content"])
        return signed
