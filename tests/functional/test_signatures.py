"""Officials' advanced electronic signature through the app, against moto: enrollment (certificate
with the key in KMS, TOTP), the Tesorero signing a day's batch and a correction, an agreement
signed by the Alcalde and countersigned by SUBDERE (which puts it in force), public verification
(and openssl on the CMS), revocation on deactivation, wrong codes refused and rate-limited, other
municipalities and profiles refused, tampering detected, unattended signing only for receipts.

Payments are created and notified through the citizen and gateway routes (TGR is a recording
fake). One-time codes come from each official's enrolled secret at a test clock that moves one
TOTP step per code (a code is accepted once)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import pyotp
import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.domain.errors import Forbidden
from devstack.demo_data import official_run
from tests.support.clocks import SANTIAGO, Clock, StepClock
from tests.support.gateways import FakeGateway
from tests.support.officials import id_token
from tests.support.payments_world import notify_at, pay_at, put_debt
from tests.support.pdfs import openssl_verify, page_text

TESORERO = "tesorero@munistgo.demo"
SUBROGANTE = "tesorero.subrogante@munistgo.demo"
ALCALDE = "alcalde@munistgo.demo"
DIRECTOR = "director.finanzas@munistgo.demo"
ADMIN = "administrador.municipal@munistgo.demo"
FOREIGN_TESORERO = "tesorero@lascondes.demo"
FOREIGN_SUBROGANTE = "tesorero.subrogante@lascondes.demo"
FOREIGN_ADMIN = "administrador.municipal@lascondes.demo"
SUBDERE = "administrador.subdere@subdere.demo"
BASE = "/v1/admin/municipalities"


@pytest.fixture(scope="module")
def world(shared_demo_stack_with_users):
    from chalice.test import Client

    from app import app

    facts = shared_demo_stack_with_users
    gateway, clock, step_clock = FakeGateway(), Clock(datetime.now(SANTIAGO)), StepClock()
    real_payments, real_signatures = wiring.payment_context, wiring.signatures_context

    def payment_context():
        ctx = real_payments()
        ctx.gateway, ctx.clock = gateway, clock
        return ctx

    def signatures_context():
        ctx = real_signatures()
        ctx.port._clock = step_clock  # certificates are issued at real time; codes are checked at the step clock
        return ctx

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wiring, "payment_context", payment_context)
        mp.setattr(wiring, "signatures_context", signatures_context)
        with Client(app, stage_name="test") as client:
            yield {"client": client, "clock": clock, "steps": step_clock, "facts": facts, "env": facts["env"],
                   "tokens": {}, "secrets": {}}


def token(world, email):
    if email not in world["tokens"]:
        world["tokens"][email] = id_token(world["facts"], email)
    return world["tokens"][email]


def call(world, method, path, email, body=None):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token(world, email)}"}
    kwargs = {"headers": headers}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    response = getattr(world["client"].http, method)(path, **kwargs)
    return response.status_code, json.loads(response.body), response.headers


def code(world, email):
    """A fresh one-time code of the official (the signing clock moves one step)."""
    world["steps"].steps += 1
    return pyotp.TOTP(world["secrets"][email]).at(world["steps"]())


def enroll(world, email):
    status, body, headers = call(world, "post", "/v1/admin/me/signature", email, {})
    assert status == 201, body
    assert headers["Cache-Control"] == "no-store"
    uri = urlsplit(body["otpauth_uri"])
    assert uri.scheme == "otpauth"
    world["secrets"][email] = parse_qs(uri.query)["secret"][0]
    first = pyotp.TOTP(world["secrets"][email]).now()  # enrollment is confirmed at real time
    status, confirmed, _ = call(world, "post", "/v1/admin/me/signature/confirm", email, {"otp": first})
    assert status == 200, confirmed
    assert confirmed["status"] == "active"
    return confirmed


def verify(world, pdf):
    response = world["client"].http.post("/v1/signatures/verify", body=pdf,
                                         headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def stored(key):
    return wiring.receipts_store().get(key)


def tamper(pdf: bytes) -> bytes:
    """One byte of the signed content changed (inside the first page's content stream)."""
    index = pdf.index(b"stream\n", pdf.index(b"/Length")) + 40
    return pdf[:index] + bytes([pdf[index] ^ 0x01]) + pdf[index + 1:]


def paid(world, when, debt_id, *, code_="13101", rut="12345678-5"):

    put_debt(code_, debt_id, "patente", rut, 12_000 + len(debt_id))
    world["clock"].now = when
    payment_id = pay_at(world, when, [{"type": "debt", "debt_id": debt_id}], code=code_, payer_rut=rut)
    notify_at(world, payment_id, "approved")
    return payment_id


# -- enrollment ----------------------------------------------------------------------------------

def test_enrollment_issues_a_certificate_with_a_kms_key_and_an_encrypted_totp_secret(world):
    me = enroll(world, TESORERO)
    assert me["run"] == official_run(TESORERO)  # the RUN the account was created with
    assert me["profile"] == "tesorero"
    serial = me["certificate"]["serial"]

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    record = wiring.signatures_repo().enrollment("13101", TESORERO)
    assert world["secrets"][TESORERO] not in json.dumps(record, default=str)  # stored encrypted only
    cert = x509.load_pem_x509_certificate(stored(f"13101/signing/certs/{serial}.pem"))
    subject = {attr.oid: attr.value for attr in cert.subject}
    assert subject[NameOID.SERIAL_NUMBER] == official_run(TESORERO)
    assert subject[NameOID.ORGANIZATIONAL_UNIT_NAME] == "tesorero"
    assert subject[NameOID.ORGANIZATION_NAME] == "Ilustre Municipalidad de Santiago"
    assert subject[NameOID.LOCALITY_NAME] == "Santiago"
    kms = boto3.client("kms")
    key_id = kms.describe_key(KeyId=record["key_alias"])["KeyMetadata"]
    assert key_id["KeyUsage"] == "SIGN_VERIFY"
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id["KeyId"])["Tags"]}
    assert tags["sem:purpose"] == "signing"

    response = world["client"].http.get(f"/v1/trust/certificates/{serial}")
    assert response.status_code == 200
    assert json.loads(response.body)["status"] == "good"
    assert world["client"].http.get("/v1/trust/certificates/abc123").status_code == 404

    audit = [a for a in wiring.data_table().query_all(table_keys.audit("13101", datetime.now(UTC).strftime("%Y-%m")))
             if a.get("target") == TESORERO]
    assert {"signature.enroll", "signature.confirm"} <= {a["action"] for a in audit}
    assert world["secrets"][TESORERO] not in json.dumps(audit, default=str)


