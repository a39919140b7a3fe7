"""The FirmaGob adapter of the signing port against the local stand-in (on 127.0.0.1, in this
process): the request shape it checks (api token key, HS256 JWT claims, purpose, OTP, checksum),
a good signature, a wrong code, a wrong checksum, an expired token, and unattended use refused
outside receipts before anything is sent."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jwt
import pyotp
import pytest

from chalicelib.adapters import firmagob
from chalicelib.adapters.firmagob import FirmaGobConfig, FirmaGobSigning
from chalicelib.documents.signed_pdfs import BATCH_BOX, batch_pdf
from chalicelib.domain.errors import DependencyUnavailable, Forbidden
from chalicelib.signing.port import Appearance, DocumentToSign, SignerIdentity
from devstack.simulators.firmagob import (
    TEST_API_TOKEN_KEY,
    TEST_ENTITY,
    TEST_OTP_SECRET,
    TEST_SECRET,
    FirmaGobServer,
)

SANTIAGO = ZoneInfo("America/Santiago")
SIGNER = SignerIdentity(municipality="13101", email="tesorero@munistgo.demo", name="Titular de prueba",
                        run="22222222-2", profile="tesorero", purpose="attended", role="Tesorero(a)")


@pytest.fixture(scope="module")
def server():
    with FirmaGobServer() as running:
        yield running


def adapter(server, *, clock=None, secret=TEST_SECRET):
    config = FirmaGobConfig(url=server.url, api_token_key=TEST_API_TOKEN_KEY, secret=secret,
                            entities={"13101": TEST_ENTITY}, timeout_s=10)
    return FirmaGobSigning(config, clock or (lambda: datetime.now(SANTIAGO)))


def document(kind="batch"):
    pdf = batch_pdf({"municipality": "13101", "day": "2027-03-20", "payments": [], "digest": "0" * 64,
                     "totals": {"count": 0, "amount": 0, "by_service": [], "by_method": []}},
                    municipality="Ilustre Municipalidad de Santiago", generated_at="20-03-2027 10:00")
    return DocumentToSign(pdf=pdf, kind=kind, description="nomina-13101-2027-03-20-001.pdf",
                          appearance=Appearance("FirmaNomina", BATCH_BOX, "Nómina", "Santiago", "no_changes"))


def test_the_request_has_firmagobs_shape():
    doc = document()
    now = datetime(2027, 3, 20, 10, 0, tzinfo=SANTIAGO)
    config = FirmaGobConfig(url="http://127.0.0.1:9", api_token_key="clave", secret="s" * 32,
                            entities={"13101": "Ilustre Municipalidad de Santiago"})
    body = firmagob.request_body(config, doc, SIGNER, now)
    assert body["api_token_key"] == "clave"
    [entry] = body["files"]
    assert entry["content-type"] == "application/pdf"
    assert base64.b64decode(entry["content"]) == doc.pdf
    assert entry["checksum"] == base64.b64encode(hashlib.sha256(entry["content"].encode()).digest()).decode()
    claims = jwt.decode(body["token"], "s" * 32, algorithms=["HS256"])
    assert claims == {"run": "22222222", "entity": "Ilustre Municipalidad de Santiago",
                      "purpose": "Propósito General", "expiration": "2027-03-20T10:05:00"}
    unattended = SignerIdentity(**{**SIGNER.__dict__, "purpose": "unattended"})
    assert jwt.decode(firmagob.token(config, unattended, now), "s" * 32, algorithms=["HS256"])["purpose"] \
        == "Desatendido"


def test_a_good_code_gets_the_signed_pdf(server):
    from chalicelib.signing.verify_documents import verify_document_pdf

    signed = adapter(server).sign(document(), SIGNER, otp=pyotp.TOTP(TEST_OTP_SECRET).now())
    assert server.stand_in.requests[-1]["purpose"] == "Propósito General"
    check = verify_document_pdf(signed, b"")
    [signature] = check.signatures
    assert signature.intact
    assert signature.signer_serial_number == "22222222"
    assert not signature.trusted  # FirmaGob's chain, not the platform CA


def test_a_wrong_code_is_refused(server):
    with pytest.raises(Forbidden) as refused:
        adapter(server).sign(document(), SIGNER, otp="000000")
    assert refused.value.code == "otp_invalid"


def test_a_wrong_checksum_is_refused(server, monkeypatch):
    monkeypatch.setattr(firmagob, "checksum", lambda content: base64.b64encode(b"x" * 32).decode())
    with pytest.raises(DependencyUnavailable) as refused:
        adapter(server).sign(document(), SIGNER, otp=pyotp.TOTP(TEST_OTP_SECRET).now())
    assert refused.value.code == "firmagob_refused"
    assert "checksum" in refused.value.message


def test_an_expired_token_or_a_wrong_secret_is_refused(server):
    past = adapter(server, clock=lambda: datetime.now(SANTIAGO) - timedelta(minutes=10))
    with pytest.raises(Forbidden) as refused:
        past.sign(document(), SIGNER, otp=pyotp.TOTP(TEST_OTP_SECRET).now())
    assert refused.value.code == "firmagob_refused"
    assert "expirado" in refused.value.message
    wrong_secret = adapter(server, secret="otro-secreto-que-no-es-el-de-la-institucion")
    with pytest.raises(Forbidden):
        wrong_secret.sign(document(), SIGNER, otp=pyotp.TOTP(TEST_OTP_SECRET).now())


def test_unattended_is_desatendido_for_receipts_only(server):
    unattended = SignerIdentity(**{**SIGNER.__dict__, "purpose": "unattended"})
    sent = len(server.stand_in.requests)
    with pytest.raises(Forbidden) as refused:
        adapter(server).sign(document("batch"), unattended)
    assert refused.value.code == "unattended_not_allowed"
    assert len(server.stand_in.requests) == sent  # refused before anything was sent
    signed = adapter(server).sign(document("receipt"), unattended)
    assert signed.startswith(b"%PDF")
    assert server.stand_in.requests[-1]["purpose"] == "Desatendido"


@pytest.mark.parametrize(("status", "retryable"), [(500, True), (503, True), (429, True), (408, True),
                                                   (400, False), (413, False)])
def test_failures_are_retryable_as_firmagobs_contract_says(server, status, retryable):
    unattended = SignerIdentity(**{**SIGNER.__dict__, "purpose": "unattended"})
    server.stand_in.outages.append(status)
    with pytest.raises(DependencyUnavailable) as failed:
        adapter(server).sign(document("receipt"), unattended)
    assert failed.value.retryable is retryable
    assert adapter(server).sign(document("receipt"), unattended).startswith(b"%PDF")  # the next one works


def test_the_stand_in_signs_under_its_published_two_level_chain(server):
    from chalicelib.signing.certificates import split_pem
    from chalicelib.signing.trust import issuer_name
    from chalicelib.signing.verify import signer_issuer, verify_receipt_pdf
    from devstack.simulators.firmagob import CHAIN_NAMES

    unattended = SignerIdentity(**{**SIGNER.__dict__, "purpose": "unattended"})
    signed = adapter(server).sign(document("receipt"), unattended)
    chain = server.stand_in.chain_pem()
    assert len(split_pem(chain)) == 2
    assert issuer_name(chain) == signer_issuer(signed) == CHAIN_NAMES[1]
    assert verify_receipt_pdf(signed, chain).valid
    root_only = chain[chain.index(b"-----BEGIN CERTIFICATE-----", 10):]
    assert verify_receipt_pdf(signed, root_only).valid  # the issuing CA travels in the signature
    import requests

    assert requests.get(server.url + "/cadena.pem", timeout=5).content == chain
