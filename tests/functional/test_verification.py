"""Receipt verification and the national plate look-up, through the app against moto: the page and
the JSON of a receipt's QR URL, the uploaded-PDF check, the signed token in the QR and the JWKS
that verifies it, the inspectors' look-up, annulment, bad input and rate limits."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.documents import receipt_pdf
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import verification
from chalicelib.signing.receipt_tokens import verify_token
from tests.support.verification import (
    BROWSER_ACCEPT,
    call,
    make_world,
    multipart,
    pay_and_issue,
    stored_pdf,
)

JSON = {"Accept": "application/json"}
HTML = {"Accept": BROWSER_ACCEPT}


@pytest.fixture(scope="module")
def world(shared_demo_stack: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from make_world(shared_demo_stack)


@pytest.fixture(scope="module")
def issued(world: dict[str, Any]) -> dict[str, Any]:
    """BBBB10's 2027 permit and a patente, paid in one cart; the text each QR encoded."""
    encoded: list[str] = []
    real = receipt_pdf.qr_matrix

    def spy(text: str, **kwargs: Any) -> Any:
        encoded.append(text)
        return real(text, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(receipt_pdf, "qr_matrix", spy)
        created = pay_and_issue(world, [{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full"},
                                        {"type": "debt", "debt_id": "PAT-2027-1-000123"}], key="verify-cart")
    receipt = created["receipt"]
    url = f"/v1/receipts/verify?folio={receipt['folio']}&code={receipt['verification_code']}"
    return {**created, "qr": encoded, "url": url}


def _no_personal_data(text: str) -> None:
    for personal in ("12345678", "12.345.678", "María", "Pérez", "@", "owner"):
        assert personal not in text, personal


# -- the receipt's QR URL ---------------------------------------------------------------------------

def test_the_qr_url_answers_json_to_api_clients_with_what_the_receipt_prints(world, issued):
    status, body, headers = call(world, "get", issued["url"], headers=JSON)
    assert status == 200, body
    assert headers["Content-Type"] == "application/json"
    assert (body["valid"], body["status"], body["status_text"]) == (True, "valid", "Comprobante válido")
    assert body["folio"] == issued["receipt"]["folio"]
    assert body["municipality"] == {"code": "13101", "name": "Municipalidad de Santiago"}
    assert body["amount"] == issued["amount"] == sum(i["amount"] for i in body["items"])
    assert body["paid_at"] == "2027-03-20T10:05:00-03:00"
    permit, patente = body["items"]
    assert {k: permit[k] for k in ("type", "plate", "year", "installment", "vehicle_class", "valid_from",
                                   "valid_until")} == {
        "type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full", "vehicle_class": "light",
        "valid_from": "2027-04-01", "valid_until": "2028-03-31"}
    assert (patente["roll"], patente["kind"], patente["period"]) == ("PAT-2027-1-000123", "patente", "2027-S1")
    assert body["signature"]["status"] == "signed"
    assert body["signature"]["signer"]
    assert body["document"]["sha256"] == hashlib.sha256(stored_pdf(issued["receipt"]["key"])).hexdigest()
    assert body["verification_url"].endswith(issued["url"])
    _no_personal_data(json.dumps(body))
    # No Accept at all (curl, scripts written against the old route): JSON too.
    assert call(world, "get", issued["url"])[2]["Content-Type"] == "application/json"


def test_the_qr_url_opens_a_page_without_scripts_for_a_phone(world, issued):
    status, page, headers = call(world, "get", issued["url"], headers=HTML)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "script-src" not in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Vary"] == "Accept"
    assert "<script" not in page.lower()
    _, body, _ = call(world, "get", issued["url"], headers=JSON)
    for shown in ("Comprobante válido", "Municipalidad de Santiago", body["folio"], "BBBB10", "20-03-2027 10:05",
                  "01-04-2027 al 31-03-2028", "PAT-2027-1-000123", body["amount_text"], body["document"]["sha256"],
                  body["signature"]["signer"], 'name="viewport"', 'enctype="multipart/form-data"',
                  'href="/v1/privacy?municipality=13101"'):  # the privacy notice of the controller
        assert shown in page, shown
    _no_personal_data(page)
    assert len(page.encode()) < 16_000  # one small document: fast on a poor connection
    # The signature is stated as what it is: the platform's own CA makes a simple electronic
    # signature (Ley 19.799 art. 2 f), never called advanced (docs/signatures.md).
    assert (body["signature"]["backend"], body["signature"]["level"], body["signature"]["accredited"]) == (
        "platform", "simple", False)
    assert "avanzada" not in body["signature"]["level_text"].lower()
    assert body["signature"]["level_text"] in page
    assert "no es un prestador acreditado" in page


def test_the_payment_status_route_returns_the_verification_url(world, issued):
    status, body, _ = call(world, "get", f"/v1/payments/{issued['payment_id']}",
                           headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert status == 200, body
    assert body["receipt"]["verification_url"].endswith(issued["url"])


def test_wrong_folio_or_code_is_one_neutral_not_found_on_json_and_page(world, issued):
    folio, code = issued["receipt"]["folio"], issued["receipt"]["verification_code"]
    wrong_code = f"/v1/receipts/verify?folio={folio}&code=ABCDE-FGHJK"
    unknown_folio = f"/v1/receipts/verify?folio=13101-2027-999999&code={code}"
    answers = [call(world, "get", path, headers=JSON) for path in (wrong_code, unknown_folio)]
    assert {(s, b["error"]["code"], b["error"]["message"]) for s, b, _ in answers} == {
        (404, "receipt_not_found", "No existe un comprobante con ese folio y código de verificación.")}
    pages = [call(world, "get", path, headers=HTML) for path in (wrong_code, unknown_folio)]
    assert {s for s, _, _ in pages} == {404}
    assert pages[0][1] == pages[1][1]  # the same page, whatever was wrong
    assert "No existe un comprobante con ese folio y código de verificación." in pages[0][1]
    assert pages[0][2]["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(("query", "field"), [("folio=13101-27-1&code=ABCDE-FGHJK", "folio"),
                                          ("folio=13101-2027-000001&code=UUUUU-UUUUU", "code"),
                                          ("folio=13101-2027-000001", "code"),
                                          ("folio=%00%ff&code=%E2%80%AE", "folio")])
def test_malformed_folios_and_codes_are_400_envelope_or_a_spanish_page(world, query, field):
    status, body, _ = call(world, "get", f"/v1/receipts/verify?{query}", headers=JSON)
    assert (status, body["error"]["field"]) == (400, field), body
    status, page, headers = call(world, "get", f"/v1/receipts/verify?{query}", headers=HTML)
    assert status == 400
    assert headers["Content-Type"].startswith("text/html")
    assert "Datos no válidos" in page
    assert body["error"]["message"] in page


# -- the uploaded PDF ----------------------------------------------------------------------------------

def test_an_uploaded_pdf_is_checked_against_the_stored_one_and_its_signature(world, issued):
    original = stored_pdf(issued["receipt"]["key"])
    form, content_type = multipart("pdf", "comprobante.pdf", original)
    status, page, _ = call(world, "post", issued["url"], body=form,
                           headers={"Content-Type": content_type, **HTML})
    assert status == 200
    assert "PDF auténtico" in page
    status, body, _ = call(world, "post", issued["url"], body=original,
                           headers={"Content-Type": "application/pdf", **JSON})
    assert status == 200, body
    upload = body["upload"]
    assert (upload["matches"], upload["signature_valid"], upload["verdict"]) == (True, True, "authentic")
    assert upload["sha256"] == body["document"]["sha256"]

    middle = len(original) // 3
    edited = original[:middle] + bytes([original[middle] ^ 0x01]) + original[middle + 1:]
    status, body, _ = call(world, "post", issued["url"], body=edited, headers={"Content-Type": "application/pdf"})
    assert status == 200
    assert (body["upload"]["matches"], body["upload"]["signature_valid"], body["upload"]["verdict"]) == (
        False, False, "different")
    form, content_type = multipart("pdf", "editado.pdf", edited)
    status, page, _ = call(world, "post", issued["url"], body=form, headers={"Content-Type": content_type, **HTML})
    assert (status, "PDF distinto" in page) == (200, True)


@pytest.mark.parametrize(("body", "content_type"), [
    (b"not a pdf", "application/pdf"), (b"", "application/pdf"),
    (b"--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nhi\r\n--x--\r\n",
     "multipart/form-data; boundary=x"),
    (b"\xff\xfe garbage", "multipart/form-data"), (b"%PDF-1.7 broken", "application/pdf")])
def test_bad_uploads_are_400_or_a_verdict_never_500(world, issued, body, content_type):
    status, answer, _ = call(world, "post", issued["url"], body=body, headers={"Content-Type": content_type})
    assert status in (200, 400), answer
    if status == 200:
        assert answer["upload"]["verdict"] == "different"
    else:
        assert answer["error"]["field"] == "pdf"


# -- the token in the QR -------------------------------------------------------------------------------

def test_the_qr_carries_the_url_and_a_token_the_jwks_verifies_offline(world, issued):
    (text,) = issued["qr"]
    url, _, fragment = text.partition("#t=")
    assert url.endswith(issued["url"])
    status, jwks, _headers = call(world, "get", "/v1/trust/jwks.json")
    assert status == 200
    from devstack.demo_data import MUNICIPALITIES

    # One key per municipality, made at onboarding (the demo's provisioning does the same).
    assert sorted(k["kid"].split("-")[0] for k in jwks["keys"]) == sorted(m["code"] for m in MUNICIPALITIES)
    assert len({k["kid"] for k in jwks["keys"]}) == len(jwks["keys"])
    assert {(k["kty"], k["crv"], k["alg"]) for k in jwks["keys"]} == {("EC", "P-256", "ES256")}
    claims = verify_token(fragment, jwks)
    assert claims == {"f": issued["receipt"]["folio"], "m": "13101", "d": "2027-03-20", "a": issued["amount"],
                      "p": [["BBBB10", 2027, "full", "2028-03-31"]]}
    # Another plate written into the token: the signature no longer holds.
    header, payload, signature = fragment.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["p"][0][0] = "CDFG23"
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged, separators=(",", ":")).encode()).rstrip(b"=")
    with pytest.raises(InvalidInput):
        verify_token(f"{header}.{forged_payload.decode()}.{signature}", jwks)
    with pytest.raises(InvalidInput):
        verify_token(fragment, {"keys": []})
    # Readable from print: version 15 at level M (77 modules), measured.
    matrix = receipt_pdf.qr_matrix(text, level="M")
    assert (len(matrix) - 17) // 4 <= 15, len(matrix)