def test_replacing_an_active_signature_takes_a_code_of_the_current_one(world):
    status, body, _ = call(world, "post", "/v1/admin/me/signature", TESORERO, {})
    assert (status, body["error"]["code"]) == (400, "otp_required")
    status, body, _ = call(world, "post", "/v1/admin/me/signature", TESORERO, {"otp": "000000"})
    assert (status, body["error"]["code"]) == (403, "otp_invalid")
    assert wiring.signatures_repo().enrollment("13101", TESORERO)["status"] == "active"


def test_enrollment_takes_the_run_of_the_account_never_one_the_official_types(world):
    """The RUN in the certificate (what a verifier reads as the signer's identity) is the one the
    administrator registered when creating the account: a RUN in the request is refused, and an
    account without a registered RUN cannot enrol until the administrator registers it."""
    status, body, _ = call(world, "post", "/v1/admin/me/signature", DIRECTOR, {"run": "11.111.111-1"})
    assert (status, body["error"]["field"]) == (400, "run")
    assert wiring.signatures_repo().enrollment("13101", DIRECTOR) is None
    table = wiring.data_table()
    record = table.get(table_keys.officials("13101"), DIRECTOR, consistent=True)
    table.put({**record, "run": None})  # as an account from before RUNs were kept
    try:
        status, body, _ = call(world, "post", "/v1/admin/me/signature", DIRECTOR, {})
        assert (status, body["error"]["code"]) == (409, "run_missing")
    finally:
        table.put(record)
    me = enroll(world, DIRECTOR)
    assert me["run"] == official_run(DIRECTOR)


