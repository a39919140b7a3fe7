"""A local stand-in for FirmaGob's signing API (dev and tests only; never deployed).

`POST /firma/v2/files/tickets` checks a request exactly as chalicelib/adapters/firmagob.py
documents it — the api token key, the HS256 JWT (signature, `run`, `entity`, `purpose`,
`expiration` in Chile's local time), the `OTP` header against the RUN's TOTP secret for
"Propósito General", that "Desatendido" is used only by RUNs registered for it, each file's
content type and checksum, the 5 MB cap — and answers the signed PDF in FirmaGob's answer shape.
It signs with a throwaway key and certificate per RUN, issued by its own two-level chain (a root
and an issuing CA, `CHAIN_NAMES`): `chain_pem()` is the chain a deployment would take from
FirmaGob's publication, and `GET /cadena.pem` serves it (stand-in only). Run it alone with
`python -m devstack.simulators.firmagob`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from devstack.simulators.base import JsonHandler, serve

PATH = "/firma/v2/files/tickets"
MAX_BYTES = 5 * 1024 * 1024
SANTIAGO = ZoneInfo("America/Santiago")
TEST_API_TOKEN_KEY = "sandbox"  # noqa: S105 - local test material (FirmaGob's test value)
TEST_SECRET = "secreto-de-prueba-del-simulador-de-firmagob"  # noqa: S105 - local test material
TEST_RUN = "22222222"
TEST_ENTITY = "Subsecretaría General de la Presidencia"
TEST_OTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - local test material
CHAIN_NAMES = ("FirmaGob simulador - CA raíz", "FirmaGob simulador - CA de firma avanzada")
"""Common names of the stand-in's root and issuing CA (the issuer of every signer certificate)."""