# -- annulment ---------------------------------------------------------------------------------------

def test_an_annulled_receipt_shows_annulled_everywhere(world):
    created = pay_and_issue(world, [{"type": "permit", "plate": "CDFG23", "year": 2027, "installment": "full"}],
                            key="verify-annulled")
    receipt = created["receipt"]
    # What the annulment (a later change) will write; the contract shows it already.
    wiring.data_table().update(table_keys.receipt("13101", receipt["folio"]), "RECEIPT",
                               "SET #s = :a, annulled_at = :at", names={"#s": "status"},
                               values={":a": "annulled", ":at": "2027-03-25T12:00:00-03:00"})
    url = f"/v1/receipts/verify?folio={receipt['folio']}&code={receipt['verification_code']}"
    status, body, _ = call(world, "get", url, headers=JSON)
    assert (status, body["valid"], body["status"], body["annulment"]["at"]) == (
        200, False, "annulled", "2027-03-25T12:00:00-03:00")
    status, page, _ = call(world, "get", url, headers=HTML)
    assert "Comprobante anulado" in page
    status, plate, _ = call(world, "get", "/v1/permits/CDFG23?year=2027", headers=JSON)
    assert (status, plate["status"], plate["valid_until"]) == (200, "annulled", None)


# -- the plate look-up ------------------------------------------------------------------------------