def test_only_signing_profiles_enroll(world):
    status, body, _ = call(world, "post", "/v1/admin/me/signature", "operador.rentas@munistgo.demo",
                           {})
    assert status == 403
    assert body["error"]["code"] == "permission_denied"


# -- the day's batch -----------------------------------------------------------------------------

def test_the_tesorero_signs_the_days_batch_once_and_it_verifies(world, tmp_path):
    day = datetime.now(SANTIAGO).date() - timedelta(days=3)
    at = datetime.combine(day, datetime.min.time(), SANTIAGO) + timedelta(hours=10)
    world["first"] = [paid(world, at, "PAT-SIG-1"), paid(world, at + timedelta(hours=1), "PAT-SIG-2")]
    world["day"] = day.isoformat()
    path = f"{BASE}/13101/batches/{day}"

    status, batch, _ = call(world, "get", f"{path}?document=true", TESORERO)
    assert status == 200, batch
    assert batch["status"] == "unsigned"
    assert {p["payment_id"] for p in batch["payments"]} == set(world["first"])
    assert batch["totals"]["count"] == 2
    assert batch["totals"]["by_service"][0]["service"] == "patentes"
    assert batch["draft_url"]
    assert (batch["signs_with"]["level"], batch["signs_with"]["accredited"]) == ("simple", False)  # platform CA

    status, body, _ = call(world, "post", f"{path}/sign", TESORERO, {"otp": "000000"})
    assert status == 403
    assert body["error"]["code"] == "otp_invalid"

    status, signed, _ = call(world, "post", f"{path}/sign", TESORERO, {"otp": code(world, TESORERO)})
    assert status == 201, signed
    assert signed["status"] == "signed"
    assert signed["signed"][0]["signed_by"]["email"] == TESORERO
    status, again, _ = call(world, "post", f"{path}/sign", TESORERO, {"otp": code(world, TESORERO)})
    assert status == 409
    assert again["error"]["code"] == "batch_already_signed"

    record = wiring.signatures_repo().signed_batches("13101", world["day"])[0]
    pdf = stored(record["document_key"])
    result = verify(world, pdf)
    assert result["valid"], result
    [signature] = result["signatures"]
    assert signature["signer"] == "Tesorero Santiago (demo)"
    assert signature["run"] == official_run(TESORERO)
    assert signature["profile"] == "tesorero"
    assert signature["municipality"] == "Ilustre Municipalidad de Santiago"
    assert signature["certificate"]["valid_at_signing"]
    assert signature["signed_at"]
    assert signature["kind"]["level_text"] == "firma electrónica simple"

    bad = verify(world, tamper(pdf))
    assert not bad["valid"]
    assert not bad["signatures"][0]["intact"]

    if shutil.which("openssl"):
        (tmp_path / "ca.pem").write_bytes(wiring.receipts_store().get("00000/signing/ca.pem"))
        assert openssl_verify(pdf, tmp_path).returncode == 0
        assert openssl_verify(tamper(pdf), tmp_path).returncode != 0
    world["batch_pdf"] = pdf


def test_a_late_payment_goes_into_a_signed_correction(world):
    path = f"{BASE}/13101/batches/{world['day']}"
    status, body, _ = call(world, "post", f"{path}/corrections/sign", TESORERO, {"otp": code(world, TESORERO)})
    assert status == 409
    assert body["error"]["code"] == "nothing_to_correct"

    at = datetime.fromisoformat(world["day"] + "T18:00:00").replace(tzinfo=SANTIAGO)
    late = paid(world, at, "PAT-SIG-3")
    status, batch, _ = call(world, "get", path, TESORERO)
    assert batch["status"] == "correction_pending"
    assert [p["payment_id"] for p in batch["pending_correction"]["added"]] == [late]

    status, signed, _ = call(world, "post", f"{path}/corrections/sign", TESORERO, {"otp": code(world, TESORERO)})
    assert status == 201, signed
    assert signed["status"] == "signed"
    assert [v["kind"] for v in signed["signed"]] == ["batch", "correction"]
    correction = wiring.signatures_repo().signed_batches("13101", world["day"])[1]
    assert correction["net_amount"] == batch["pending_correction"]["net_amount"]
    assert verify(world, stored(correction["document_key"]))["valid"]
    # The first signed version is untouched.
    assert stored(wiring.signatures_repo().signed_batches("13101", world["day"])[0]["document_key"]) \
        == world["batch_pdf"]