class Refused(Exception):
    def __init__(self, status: int, message: str, *, otp_expired: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.otp_expired = otp_expired


@dataclass
class FirmaGobConfig:
    api_token_key: str = TEST_API_TOKEN_KEY
    secret: str = TEST_SECRET
    entities: set[str] = field(default_factory=lambda: {TEST_ENTITY})
    otp_secrets: dict[str, str] = field(default_factory=lambda: {TEST_RUN: TEST_OTP_SECRET})
    """RUN (no check digit) → TOTP secret of the official's FirmaGob code."""
    unattended_runs: set[str] = field(default_factory=lambda: {TEST_RUN})


class FirmaGobStandIn:
    def __init__(self, config: FirmaGobConfig | None = None) -> None:
        self.config = config or FirmaGobConfig()
        self.requests: list[dict[str, Any]] = []
        self.outages: list[int] = []
        """HTTP statuses the next requests are answered with before any check (500, 503, 429…):
        how a test makes FirmaGob fail."""
        self._signers: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._chain = _chain()

    def chain_pem(self) -> bytes:
        """The issuing CA's and the root's certificates (PEM, in that order)."""
        return self._chain.pem
    # -- the contract ----------------------------------------------------------------------------

    def handle(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            outage = self.outages.pop(0) if self.outages else None
        if outage is not None:
            return outage, {"error": "Servicio no disponible (simulado)"}
        try:
            return 200, self._handle(body, headers)
        except Refused as exc:
            answer: dict[str, Any] = {"error": exc.message}
            if exc.otp_expired:
                answer["metadata"] = {"otpExpired": True, "filesSigned": 0, "signedFailed": 1}
            return exc.status, answer

    def _handle(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        import jwt

        if len(body) > MAX_BYTES:
            raise Refused(413, "La solicitud excede 5 MB")
        try:
            data = json.loads(body)
        except ValueError:
            raise Refused(400, "JSON inválido") from None
        if not isinstance(data, dict) or set(data) - {"api_token_key", "token", "files"}:
            raise Refused(400, "Estructura de la solicitud inválida")
        if not hmac.compare_digest(str(data.get("api_token_key", "")), self.config.api_token_key):
            raise Refused(401, "api_token_key inválido")
        try:
            claims = jwt.decode(str(data.get("token", "")), self.config.secret, algorithms=["HS256"],
                                options={"require": []})
        except jwt.PyJWTError:
            raise Refused(401, "Token inválido") from None
        for name in ("run", "entity", "purpose", "expiration"):
            if not isinstance(claims.get(name), str) or not claims[name]:
                raise Refused(400, f"Falta el claim {name}")
        try:
            expiration = datetime.strptime(claims["expiration"], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=SANTIAGO)
        except ValueError:
            raise Refused(400, "expiration con formato inválido") from None
        now = datetime.now(SANTIAGO)
        if expiration <= now:
            raise Refused(401, "Token expirado")
        if expiration > now + timedelta(minutes=30):
            raise Refused(401, "Token con vigencia excesiva")
        run = claims["run"]
        if not run.isdigit():
            raise Refused(400, "run debe ir sin puntos, guion ni dígito verificador")
        if claims["entity"] not in self.config.entities:
            raise Refused(401, "Entidad no registrada")
        purpose = claims["purpose"]
        if purpose == "Propósito General":
            self._check_otp(run, headers.get("otp"))
        elif purpose == "Desatendido":
            if run not in self.config.unattended_runs:
                raise Refused(403, "El RUN no tiene firma desatendida")
        else:
            raise Refused(400, "purpose inválido")
        files = data.get("files")
        if not isinstance(files, list) or not files:
            raise Refused(400, "Sin archivos")
        signed = []
        for entry in files:
            if not isinstance(entry, dict) or entry.get("content-type") != "application/pdf":
                raise Refused(400, "content-type no soportado")
            content = str(entry.get("content", ""))
            expected = base64.b64encode(hashlib.sha256(content.encode()).digest()).decode()
            if not hmac.compare_digest(str(entry.get("checksum", "")), expected):
                raise Refused(400, "checksum no coincide con el contenido")
            try:
                pdf = base64.b64decode(content, validate=True)
            except ValueError:
                raise Refused(400, "content no es base64") from None
            if not pdf.startswith(b"%PDF-"):
                raise Refused(400, "content no es un PDF")
            signed_pdf = self._sign(pdf, run, str(entry.get("description", "")))
            signed.append({"content": base64.b64encode(signed_pdf).decode(), "status": "OK",
                           "description": entry.get("description"), "contentType": "application/pdf",
                           "documentStatus": "FIRMADO", "checksum_original": expected})
        with self._lock:
            self.requests.append({"run": run, "purpose": purpose, "entity": claims["entity"], "files": len(files)})
            number = len(self.requests)
        return {"files": signed, "metadata": {"otpExpired": False, "filesSigned": len(signed), "signedFailed": 0,
                                              "objectsReceived": len(files)}, "idSolicitud": number}

    def _check_otp(self, run: str, otp: str | None) -> None:
        import pyotp

        secret = self.config.otp_secrets.get(run)
        if secret is None:
            raise Refused(403, "El RUN no tiene firma de propósito general")
        if not otp or not pyotp.TOTP(secret).verify(otp, valid_window=1):
            raise Refused(401, "OTP inválido o expirado", otp_expired=True)

    # -- signing (a throwaway identity per RUN) ----------------------------------------------------

    def _sign(self, pdf: bytes, run: str, description: str) -> bytes:
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import signers

        signer = self._signer(run)
        output = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
                                  signers.PdfSignatureMetadata(field_name=f"FirmaGob{len(self.requests) + 1}",
                                                               reason=description[:100] or "FirmaGob"),
                                  signer=signer)
        signed: bytes = output.getvalue()
        return signed

    def _signer(self, run: str) -> Any:
        with self._lock:
            if run not in self._signers:
                self._signers[run] = _throwaway_signer(run, self._chain)
            return self._signers[run]


@dataclass(frozen=True)
class _Chain:
    issuing_key: Any
    issuing_der: bytes
    root_der: bytes
    pem: bytes


def _name(common_name: str, serial: str | None = None) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CL"),
                  x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FirmaGob simulador")]
    if serial:
        attributes.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: Any, issuer: Any, public_key: Any, signing_key: Any, *, ca: bool, days: int) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=not ca,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                                            decipher_only=False), critical=True))
    return builder.sign(signing_key, hashes.SHA256())