def test_a_paid_plate_is_paid_nationally_with_its_folio_and_validity(world, issued):
    status, body, _ = call(world, "get", "/v1/permits/bbbb-10?year=2027", headers=JSON)
    assert status == 200, body
    assert body == {"plate": "BBBB10", "year": 2027, "status": "paid", "status_text": "Permiso pagado",
                    "municipality": {"code": "13101", "name": "Municipalidad de Santiago"},
                    "installments": [{"installment": "full", "folio": issued["receipt"]["folio"],
                                      "paid_at": "2027-03-20T10:05:00-03:00", "status": "paid"}],
                    "valid_until": "2028-03-31", "valid_until_text": "31-03-2028"}


def test_an_unpaid_plate_is_not_paid(world):
    status, body, _ = call(world, "get", "/v1/permits/HJKL45?year=2027", headers=JSON)
    assert (status, body["status"], body["municipality"], body["installments"], body["valid_until"]) == (
        200, "not_paid", None, [], None)


@pytest.mark.parametrize(("path", "field"), [
    ("/v1/permits/BBBB10", "year"), ("/v1/permits/BBBB10?year=27", "year"), ("/v1/permits/BBBB10?year=abcd", "year"),
    ("/v1/permits/BBBB10?year=2999", "year"), ("/v1/permits/XX?year=2027", "plate"),
    ("/v1/permits/%F0%9F%9A%97?year=2027", "plate"), ("/v1/inspector?plate=XX&year=2027", "plate"),
    ("/v1/inspector?plate=BBBB10&year=1", "year"),
    ("/v1/permits/BBBB10?year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%97", "year")])