def test_other_municipalities_and_profiles_cannot_sign_the_batch(world):
    path = f"{BASE}/13101/batches/{world['day']}"
    status, body, _ = call(world, "post", f"{path}/corrections/sign", FOREIGN_TESORERO, {"otp": "123456"})
    assert (status, body["error"]["code"]) == (403, "other_municipality")
    for email in (ALCALDE, DIRECTOR, ADMIN, SUBDERE):
        status, body, _ = call(world, "post", f"{path}/sign", email, {"otp": "123456"})
        assert (status, body["error"]["code"]) == (403, "permission_denied"), email
    status, _, _ = call(world, "get", path, SUBDERE)
    assert status == 200  # central profiles read any municipality's batch


def test_a_not_enrolled_official_cannot_sign(world):
    status, body, _ = call(world, "post", f"{BASE}/13114/batches/{world['day']}/sign", FOREIGN_TESORERO,
                           {"otp": "123456"})
    assert (status, body["error"]["code"]) == (403, "signature_not_enrolled")


def test_wrong_codes_are_refused_then_rate_limited(world):
    enroll(world, SUBROGANTE)
    path = f"{BASE}/13101/batches/{(date.fromisoformat(world['day']) - timedelta(days=1)).isoformat()}/sign"
    for _ in range(4):
        status, body, _ = call(world, "post", path, SUBROGANTE, {"otp": "000001"})
        assert (status, body["error"]["code"]) == (403, "otp_invalid")
    status, body, headers = call(world, "post", path, SUBROGANTE, {"otp": "000001"})
    assert (status, body["error"]["code"]) == (429, "otp_locked")
    assert 800 < int(headers["Retry-After"]) <= 900
    status, body, headers = call(world, "post", path, SUBROGANTE, {"otp": code(world, SUBROGANTE)})
    assert status == 429  # even the right code waits out the lock
    assert int(headers["Retry-After"]) > 0


# -- revocation ------------------------------------------------------------------------------------

def test_deactivation_revokes_the_certificate_and_earlier_signatures_stay_valid(world):
    enroll(world, FOREIGN_SUBROGANTE)
    at = datetime.fromisoformat(world["day"] + "T11:00:00").replace(tzinfo=SANTIAGO)
    paid(world, at, "ASE-SIG-F1", code_="13114", rut="12678579-8")
    path = f"{BASE}/13114/batches/{world['day']}/sign"
    status, signed, _ = call(world, "post", path, FOREIGN_SUBROGANTE, {"otp": code(world, FOREIGN_SUBROGANTE)})
    assert status == 201, signed
    serial = signed["signed"][0]["certificate_serial"]

    status, body, _ = call(world, "patch", f"{BASE}/13114/officials/{FOREIGN_SUBROGANTE}", FOREIGN_ADMIN,
                           {"status": "inactive"})
    assert status == 200, body
    state = json.loads(world["client"].http.get(f"/v1/trust/certificates/{serial}").body)
    assert state["status"] == "revoked"
    assert state["reason"] == "cessation_of_operation"
    assert state["revoked_at"]
    key = wiring.signatures_repo().enrollment("13114", FOREIGN_SUBROGANTE)["key_alias"]
    # No function may disable a signing key (issue 15.5): the revoked enrollment refuses it below.
    assert boto3.client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"

    pdf = stored(wiring.signatures_repo().signed_batches("13114", world["day"])[0]["document_key"])
    result = verify(world, pdf)
    [signature] = result["signatures"]
    assert signature["certificate"]["status"] == "revoked"
    assert signature["certificate"]["valid_at_signing"]  # it was valid when it signed
    assert result["valid"]

    # The port refuses the revoked certificate, whatever the code.
    from chalicelib.signing.port import SignerIdentity

    port = wiring.signatures_context().port
    signer = SignerIdentity(municipality="13114", email=FOREIGN_SUBROGANTE, name="x",
                            run=official_run(FOREIGN_SUBROGANTE),
                            profile="tesorero_subrogante", purpose="attended", role="Tesorero(a) subrogante")
    with pytest.raises(Forbidden) as refused:
        port.sign(_document("batch"), signer, otp=code(world, FOREIGN_SUBROGANTE))
    assert refused.value.code == "certificate_revoked"
    actions = {a["action"] for a in wiring.data_table().query_all(
        table_keys.audit("13114", datetime.now(UTC).strftime("%Y-%m")))}
    assert {"signature.revoke", "batch.sign", "official.update"} <= actions