def _chain() -> _Chain:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    root_key = ec.generate_private_key(ec.SECP256R1())
    issuing_key = ec.generate_private_key(ec.SECP256R1())
    root_name, issuing_name = _name(CHAIN_NAMES[0]), _name(CHAIN_NAMES[1])
    root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True, days=3650)
    issuing = _certificate(issuing_name, root_name, issuing_key.public_key(), root_key, ca=True, days=1825)
    pem = issuing.public_bytes(serialization.Encoding.PEM) + root.public_bytes(serialization.Encoding.PEM)
    return _Chain(issuing_key=issuing_key, issuing_der=issuing.public_bytes(serialization.Encoding.DER),
                  root_der=root.public_bytes(serialization.Encoding.DER), pem=pem)


def _throwaway_signer(run: str, chain: _Chain) -> Any:
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    issuer = x509.load_der_x509_certificate(chain.issuing_der).subject
    cert = _certificate(_name(f"Titular {run} (simulador)", run), issuer, key.public_key(), chain.issuing_key,
                        ca=False, days=30)
    certificate = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    private = asn1_keys.PrivateKeyInfo.load(key.private_bytes(serialization.Encoding.DER,
                                                              serialization.PrivateFormat.PKCS8,
                                                              serialization.NoEncryption()))
    registry = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
        [certificate, asn1_x509.Certificate.load(chain.issuing_der), asn1_x509.Certificate.load(chain.root_der)])
    return signers.SimpleSigner(signing_cert=certificate, signing_key=private, cert_registry=registry)


class FirmaGobServer:
    """The stand-in on 127.0.0.1 (a free port by default), in a thread."""

    def __init__(self, stand_in: FirmaGobStandIn | None = None, port: int = 0) -> None:
        self.stand_in = stand_in or FirmaGobStandIn()
        handler = _handler_for(self.stand_in)
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FirmaGobServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(stand_in: FirmaGobStandIn) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:
            if self.path != "/cadena.pem":
                self.send_json(404, {"error": "ruta no encontrada"})
                return
            body = stand_in.chain_pem()
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if self.path != PATH:
                self.send_json(404, {"error": "ruta no encontrada"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BYTES:
                self.send_json(413, {"error": "La solicitud excede 5 MB"})
                return
            status, answer = stand_in.handle(self.read_body(), {k.lower(): v for k, v in self.headers.items()})
            self.send_json(status, answer)

    return Handler


def main(argv: list[str] | None = None) -> None:
    """The stand-in for a local stack (`make run` with `SEM_SIGNING_BACKEND=firmagob`): the
    institution's api token key and JWT secret from the same variables the platform reads
    (`SEM_FIRMAGOB_API_TOKEN_KEY`, `SEM_FIRMAGOB_SECRET`), the registered entities from
    `SEM_FIRMAGOB_ENTITIES`, the RUNs allowed to sign unattended from `--unattended-runs`, and its
    chain written to `--chain-out` before it serves."""
    import argparse
    import os
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8105)
    parser.add_argument("--chain-out", type=Path)
    parser.add_argument("--unattended-runs", default=TEST_RUN, help="comma-separated RUNs without check digit")
    args = parser.parse_args(argv)
    entities = set(json.loads(os.environ.get("SEM_FIRMAGOB_ENTITIES") or "{}").values()) or {TEST_ENTITY}
    config = FirmaGobConfig(api_token_key=os.environ.get("SEM_FIRMAGOB_API_TOKEN_KEY") or TEST_API_TOKEN_KEY,
                            secret=os.environ.get("SEM_FIRMAGOB_SECRET") or TEST_SECRET, entities=entities,
                            unattended_runs={run.strip() for run in args.unattended_runs.split(",") if run.strip()})
    stand_in = FirmaGobStandIn(config)
    if args.chain_out:
        args.chain_out.parent.mkdir(parents=True, exist_ok=True)
        args.chain_out.write_bytes(stand_in.chain_pem())
    serve(_handler_for(stand_in), args.port, "FirmaGob stand-in")


if __name__ == "__main__":  # pragma: no cover - manual use
    main()