def test_malformed_plates_and_years_are_400(world, path, field):
    status, body, _ = call(world, "get", path, headers=JSON)
    assert (status, body["error"]["field"]) == (400, field), body


def test_the_inspector_page_checks_a_plate_without_scripts(world, issued):
    status, page, headers = call(world, "get", "/v1/inspector", headers=HTML)
    assert (status, "<form" in page, "<script" in page) == (200, True, False)
    status, page, _ = call(world, "get", "/v1/inspector?plate=BBBB10&year=2027", headers=HTML)
    assert status == 200
    for shown in ("Permiso pagado", "BBBB10", "Municipalidad de Santiago", "31-03-2028", issued["receipt"]["folio"]):
        assert shown in page, shown
    _no_personal_data(page)
    status, page, _ = call(world, "get", "/v1/inspector?plate=HJKL45&year=2027", headers=HTML)
    assert "Sin permiso pagado" in page
    status, page, _ = call(world, "get", "/v1/inspector?plate=%3Cb%3E&year=2027", headers=HTML)
    assert status == 400
    assert "Dato no válido" in page
    assert "<b>" not in page
    # The same path as the API, asked by a browser, is the page.
    status, page, headers = call(world, "get", "/v1/permits/BBBB10?year=2027", headers=HTML)
    assert headers["Content-Type"].startswith("text/html")
    assert "Permiso pagado" in page


def test_plate_look_ups_are_rate_limited_per_source(world, monkeypatch):
    monkeypatch.setattr(verification, "PLATE_LOOKUPS_PER_WINDOW", 2)
    answers = [call(world, "get", "/v1/permits/PRST67?year=2027",
                    headers={**JSON, "X-Forwarded-For": "198.51.100.7"}) for _ in range(4)]
    statuses = [s for s, _, _ in answers]
    assert 429 in statuses, statuses
    refused = answers[statuses.index(429)]
    assert refused[1]["error"]["code"] == "too_many_attempts"
    assert int(refused[2]["Retry-After"]) > 0


def test_municipality_texts_and_colours_are_escaped_into_the_page(world, issued, monkeypatch):
    real = wiring.municipalities

    class Branded:
        def __init__(self) -> None:
            self._real = real()

        def get(self, code: str) -> Any:
            config = dict(self._real.get(code) or {})
            config["branding"] = {"primary_color": "red;}</style><script>alert(1)</script>",
                                  "secondary_color": "#00AA11"}
            return config

        def __getattr__(self, name: str) -> Any:
            return getattr(self._real, name)

    monkeypatch.setattr(wiring, "municipalities", Branded)
    status, page, _ = call(world, "get", issued["url"], headers=HTML)
    assert status == 200
    assert "<script" not in page
    assert "--s:#00AA11" in page


def test_a_small_municipal_logo_is_inlined_into_the_page(world, issued):
    import io
    import os

    import boto3
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    s3, bucket = boto3.client("s3"), os.environ["SEM_ASSETS_BUCKET"]
    s3.put_object(Bucket=bucket, Key="13101/branding/logo.png", Body=buffer.getvalue(), ContentType="image/png")
    wiring.municipal_logos.cache_clear()
    try:
        status, page, _ = call(world, "get", issued["url"], headers=HTML)
        assert status == 200
        assert 'class="logo" src="data:image/png;base64,' in page
    finally:
        s3.delete_object(Bucket=bucket, Key="13101/branding/logo.png")
        wiring.municipal_logos.cache_clear()
    assert 'class="logo"' not in call(world, "get", issued["url"], headers=HTML)[1]


def test_a_plate_look_up_is_logged_without_the_plate_or_the_caller(world, issued, caplog):
    caplog.clear()
    status, _, _ = call(world, "get", "/v1/permits/BBBB10?year=2027", headers=JSON)
    assert status == 200
    look_up = [r for r in caplog.records if r.getMessage() == "plate look-up"]
    assert len(look_up) == 1
    fields = vars(look_up[0])
    assert (fields["outcome"], fields["year"], fields["channel"]) == ("paid", 2027, "api")
    assert "BBBB10" not in repr([vars(r) for r in caplog.records])