def test_an_expired_certificate_is_refused(world):
    from chalicelib.signing.port import SignerIdentity

    port = wiring.signatures_context().port
    port._clock = lambda: datetime.now(SANTIAGO) + timedelta(days=800)
    signer = SignerIdentity(municipality="13101", email=TESORERO, name="x", run=official_run(TESORERO),
                            profile="tesorero", purpose="attended", role="Tesorero(a)")
    with pytest.raises(Forbidden) as refused:
        port.sign(_document("batch"), signer, otp="123456")
    assert refused.value.code == "certificate_expired"


def _document(kind):
    from chalicelib.documents.signed_pdfs import BATCH_BOX, batch_pdf
    from chalicelib.signing.port import Appearance, DocumentToSign

    pdf = batch_pdf({"municipality": "13101", "day": "2027-03-20", "payments": [], "digest": "0" * 64,
                     "totals": {"count": 0, "amount": 0, "by_service": [], "by_method": []}},
                    municipality="Ilustre Municipalidad de Santiago", generated_at="20-03-2027 10:00")
    return DocumentToSign(pdf=pdf, kind=kind, description="x.pdf",
                          appearance=Appearance("FirmaNomina", BATCH_BOX, "prueba", "Santiago", "no_changes"))


# -- unattended ------------------------------------------------------------------------------------

def test_unattended_signing_is_only_for_receipts_by_the_designated_official(world):
    from chalicelib.signing.ca import SignerMunicipality, ensure_receipt_signer
    from chalicelib.signing.certificates import CertificateHolder as Holder
    from chalicelib.signing.port import Appearance, DocumentToSign, SignerIdentity

    port = wiring.signatures_context().port
    designated = SignerIdentity(municipality="13101", email=TESORERO, name="Tesorero", run="12345678-5",
                                profile="tesorero", purpose="unattended", role="Tesorero(a)")
    for kind in ("batch", "batch_correction", "agreement"):
        with pytest.raises(Forbidden) as refused:
            port.sign(_document(kind), designated)
        assert refused.value.code == "unattended_not_allowed"
    with pytest.raises(Forbidden):
        port.sign(_document("receipt"), SignerIdentity(**{**designated.__dict__, "profile": "alcalde"}))

    ensure_receipt_signer(wiring.kms_keys(), wiring.receipts_store(),
                          municipality=SignerMunicipality("13101", "Santiago", "Ilustre Municipalidad de Santiago"),
                          official=Holder(name="Tesorero", run="12345678-5", profile="tesorero"))
    receipt = DocumentToSign(pdf=_document("receipt").pdf, kind="receipt", description="r.pdf",
                             appearance=Appearance("FirmaComprobante", (330, 60, 545, 140), "Comprobante de pago",
                                                   "Santiago", "no_changes"))
    signed = port.sign(receipt, designated)
    assert verify(world, signed)["valid"]
    other = SignerIdentity(**{**designated.__dict__, "run": "9876543-3"})
    with pytest.raises(Forbidden) as refused:
        port.sign(receipt, other)
    assert refused.value.code == "not_designated_signer"


# -- agreements --------------------------------------------------------------------------------------

def test_an_agreement_is_signed_by_the_alcalde_then_countersigned_and_enters_into_force(world, tmp_path):
    enroll(world, ALCALDE)
    enroll(world, SUBDERE)
    today = datetime.now(SANTIAGO).date()
    status, draft, _ = call(world, "post", "/v1/admin/central/municipalities/13101/agreements", SUBDERE,
                            {"valid_from": today.isoformat(), "valid_until": (today + timedelta(days=730)).isoformat(),
                             "reference": "Res. Ex. N° 123"})
    assert status == 201, draft
    assert draft["status"] == "draft"
    agreement_id = draft["agreement_id"]
    countersign = f"/v1/admin/central/municipalities/13101/agreements/{agreement_id}/countersign"
    sign = f"{BASE}/13101/agreements/{agreement_id}/sign"

    status, body, _ = call(world, "post", countersign, SUBDERE, {"otp": code(world, SUBDERE)})
    assert (status, body["error"]["code"]) == (409, "agreement_wrong_state")
    status, body, _ = call(world, "post", sign, TESORERO, {"otp": code(world, TESORERO)})
    assert (status, body["error"]["code"]) == (403, "permission_denied")
    status, body, _ = call(world, "post", f"{BASE}/13114/agreements/{agreement_id}/sign", ALCALDE, {"otp": "123456"})
    assert (status, body["error"]["code"]) == (403, "other_municipality")

    status, signed, _ = call(world, "post", sign, ALCALDE, {"otp": code(world, ALCALDE)})
    assert status == 200, signed
    assert signed["status"] == "signed_municipality"
    status, done, _ = call(world, "post", countersign, SUBDERE, {"otp": code(world, SUBDERE)})
    assert status == 200, done
    assert done["status"] == "in_force"

    config = wiring.data_table().get(table_keys.municipality("13101"), "CONFIG", consistent=True)
    assert config["agreement"]["agreement_id"] == agreement_id
    assert config["agreement"]["status"] == "in_force"
    status, listing, _ = call(world, "get", f"{BASE}/13101/agreements", ALCALDE)
    assert listing["current"] == agreement_id
    assert listing["signs_with"]["level_text"] == "firma electrónica simple"
    assert call(world, "get", f"{BASE}/13101/agreements/{agreement_id}", ALCALDE)[1]["signs_with"]["level"] == "simple"

    record = wiring.signatures_repo().agreement("13101", agreement_id)
    pdf = stored(record["document_key"])
    result = verify(world, pdf)
    assert result["valid"], result
    mayor, central = result["signatures"]
    assert (mayor["profile"], mayor["run"]) == ("alcalde", official_run(ALCALDE))
    assert mayor["municipality"] == "Ilustre Municipalidad de Santiago"
    assert mayor["coverage"] == "entire_revision"
    assert central["profile"] == "administrador_subdere"
    assert central["municipality"] == "Subsecretaría de Desarrollo Regional y Administrativo"
    assert central["coverage"] == "entire_file"
    assert {mayor["kind"]["level"], central["kind"]["level"]} == {"simple"}

    clause = " ".join(page_text(pdf).split())
    assert "Este convenio se suscribe con firma electrónica simple, conforme a la Ley N° 19.799" in clause
    assert "avanzada" not in clause
    assert not verify(world, tamper(pdf))["valid"]
    if shutil.which("openssl"):
        (tmp_path / "ca.pem").write_bytes(wiring.receipts_store().get("00000/signing/ca.pem"))
        assert openssl_verify(pdf, tmp_path).returncode == 0  # the last signature's CMS
    actions = {a["action"] for a in wiring.data_table().query_all(
        table_keys.audit("13101", datetime.now(UTC).strftime("%Y-%m")))}
    assert {"agreement.issue", "agreement.sign", "agreement.countersign"} <= actions


def test_an_expired_agreement_closes_the_portal(world):
    from chalicelib.domain.errors import Forbidden as Refused
    from chalicelib.services.portal import open_portal

    config = wiring.data_table().get(table_keys.municipality("13101"), "CONFIG", consistent=True)
    after = date.fromisoformat(config["agreement"]["valid_until"]) + timedelta(days=1)
    wiring.municipalities().forget("13101")
    with pytest.raises(Refused) as refused:
        open_portal("13101", api_key=world["facts"]["portal_keys"]["13101"], origin=None, services=(),
                    munis=wiring.municipalities(), portal_keys=wiring.portal_keys(), today=after)
    assert refused.value.code == "agreement_not_in_force"


def test_verification_refuses_what_is_not_a_pdf(world):
    response = world["client"].http.post("/v1/signatures/verify", body=b"hola",
                                         headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 400
    assert re.search(r"not_a_pdf", response.body.decode())
