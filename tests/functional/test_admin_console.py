"""The officials' back office through the app, against moto: payments search, detail, CSV and
receipt resend; rolls; settings, logo and portal keys; officials; central onboarding; the audit
log — and no request path Scans the table.

Payments are created and notified through the citizen and gateway routes (TGR is a recording
fake), on days set by a fake clock, so the search reads what the real writers wrote."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.receipt_state import issued_receipt
from devstack import demo_totp
from devstack.demo_data import DEMO_PASSWORD, DEMO_RUT
from tests.support.clocks import SANTIAGO, Clock
from tests.support.gateways import FakeGateway
from tests.support.officials import id_token
from tests.support.payments_world import ORIGIN, citizen, notify_at, pay_at, put_debt, queued_jobs

RUT_B = "11111111-1"
BASE = "/v1/admin/municipalities"


class RecordingClient:
    """The DynamoDB client, with every operation the app calls written down."""

    def __init__(self, client):
        self._client = client
        self.calls: list[str] = []

    def __getattr__(self, name):
        self.calls.append(name)
        return getattr(self._client, name)


@pytest.fixture(scope="module")
def world(shared_demo_stack_with_users):
    from chalice.test import Client

    from app import app

    facts = shared_demo_stack_with_users
    gateway, clock = FakeGateway(), Clock()
    real = wiring.payment_context

    def context():
        ctx = real()
        ctx.gateway, ctx.clock = gateway, clock
        return ctx

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wiring, "payment_context", context)
        with Client(app, stage_name="test") as client:
            table = wiring.data_table()
            recorder = RecordingClient(table._client)
            table._client = recorder
            w = {"client": client, "clock": clock, "facts": facts, "env": facts["env"], "recorder": recorder,
                 "tokens": {}}
            _create_payments(w)
            yield w


def token(world, email):
    if email not in world["tokens"]:
        world["tokens"][email] = id_token(world["facts"], email)
    return world["tokens"][email]


TESORERO, ADMIN, DIRECTOR = "tesorero@munistgo.demo", "administrador.municipal@munistgo.demo", \
    "director.finanzas@munistgo.demo"
OPERADOR_RENTAS, SUBDERE = "operador.rentas@munistgo.demo", "administrador.subdere@subdere.demo"


def admin(world, method, path, email=TESORERO, body=None, raw=False):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token(world, email)}"}
    kwargs = {"headers": headers}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    response = getattr(world["client"].http, method)(path, **kwargs)
    if raw:
        return response
    return response.status_code, json.loads(response.body)


# -- payments made through the real routes ------------------------------------------------------

def _create_payments(world):
    for n in range(6):
        put_debt("13101", f"PAT-T-{n}", "patente", DEMO_RUT, 10_000 + n)
    put_debt("13101", "ASE-T-B1", "aseo", RUT_B, 7_000)
    ids = {}
    ids["paid_patente"] = pay_at(world, datetime(2027, 3, 18, 10, 0, tzinfo=SANTIAGO),
                               [{"type": "debt", "debt_id": "PAT-2027-1-000123"}])
    notify_at(world, ids["paid_patente"], "approved")
    ids["paid_permit"] = pay_at(world, datetime(2027, 3, 19, 10, 0, tzinfo=SANTIAGO),
                              [{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full"}])
    world["clock"].now += timedelta(minutes=3)  # the citizen at TGR's checkout: approved after the order
    notify_at(world, ids["paid_permit"], "approved")
    ids["pending_aseo"] = pay_at(world, datetime(2027, 3, 19, 11, 0, tzinfo=SANTIAGO),
                               [{"type": "debt", "debt_id": "ASE-2027-1-004567"}])
    ids["rejected_b"] = pay_at(world, datetime(2027, 3, 20, 9, 0, tzinfo=SANTIAGO),
                             [{"type": "debt", "debt_id": "ASE-T-B1"}], payer_rut=RUT_B)
    notify_at(world, ids["rejected_b"], "rejected")
    ids["pending"] = [pay_at(world, datetime(2027, 3, 20, 10, n, tzinfo=SANTIAGO),
                           [{"type": "debt", "debt_id": f"PAT-T-{n}"}]) for n in range(6)]
    ids["foreign"] = pay_at(world, datetime(2027, 3, 20, 12, 0, tzinfo=SANTIAGO),
                          [{"type": "debt", "debt_id": "ASE-2027-1-000871"}], code="13114", payer_rut="12678579-8")
    notify_at(world, ids["foreign"], "approved")
    # A folio and an e-mail delivery row, as the receipts worker leaves them.
    from chalicelib.adapters.receipts_repo import FolioRequest

    allocation = wiring.receipts_repo().allocate_folio(
        "13101", ids["paid_patente"], FolioRequest(year=2027, verification_code="ABCD-EFGH",
                                                   issued_at="2027-03-18T10:06:00-03:00", amount=186_250))
    assert allocation is not None
    ids["folio"] = allocation["folio"]
    wiring.receipts_repo().mark_issued("13101", ids["paid_patente"], allocation, amount=186_250,
                                       code_hash="not-checked-here", signature={"status": "signed"},
                                       document_sha256="0" * 64)
    wiring.receipts_repo().show_issued("13101", ids["paid_patente"], signed_at="2027-03-18T10:06:30-03:00")
    wiring.data_table().update(table_keys.payment("13101", ids["paid_patente"]), "META", "SET email = :e",
                               values={":e": {"status": "sent", "attempts": 1}})
    wiring.data_table().put({"pk": table_keys.payment("13101", ids["paid_patente"]),
                             "sk": "EMAIL#2027-03-18T13:07:00Z#a1",
                             "at": "2027-03-18T10:07:00-03:00", "attempt": 1, "to": "maria@ciudadano.demo",
                             "outcome": "sent", "message_id": "m-1", "kind": "receipt", "folio": ids["folio"]})
    world["ids"] = ids


def _search(world, query, email=TESORERO, code="13101"):
    status, body = admin(world, "get", f"{BASE}/{code}/payments?{query}", email)
    assert status == 200, body
    return body


# -- payments -----------------------------------------------------------------------------------

def test_search_by_day_range_is_newest_first_and_filters_status_and_service(world):
    ids = world["ids"]
    body = _search(world, "from=2027-03-18&to=2027-03-20&limit=100")
    listed = [p["payment_id"] for p in body["items"]]
    assert listed == [*reversed(ids["pending"]), ids["rejected_b"], ids["pending_aseo"], ids["paid_permit"],
                      ids["paid_patente"]]
    assert ids["foreign"] not in listed
    assert body["cursor"] is None
    paid = _search(world, "from=2027-03-18&to=2027-03-20&status=paid")["items"]
    assert [p["payment_id"] for p in paid] == [ids["paid_permit"], ids["paid_patente"]]
    aseo = _search(world, "from=2027-03-18&to=2027-03-20&service=aseo")["items"]
    assert [p["payment_id"] for p in aseo] == [ids["rejected_b"], ids["pending_aseo"]]
    row = next(p for p in body["items"] if p["payment_id"] == ids["paid_patente"])
    assert row["amount"] == 186_250
    assert isinstance(row["amount"], int)
    assert row["folio"] == ids["folio"]
    assert row["status_text"] == "Pagado"
    assert _search(world, "from=2027-03-21&to=2027-03-21")["items"] == []


def test_search_by_rut_plate_and_folio(world):
    ids = world["ids"]
    by_rut = _search(world, f"rut={RUT_B}")["items"]
    assert [p["payment_id"] for p in by_rut] == [ids["rejected_b"]]
    by_rut_dotted = _search(world, "rut=12.345.678-5&status=paid")["items"]
    assert {p["payment_id"] for p in by_rut_dotted} == {ids["paid_permit"], ids["paid_patente"]}
    by_plate = _search(world, "plate=bb-bb10")["items"]
    assert [p["payment_id"] for p in by_plate] == [ids["paid_permit"]]
    assert by_plate[0]["plates"] == ["BBBB10"]
    by_folio = _search(world, f"folio={ids['folio']}")["items"]
    assert [p["payment_id"] for p in by_folio] == [ids["paid_patente"]]
    # A RUT's payments in another municipality are not found from this one.
    assert _search(world, "rut=12678579-8")["items"] == []
    status, body = admin(world, "get", f"{BASE}/13101/payments?rut=12345678-9")
    assert (status, body["error"]["field"]) == (400, "rut")
    status, body = admin(world, "get", f"{BASE}/13101/payments?from=2027-01-01&to=2027-06-30")
    assert (status, body["error"]["code"]) == (400, "range_too_long")


def test_pagination_walks_every_payment_once_and_refuses_foreign_cursors(world):
    seen, cursor, pages = [], None, 0
    while True:
        query = "from=2027-03-18&to=2027-03-20&limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = _search(world, query)
        seen += [p["payment_id"] for p in body["items"]]
        pages += 1
        cursor = body["cursor"]
        if cursor is None:
            break
    full = [p["payment_id"] for p in _search(world, "from=2027-03-18&to=2027-03-20&limit=100")["items"]]
    assert seen == full
    assert pages >= 3
    first = _search(world, "from=2027-03-18&to=2027-03-20&limit=2")
    # The cursor belongs to its query: another filter, or another municipality, is a 400.
    status, body = admin(world, "get", f"{BASE}/13101/payments?from=2027-03-18&to=2027-03-20&status=paid"
                                       f"&cursor={first['cursor']}")
    assert (status, body["error"]["code"]) == (400, "invalid_cursor")
    status, body = admin(world, "get", f"{BASE}/13101/payments?cursor=bm90LWEtY3Vyc29y")
    assert (status, body["error"]["code"]) == (400, "invalid_cursor")


def test_detail_has_items_breakdown_checks_events_receipt_and_emails(world):
    ids = world["ids"]
    status, permit = admin(world, "get", f"{BASE}/13101/payments/{ids['paid_permit']}")
    assert status == 200, permit
    item = permit["items"][0]
    assert item["plate"] == "BBBB10"
    assert set(item["checks"]) == {"insurance", "inspection", "emissions", "fines"}
    assert item["breakdown"]
    assert [e["type"] for e in permit["events"]][:2] == ["created", "gateway_order_created"]
    assert permit["events"][-1]["type"] == "gateway_approved"
    status, patente = admin(world, "get", f"{BASE}/13101/payments/{ids['paid_patente']}")
    assert patente["emails"][0]["outcome"] == "sent"  # what the receipts worker writes (the console reads it)
    assert patente["folio"] == ids["folio"]
    # Another municipality's payment is not reachable through this municipality's path.
    status, body = admin(world, "get", f"{BASE}/13101/payments/{ids['foreign']}")
    assert (status, body["error"]["code"]) == (404, "payment_not_found")
    status, body = admin(world, "get", f"{BASE}/13114/payments/{ids['foreign']}")
    assert (status, body["error"]["code"]) == (403, "other_municipality")


def test_csv_export_has_spanish_headers_and_whole_pesos(world):
    response = admin(world, "get", f"{BASE}/13101/payments.csv?from=2027-03-18&to=2027-03-20&status=paid", raw=True)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.body.decode("utf-8") if isinstance(response.body, bytes) else response.body
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").strip().split("\r\n")
    assert lines[0].split(";")[:4] == ["ID de pago", "Fecha de creación", "Estado", "Monto ($)"]
    assert len(lines) == 3
    patente = next(line.split(";") for line in lines[1:] if line.startswith(world["ids"]["paid_patente"]))
    assert patente[3] == "186250"
    assert patente[2] == "Pagado"
    status, body = admin(world, "get", f"{BASE}/13101/payments.csv", OPERADOR_RENTAS)
    assert (status, body["error"]["code"]) == (403, "permission_denied")


def test_resend_receipt_reopens_the_email_step_queues_the_job_and_is_audited(world):
    ids = world["ids"]
    queued_jobs()  # drain what the approvals queued
    status, body = admin(world, "post", f"{BASE}/13101/payments/{ids['paid_patente']}/resend-receipt",
                         OPERADOR_RENTAS)
    assert status == 202, body
    assert {"kind": "receipt", "municipality": "13101", "payment_id": ids["paid_patente"]} in queued_jobs()
    email = wiring.payments_repo().get("13101", ids["paid_patente"])["email"]
    assert (email["status"], email["resend_requested_by"]) == ("retry", OPERADOR_RENTAS)
    status, body = admin(world, "post", f"{BASE}/13101/payments/{ids['paid_patente']}/resend-receipt",
                         OPERADOR_RENTAS)
    assert (status, body["error"]["code"]) == (409, "email_in_progress")  # a double click sends once
    status, body = admin(world, "post", f"{BASE}/13101/payments/{ids['pending_aseo']}/resend-receipt",
                         OPERADOR_RENTAS)
    assert (status, body["error"]["code"]) == (409, "payment_not_paid")
    entries = _audit(world)
    assert any(e["action"] == "payment.receipt.resend" and e["actor"] == OPERADOR_RENTAS for e in entries)


# -- rolls --------------------------------------------------------------------------------------

ROLL = (
    "debt_id;rut;type;description;period;due_date;amount\n"
    "PAT-R-1;12.345.678-5;patente;Patente comercial rol 1;2027-S1;2027-07-31;120000\n"
    "PAT-R-2;12345678-9;patente;RUT con dígito malo;2027-S1;2027-07-31;1000\n"
    "ASE-R-1;11.111.111-1;aseo;Aseo rol 2, cuota 1;2027-Q1;30-04-2027;21.480\n"
    "ASE-R-2;11111111-1;multa;Tipo desconocido;2027-Q1;2027-04-30;500\n"
    "\n"
    "ASE-R-3;11111111-1;aseo;Monto con decimales;2027-Q1;2027-04-30;100,5\n"
    "ASE-R-4;11111111-1;aseo;Fecha imposible;2027-Q1;2027-02-30;100\n"
    "PAT-R-1;11111111-1;patente;Repite el id;2027-S1;2027-07-31;100\n"
    "PAT-2027-1-000123;12345678-5;patente;Ya existe en la municipalidad;2027-S1;2027-07-31;100\n"
    "ASE-R-5;11111111-1;aseo;Línea corta\n"
)


def _upload(world, content, email=OPERADOR_RENTAS):
    data = content.encode("utf-8")
    status, started = admin(world, "post", f"{BASE}/13101/rolls/uploads", email,
                            {"filename": "rol.csv", "content_length": len(data)})
    assert status == 201, started
    url = urlsplit(started["upload_url"])
    query = parse_qs(url.query)
    assert int(query["X-Amz-Expires"][0]) <= 900
    assert "content-length" in query["X-Amz-SignedHeaders"][0]
    upload_id = started["upload"]["upload_id"]
    assert url.path.endswith(f"/13101/rolls/{upload_id}.csv")
    boto3.client("s3").put_object(Bucket=world["env"]["SEM_UPLOADS_BUCKET"], Key=f"13101/rolls/{upload_id}.csv",
                                  Body=data, ContentType="text/csv")
    return upload_id


def test_a_roll_loads_its_good_lines_and_reports_every_bad_one_by_line(world):
    status, body = admin(world, "post", f"{BASE}/13101/rolls/uploads/20270320T130000Z-00000000/process",
                         OPERADOR_RENTAS)
    assert (status, body["error"]["code"]) == (404, "upload_not_found")
    upload_id = _upload(world, ROLL)
    path = f"{BASE}/13101/rolls/uploads/{upload_id}"
    status, state = admin(world, "post", f"{path}/process", OPERADOR_RENTAS)
    assert status == 200, state
    assert state["status"] == "done"
    assert (state["data_lines"], state["written"], state["error_count"]) == (9, 2, 7)
    assert state["progress_percent"] == 100
    status, report = admin(world, "get", path, OPERADOR_RENTAS)
    errors = {e["line"]: e["field"] for e in report["errors"]}
    assert errors == {3: "rut", 5: "type", 7: "amount", 8: "due_date", 9: "debt_id", 10: "debt_id", 11: None}
    debts = DebtRepository(wiring.data_table())
    assert debts.get("13101", "PAT-R-1")["amount"] == 120_000
    assert debts.get("13101", "ASE-R-1")["amount"] == 21_480
    assert debts.get("13101", "ASE-R-1")["due_date"] == "2027-04-30"
    assert debts.get("13101", "PAT-R-2") is None
    assert debts.get("13101", "PAT-2027-1-000123")["status"] == "paid"  # the existing debt is untouched
    # Processing again changes nothing; the new debts are what citizens now see.
    assert admin(world, "post", f"{path}/process", OPERADOR_RENTAS)[1] == state
    status, owed = citizen(world, "get", "/v1/municipalities/13101/debts?rut=11.111.111-1", "13101")
    assert status == 200, owed
    assert "ASE-R-1" in [d["debt_id"] for d in owed["debts"]]
    listed = admin(world, "get", f"{BASE}/13101/rolls/uploads", DIRECTOR)[1]["items"]
    assert listed[0]["upload_id"] == upload_id


def test_a_roll_with_a_bad_header_fails_whole_and_a_big_one_is_refused_up_front(world):
    upload_id = _upload(world, "rut;monto\n12345678-5;100\n")
    status, state = admin(world, "post", f"{BASE}/13101/rolls/uploads/{upload_id}/process", OPERADOR_RENTAS)
    assert (status, state["status"]) == (200, "failed")
    assert "debt_id" in state["failure"]
    status, body = admin(world, "post", f"{BASE}/13101/rolls/uploads", OPERADOR_RENTAS,
                         {"filename": "rol.csv", "content_length": 50 * 1024 * 1024})
    assert (status, body["error"]["field"]) == (400, "content_length")


# -- settings -----------------------------------------------------------------------------------

def test_settings_are_validated_with_the_field_in_the_envelope(world):
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN, {"branding": {"primary_color": "red"}})
    assert (status, body["error"]["field"]) == (400, "branding.primary_color")
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN, {"origins": ["http://munistgo.cl"]})
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "invalid_origin", "origins[0]")
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN,
                         {"permit_discounts": {"tasacion_percent": "150", "tasacion_percent_reason": "Zona extrema"}})
    assert (status, body["error"]["field"]) == (400, "permit_discounts.tasacion_percent")
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN, {"sender_email": "no es correo"})
    assert (status, body["error"]["field"]) == (400, "sender_email")
    assert body["error"]["request_id"]


def test_a_municipality_sends_only_from_a_sender_verified_for_it(world):
    """Another municipality's sender, the platform's, or any other mailbox of its own domain when
    only one address was verified: refused (issue 15.4). Its identities are not its to edit."""
    for other in ("no-responder@lascondes.demo", "no-responder@sem.demo", "alcalde@munistgo.demo",
                  "no-responder@munistgo.demo.evil.example"):
        status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN, {"sender_email": other})
        assert (status, body["error"]["code"], body["error"]["field"]) == (400, "sender_not_verified",
                                                                           "sender_email"), other
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN, {"sender_identities": ["lascondes.demo"]})
    assert status == 400, body
    assert wiring.data_table().get(table_keys.municipality("13101"), "CONFIG")["sender_identities"] == [
        "no-responder@munistgo.demo"]
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN,
                         {"sender_email": "No-Responder@munistgo.demo"})
    assert status == 200, body
    assert body["sender_email"] == "no-responder@munistgo.demo"


def test_settings_change_with_version_audit_and_branding_only_for_finance(world):
    status, current = admin(world, "get", f"{BASE}/13101/settings", ADMIN)
    assert status == 200
    version = current["version"]
    status, body = admin(world, "patch", f"{BASE}/13101/settings", DIRECTOR,
                         {"version": version, "branding": {"primary_color": "#123456", "header_text": "Tesorería"}})
    assert status == 200, body
    assert body["branding"]["primary_color"] == "#123456"
    assert body["version"] == version + 1
    assert wiring.municipalities().get("13101")["branding"]["primary_color"] == "#123456"
    status, body = admin(world, "patch", f"{BASE}/13101/settings", DIRECTOR, {"origins": ["https://munistgo.cl"]})
    assert (status, body["error"]["code"]) == (403, "permission_denied")
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN, {"version": version, "services": ["aseo"]})
    assert (status, body["error"]["code"]) == (409, "settings_version_mismatch")
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN, {
        "origins": ["https://www.munistgo.cl", "http://localhost:8080", "http://127.0.0.1"],
        "permit_discounts": {"tasacion_percent": "80", "tasacion_percent_reason": "Ordenanza 12/2027"}})
    assert status == 200, body
    assert body["permit_discounts"]["tasacion_percent"] == "80"
    assert body["origins"][0] == "https://www.munistgo.cl"
    status, body = admin(world, "patch", f"{BASE}/13101/settings", ADMIN, {"permit_discounts": None})
    assert (status, body["permit_discounts"]) == (200, None)
    entries = _audit(world)
    change = next(e for e in entries if e["action"] == "settings.update" and e["actor"] == DIRECTOR)
    assert change["before"]["branding"]["primary_color"] != "#123456"
    assert change["after"]["branding"]["primary_color"] == "#123456"
    assert change["profile"] == "director_finanzas"


def _audit(world, email=ADMIN, query="", today=None):
    today = today or datetime.now().date().isoformat()
    status, body = admin(world, "get", f"{BASE}/13101/audit?from={today[:8]}01&to={today}&limit=200{query}", email)
    assert status == 200, body
    return body["items"]


def test_the_logo_is_checked_before_it_reaches_receipts(world):
    png = (Path(wiring.__file__).parent / "assets" / "branding" / "default-logo.png").read_bytes()
    s3 = boto3.client("s3")
    for content, expected in ((b"GIF89a not a png at all", 400), (png, 200)):
        status, started = admin(world, "post", f"{BASE}/13101/settings/logo-upload", DIRECTOR,
                                {"content_length": len(content)})
        assert status == 201, started
        url_path = urlsplit(started["upload_url"]).path
        key = url_path[url_path.index("13101/"):]
        assert key.startswith("13101/branding/uploads/")
        s3.put_object(Bucket=world["env"]["SEM_UPLOADS_BUCKET"], Key=key, Body=content, ContentType="image/png")
        status, body = admin(world, "post", f"{BASE}/13101/settings/logo", DIRECTOR,
                             {"upload_id": started["upload_id"]})
        assert status == expected, body
    stored = s3.get_object(Bucket=world["env"]["SEM_ASSETS_BUCKET"], Key="13101/branding/logo.png")["Body"].read()
    assert stored == png
    assert body["logo"]["width"] > 0


def test_portal_key_rotation_shows_the_key_once_and_revokes_the_old_ones(world):
    old = world["facts"]["portal_keys"]["13114"]
    email = "administrador.municipal@lascondes.demo"
    path = "/v1/municipalities/13114/debts?rut=12678579-8"
    headers = {"Origin": ORIGIN}
    # the old key works, and its record is now in this process's cache
    assert world["client"].http.get(path, headers={**headers, "X-Api-Key": old}).status_code == 200
    status, body = admin(world, "post", f"{BASE}/13114/portal-keys", email, {"revoke_others": True})
    assert status == 201, body
    new = body["api_key"]
    assert new.startswith("sem_13114_")
    old_status = world["client"].http.get(path, headers={**headers, "X-Api-Key": old}).status_code
    new_status = world["client"].http.get(path, headers={**headers, "X-Api-Key": new}).status_code
    assert (old_status, new_status) == (401, 200)
    _, settings = admin(world, "get", f"{BASE}/13114/settings", email)
    assert {k["status"] for k in settings["portal_keys"]} == {"active", "revoked"}
    assert new not in json.dumps(settings)
    world["facts"]["portal_keys"]["13114"] = new


# -- officials ----------------------------------------------------------------------------------

def test_officials_are_created_with_a_cognito_account_and_deactivated(world):
    cognito = boto3.client("cognito-idp")
    pool = world["env"]["SEM_COGNITO_USER_POOL_ID"]
    new = "nuevo.operador@munistgo.demo"
    status, body = admin(world, "post", f"{BASE}/13101/officials", ADMIN,
                         {"email": new, "name": "Nuevo Operador", "profile": "operador_transito", "run": "8.765.432-K"})
    assert status == 201, body
    assert (body["run"], body["totp_required"]) == ("8765432-K", False)
    user = cognito.admin_get_user(UserPoolId=pool, Username=new)
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=new)["Groups"]
    assert [g["GroupName"] for g in groups] == ["operador_transito"]
    status, body = admin(world, "post", f"{BASE}/13101/officials", ADMIN,
                         {"email": new, "name": "Otra vez", "profile": "operador_rentas", "run": "9.876.543-3"})
    assert (status, body["error"]["code"]) == (409, "official_exists")
    cognito.admin_set_user_password(UserPoolId=pool, Username=new, Password=DEMO_PASSWORD, Permanent=True)
    assert admin(world, "get", f"{BASE}/13101/payments", new)[0] == 200
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{new}", ADMIN, {"status": "inactive"})
    assert (status, body["status"]) == (200, "inactive")
    status, body = admin(world, "get", f"{BASE}/13101/payments", new)
    assert (status, body["error"]["code"]) == (403, "official_not_active")
    assert cognito.admin_get_user(UserPoolId=pool, Username=new)["Enabled"] is False
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{ADMIN}", ADMIN, {"status": "inactive"})
    assert (status, body["error"]["code"]) == (409, "cannot_change_self")
    status, body = admin(world, "post", f"{BASE}/13101/officials", ADMIN,
                         {"email": "x@subdere.demo", "name": "Central", "profile": "administrador_subdere",
                          "run": "7.654.321-6"})
    assert (status, body["error"]["field"]) == (400, "profile")
    listed = admin(world, "get", f"{BASE}/13101/officials?limit=100", ADMIN)[1]["items"]
    assert {"email": new, "status": "inactive"}.items() <= next(o for o in listed if o["email"] == new).items()
    actions = [(e["action"], e["target"]) for e in _audit(world)]
    assert ("official.create", new) in actions
    assert ("official.update", new) in actions


def test_a_payment_authorizing_profile_takes_a_second_approval_before_the_account_exists(world):
    """Four eyes: the administrator proposes, the alcalde approves, and only then is there a
    Cognito account and an officials record; the account then enrols its TOTP app."""
    cognito = boto3.client("cognito-idp")
    pool = world["env"]["SEM_COGNITO_USER_POOL_ID"]
    new = "nueva.tesorera@munistgo.demo"
    status, body = admin(world, "post", f"{BASE}/13101/officials", ADMIN,
                         {"email": new, "name": "Nueva Tesorera", "profile": "tesorero_subrogante",
                          "run": "6.543.210-2"})
    assert (status, body["status"]) == (202, "pending_approval"), body
    proposal = body["proposal"]
    assert (proposal["status"], proposal["proposed_by"], proposal["run"]) == ("pending", ADMIN, "6543210-2")
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=pool, Username=new)
    assert wiring.officials_admin().officials.get("13101", new) is None
    status, body = admin(world, "post", f"{BASE}/13101/officials", ADMIN,
                         {"email": new, "name": "Nueva Tesorera", "profile": "tesorero", "run": "6.543.210-2"})
    assert (status, body["error"]["code"]) == (409, "proposal_pending")
    listed = admin(world, "get", f"{BASE}/13101/official-proposals", "alcalde@munistgo.demo")[1]["items"]
    assert proposal["proposal_id"] in [p["proposal_id"] for p in listed if p["status"] == "pending"]
    approve = f"{BASE}/13101/official-proposals/{proposal['proposal_id']}/approve"
    status, body = admin(world, "post", approve, ADMIN)
    assert (status, body["error"]["code"]) == (403, "permission_denied")
    status, body = admin(world, "post", approve.replace("/13101/", "/13114/"), "alcalde@munistgo.demo")
    assert (status, body["error"]["code"]) == (403, "other_municipality")
    status, body = admin(world, "post", approve.replace("/13101/", "/13114/"), "alcalde@lascondes.demo")
    assert (status, body["error"]["code"]) == (404, "proposal_not_found")

    status, body = admin(world, "post", approve, "alcalde@munistgo.demo")
    assert status == 200, body
    assert (body["proposal"]["status"], body["proposal"]["decided_by"]) == ("approved", "alcalde@munistgo.demo")
    assert (body["official"]["profile"], body["official"]["run"]) == ("tesorero_subrogante", "6543210-2")
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool, Username=new)["Groups"]
    assert [g["GroupName"] for g in groups] == ["tesorero_subrogante"]
    status, body = admin(world, "post", approve, SUBDERE)
    assert (status, body["error"]["code"]) == (409, "proposal_decided")
    cognito.admin_set_user_password(UserPoolId=pool, Username=new, Password=DEMO_PASSWORD, Permanent=True)
    status, body = admin(world, "get", f"{BASE}/13101/payments", new)
    assert (status, body["error"]["code"]) == (403, "second_factor_required")
    demo_totp.enroll(cognito, world["env"]["SEM_COGNITO_CLIENT_ID"], new, DEMO_PASSWORD)
    status, body = admin(world, "get", f"{BASE}/13101/payments", new)  # the session begun without the code ends
    assert (status, body["error"]["code"]) == (401, "session_ended")
    time.sleep(1.05)  # the next sign-in, in a later second than the sign-out
    world["tokens"][new] = id_token(world["facts"], new)  # with the code now
    assert admin(world, "get", f"{BASE}/13101/payments", new)[0] == 200
    entries = [(e["action"], e["actor"]) for e in _audit(world) if e["target"] == new]
    assert ("official.propose", ADMIN) in entries
    assert ("official.approve", "alcalde@munistgo.demo") in entries
    assert ("official.create", "alcalde@munistgo.demo") in entries


def test_a_promotion_to_a_payment_authorizing_profile_waits_for_approval_and_can_be_rejected(world):
    email = "promovido@munistgo.demo"
    status, body = admin(world, "post", f"{BASE}/13101/officials", ADMIN,
                         {"email": email, "name": "Promovido", "profile": "operador_rentas", "run": "3.000.000-5"})
    assert status == 201, body
    boto3.client("cognito-idp").admin_set_user_password(
        UserPoolId=world["env"]["SEM_COGNITO_USER_POOL_ID"], Username=email, Password=DEMO_PASSWORD, Permanent=True)
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{email}", ADMIN, {"profile": "tesorero"})
    assert (status, body["status"]) == (202, "pending_approval"), body
    assert wiring.officials_admin().officials.get("13101", email)["profile"] == "operador_rentas"
    assert admin(world, "get", f"{BASE}/13101/rolls/uploads", email)[0] == 200  # still an operator
    first = body["proposal"]["proposal_id"]
    status, body = admin(world, "post", f"{BASE}/13101/official-proposals/{first}/reject", SUBDERE)
    assert (status, body["proposal"]["status"]) == (200, "rejected")
    assert wiring.officials_admin().officials.get("13101", email)["profile"] == "operador_rentas"
    status, body = admin(world, "post", f"{BASE}/13101/official-proposals/{first}/approve", "alcalde@munistgo.demo")
    assert (status, body["error"]["code"]) == (409, "proposal_decided")

    second = admin(world, "patch", f"{BASE}/13101/officials/{email}", ADMIN, {"profile": "tesorero"})[1]
    status, body = admin(world, "post", f"{BASE}/13101/official-proposals/{second['proposal']['proposal_id']}"
                         "/approve", SUBDERE)
    assert status == 200, body
    assert wiring.officials_admin().officials.get("13101", email)["profile"] == "tesorero"
    attributes = boto3.client("cognito-idp").admin_get_user(
        UserPoolId=world["env"]["SEM_COGNITO_USER_POOL_ID"], Username=email)["UserAttributes"]
    assert {"Name": "custom:profile", "Value": "tesorero"} in attributes
    actions = [e["action"] for e in _audit(world) if e["target"] == email]
    assert {"official.propose", "official.reject", "official.approve", "official.update"} <= set(actions)


def test_nobody_decides_their_own_proposal_or_one_about_themselves(world):
    from chalicelib.services import official_approvals
    from chalicelib.services.auth import Official

    mayor = "alcalde@munistgo.demo"
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{mayor}", ADMIN, {"profile": "tesorero"})
    assert status == 202, body
    about_mayor = body["proposal"]["proposal_id"]
    status, body = admin(world, "post", f"{BASE}/13101/official-proposals/{about_mayor}/approve", mayor)
    assert (status, body["error"]["code"]) == (403, "own_proposal")
    # An approver who is also the proposer (the role check aside) is refused by the service itself.
    proposer = Official(email=ADMIN, municipality="13101", profile="alcalde", name="x")
    with pytest.raises(Forbidden) as refused:
        official_approvals.approve("13101", about_mayor, proposer, wiring.officials_admin())
    assert refused.value.code == "own_proposal"
    assert admin(world, "post", f"{BASE}/13101/official-proposals/{about_mayor}/reject", SUBDERE)[0] == 200
    assert wiring.officials_admin().officials.get("13101", mayor)["profile"] == "alcalde"


def test_a_decision_made_meanwhile_stops_an_approval_that_read_the_proposal_as_pending(world, monkeypatch):
    """Two decisions race: each read the proposal while it was still pending. The proposal's move
    from `pending` is a condition of the transaction that applies it, so the late approval changes
    nothing and is not audited — after an approval, and after a rejection (where nothing else
    about the official has changed to stop it)."""
    admin_13114 = "administrador.municipal@lascondes.demo"
    repo_class = type(wiring.officials_admin().officials)
    month = datetime.now(UTC).strftime("%Y-%m")
    for n, (first_decision, email) in enumerate((("approve", "promovida@lascondes.demo"),
                                                  ("reject", "rechazada@lascondes.demo"))):
        status, body = admin(world, "post", f"{BASE}/13114/officials", admin_13114,
                             {"email": email, "name": "Promovida", "profile": "operador_transito",
                              "run": f"3.000.00{n + 1}-{'31'[n]}"})
        assert status == 201, body
        body = admin(world, "patch", f"{BASE}/13114/officials/{email}", admin_13114,
                     {"profile": "director_finanzas"})[1]
        proposal_id = body["proposal"]["proposal_id"]
        repo = wiring.officials_admin().officials
        stale, stale_record = repo.proposal("13114", proposal_id), repo.get("13114", email)
        status, body = admin(world, "post", f"{BASE}/13114/official-proposals/{proposal_id}/{first_decision}",
                             "alcalde@lascondes.demo")
        assert status == 200, body
        with monkeypatch.context() as patched:
            patched.setattr(repo_class, "proposal", lambda self, code, pid, stale=stale: dict(stale))
            patched.setattr(repo_class, "get", lambda self, code, who, rec=stale_record: dict(rec))
            status, body = admin(world, "post", f"{BASE}/13114/official-proposals/{proposal_id}/approve", SUBDERE)
        assert (status, body["error"]["code"]) == (409, "proposal_decided")
        record = wiring.officials_admin().officials.get("13114", email)
        want = "director_finanzas" if first_decision == "approve" else "operador_transito"
        assert record["profile"] == want
        decisions = [a for a in wiring.data_table().query_all(table_keys.audit("13114", month))
                     if a["target"] == email and a["action"] in ("official.approve", "official.update",
                                                                 "official.reject")]
        assert [a["actor"] for a in decisions] == ["alcalde@lascondes.demo"] * len(decisions)
        assert len(decisions) == (2 if first_decision == "approve" else 1)


def test_the_run_is_registered_by_the_administrator_unique_and_never_changed(world):
    taken = admin(world, "get", f"{BASE}/13101/officials?limit=100", ADMIN)[1]["items"]
    someone = next(o for o in taken if o["email"] == TESORERO)
    status, body = admin(world, "post", f"{BASE}/13101/officials", ADMIN,
                         {"email": "copia@munistgo.demo", "name": "Copia", "profile": "operador_rentas",
                          "run": someone["run"]})
    assert (status, body["error"]["code"]) == (409, "run_taken")
    status, body = admin(world, "post", f"{BASE}/13101/officials", ADMIN,
                         {"email": "malo@munistgo.demo", "name": "Malo", "profile": "operador_rentas",
                          "run": "12.345.678-9"})
    assert (status, body["error"]["field"]) == (400, "run")
    # The same RUN in another municipality is another official's business.
    status, body = admin(world, "post", f"{BASE}/13114/officials", "administrador.municipal@lascondes.demo",
                         {"email": "copia@lascondes.demo", "name": "Copia", "profile": "operador_rentas",
                          "run": someone["run"]})
    assert status == 201, body
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{TESORERO}", ADMIN, {"run": "5.126.663-3"})
    assert (status, body["error"]["code"]) == (409, "run_immutable")
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{ADMIN}", ADMIN, {"run": "5.126.663-3"})
    assert (status, body["error"]["code"]) == (409, "cannot_change_self")
    # An account from before RUNs were kept gets one, once.
    legacy = "sin.run@munistgo.demo"
    wiring.data_table().put({"pk": table_keys.officials("13101"), "sk": legacy, "email": legacy, "name": "Sin RUN",
                             "municipality": "13101", "profile": "operador_rentas", "status": "active"})
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{legacy}", ADMIN, {"run": "5.126.663-3"})
    assert (status, body["run"]) == (200, "5126663-3")
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{legacy}", ADMIN, {"run": "4.000.000-3"})
    assert (status, body["error"]["code"]) == (409, "run_immutable")
    actions = [(e["action"], e["target"]) for e in _audit(world)]
    assert ("official.set_run", legacy) in actions


def test_the_administrator_designates_the_receipt_signer_with_the_accounts_run(world):
    from chalicelib.adapters.receipt_signer import DEFAULT_SIGNER_NAME
    from devstack.demo_data import official_run

    path = f"{BASE}/13101/receipt-signer"
    status, body = admin(world, "get", path, ADMIN)
    assert (status, body["designated"], body["uses_default"]) == (200, None, True)
    worker_signer = wiring.receipt_signer()
    assert worker_signer.credentials("13101", wiring.municipalities().get("13101"))[1].name == DEFAULT_SIGNER_NAME
    for email, code in ((OPERADOR_RENTAS, "invalid_signer_profile"), ("nadie@munistgo.demo", "official_not_found")):
        status, body = admin(world, "put", path, ADMIN, {"email": email})
        assert (status, body["error"]["code"]) == ((404 if code == "official_not_found" else 400), code)
    status, body = admin(world, "put", path, ADMIN, {"email": "tesorero@lascondes.demo"})
    assert (status, body["error"]["code"]) == (404, "official_not_found")  # only its own officials
    status, body = admin(world, "put", path, ADMIN, {"email": TESORERO, "run": "11.111.111-1"})
    assert status == 400  # the RUN is the account's, not typed here
    status, body = admin(world, "put", path, DIRECTOR, {"email": TESORERO})
    assert (status, body["error"]["code"]) == (403, "permission_denied")
    status, body = admin(world, "put", path, ADMIN, {"email": TESORERO, "version": 999})
    assert (status, body["error"]["code"]) == (409, "settings_version_mismatch")

    status, body = admin(world, "put", path, ADMIN, {"email": TESORERO})
    assert status == 200, body
    assert {"email": TESORERO, "run": official_run(TESORERO), "profile": "tesorero",
            "designated_by": ADMIN}.items() <= body["designated"].items()
    assert admin(world, "get", path, TESORERO)[1]["designated"]["email"] == TESORERO
    config = wiring.data_table().get(table_keys.municipality("13101"), "CONFIG", consistent=True)
    assert config["receipt_signer"]["run"] == official_run(TESORERO)
    wiring.municipalities().forget("13101")
    _credentials, official, role = worker_signer.credentials("13101", wiring.municipalities().get("13101"))
    assert (official.run, official.name, role) == (official_run(TESORERO), "Tesorero Santiago (demo)",
                                                "Tesorero(a) Municipal")
    entries = [e for e in _audit(world) if e["action"] == "settings.receipt_signer"]
    assert entries
    assert entries[0]["after"]["email"] == TESORERO


def test_a_designated_signer_who_leaves_office_stops_being_the_receipt_signer_and_returns_by_four_eyes(world):
    deputy = "tesorero.subrogante@munistgo.demo"
    path = f"{BASE}/13101/receipt-signer"
    status, body = admin(world, "put", path, ADMIN, {"email": deputy})
    assert (status, body["designated"]["email"]) == (200, deputy)
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{deputy}", ADMIN, {"status": "inactive"})
    assert status == 200, body
    assert admin(world, "get", path, ADMIN)[1]["designated"] is None
    withdrawn = next(e for e in _audit(world) if e["action"] == "settings.receipt_signer")
    assert (withdrawn["before"]["email"], withdrawn["after"]) == (deputy, {"withdrawn": "official_not_active"})
    status, body = admin(world, "put", path, ADMIN, {"email": deputy})
    assert (status, body["error"]["code"]) == (400, "official_not_active")
    # Reactivating a deactivated account that authorizes payments is itself a four-eyes proposal.
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{deputy}", ADMIN, {"status": "active"})
    assert (status, body["proposal"]["kind"]) == (202, "reactivate"), body
    assert wiring.officials_admin().officials.get("13101", deputy)["status"] == "inactive"
    status, body = admin(world, "post", f"{BASE}/13101/official-proposals/{body['proposal']['proposal_id']}/approve",
                         "alcalde@munistgo.demo")
    assert (status, body["official"]["status"]) == (200, "active"), body
    assert admin(world, "get", path, ADMIN)[1]["designated"] is None  # reactivating does not designate again


def test_a_profile_change_takes_effect_on_the_next_request(world):
    email = "operador.transito@munistgo.demo"
    old_token = token(world, email)
    status, body = admin(world, "patch", f"{BASE}/13101/officials/{email}", ADMIN, {"profile": "operador_rentas"})
    assert status == 200, body
    status, body = admin(world, "get", f"{BASE}/13101/payments", email)  # the old session ended with it
    assert (status, body["error"]["code"]) == (401, "session_ended")
    time.sleep(1.05)
    world["tokens"][email] = id_token(world["facts"], email)
    status, body = admin(world, "get", "/v1/admin/me", email)  # the new profile, from the record
    assert (status, body["profile"]) == (200, "operador_rentas")
    attributes = boto3.client("cognito-idp").admin_get_user(
        UserPoolId=world["env"]["SEM_COGNITO_USER_POOL_ID"], Username=email)["UserAttributes"]
    assert {"Name": "custom:profile", "Value": "operador_rentas"} in attributes
    assert old_token


# -- central ------------------------------------------------------------------------------------

def test_subdere_onboards_a_municipality_and_keeps_the_index_in_step(world):
    body = {"code": "02101", "name": "Antofagasta", "legal_name": "Ilustre Municipalidad de Antofagasta",
            "region": "Región de Antofagasta", "services": ["permisos", "aseo"],
            "agreement": {"status": "negotiating"}, "enabled": False,
            "first_admin": {"email": "admin@antofagasta.demo", "name": "Admin Antofagasta",
                            "run": "7.654.321-6"}}
    status, created = admin(world, "post", "/v1/admin/central/municipalities", SUBDERE, body)
    assert status == 201, created
    assert created["first_admin"]["profile"] == "administrador_municipal"
    assert admin(world, "post", "/v1/admin/central/municipalities", SUBDERE, body)[0] == 409
    jwks = json.loads(world["client"].http.get("/v1/trust/jwks.json").body)["keys"]
    assert [k["alg"] for k in jwks if k["kid"].startswith("02101-")] == ["ES256"]  # its receipt-token key
    public = json.loads(world["client"].http.get("/v1/municipalities").body)
    assert "02101" not in json.dumps(public)
    status, changed = admin(world, "patch", "/v1/admin/central/municipalities/02101", SUBDERE,
                            {"agreement": {"status": "in_force", "valid_until": "2029-12-31"}, "enabled": True})
    assert status == 200, changed
    assert changed["agreement"] == {"status": "in_force", "valid_until": "2029-12-31"}
    wiring.municipalities().forget()
    public = json.loads(world["client"].http.get("/v1/municipalities").body)
    assert "02101" in json.dumps(public)
    assert wiring.data_table().get("02101#MUNI", "CONFIG")["agreement"]["status"] == "in_force"
    listed = admin(world, "get", "/v1/admin/central/municipalities?limit=200", "soporte@subdere.demo")[1]["items"]
    assert next(m for m in listed if m["code"] == "02101")["enabled"] is True
    today = datetime.now().date().isoformat()
    entries = admin(world, "get", f"{BASE}/02101/audit?from={today}&to={today}", "soporte@subdere.demo")[1]["items"]
    assert [e["action"] for e in entries] == ["municipality.update", "official.create", "municipality.onboard"]
    status, _ = admin(world, "patch", "/v1/admin/central/municipalities/09999", SUBDERE, {"enabled": True})
    assert status == 404


# -- audit and scans ----------------------------------------------------------------------------

def test_the_audit_log_pages_newest_first(world):
    today = datetime.now().date().isoformat()  # once: a cursor belongs to one range (even across midnight)
    entries = _audit(world, today=today)
    assert len(entries) >= 4
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    seen, cursor = [], None
    while True:
        page = _audit_page(world, cursor, today)
        seen += page["items"]
        cursor = page["cursor"]
        if cursor is None:
            break
    assert seen == entries
    assert admin(world, "get", f"{BASE}/13101/audit", TESORERO)[0] == 403


def _audit_page(world, cursor, today):
    query = f"from={today[:8]}01&to={today}&limit=2" + (f"&cursor={cursor}" if cursor else "")
    status, body = admin(world, "get", f"{BASE}/13101/audit?{query}", ADMIN)
    assert status == 200, body
    return body


@pytest.fixture(autouse=True)
def no_scan_during_the_test(request):
    """After every test of this module, whatever it ran: none of its requests Scanned the table.
    (Order-independent: each test checks the calls made while it ran, not a run that came before.)"""
    if "world" not in request.fixturenames:
        yield
        return
    recorder = request.getfixturevalue("world")["recorder"]
    before = len(recorder.calls)
    yield
    assert "scan" not in recorder.calls[before:], f"{request.node.name} scanned the table"


def test_no_request_scanned_the_table(world):
    """Run alone or first, this still proves something: it makes the reading requests itself."""
    before = len(world["recorder"].calls)
    assert _search(world, "from=2027-03-18&to=2027-03-20&limit=100")["items"]
    assert admin(world, "get", f"{BASE}/13101/audit?from=2027-03-01&to=2027-03-20", ADMIN)[0] == 200
    calls = set(world["recorder"].calls[before:])
    assert "query" in calls
    assert "scan" not in calls
    calls = set(world["recorder"].calls)  # and nothing before it in this module's run scanned either
    assert "query" in calls
    assert "scan" not in calls


def test_a_municipality_export_holds_its_data_and_nothing_of_another(world, tmp_path):
    """infra/export_municipality.py: the ZIP of one municipality, read by key (no Scan), fenced,
    without secrets, with a manifest whose checksums match."""
    import hashlib
    import zipfile

    from infra import export_municipality

    ids, recorder = world["ids"], world["recorder"]
    receipt = issued_receipt(wiring.data_table().get(table_keys.payment("13101", ids["paid_patente"]), "META"))
    wiring.receipts_store().put(receipt["key"], b"%PDF-1.7 export test", content_type="application/pdf")
    before = len(recorder.calls)
    out = tmp_path / "13101.zip"
    assert export_municipality.main(["13101", "--from", "2027-03-18", "--to", "2027-03-20", "--out", str(out),
                                     "--with-receipt-pdfs"]) == 0
    assert "query" in recorder.calls[before:]  # the export did go through the recorded client…
    assert "scan" not in recorder.calls[before:]  # …and never scanned
    archive = zipfile.ZipFile(out)
    manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest["files"]) == set(archive.namelist()) - {"manifest.json"}
    assert (manifest["municipality"], manifest["from"], manifest["to"]) == ("13101", "2027-03-18", "2027-03-20")
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == entry["sha256"], name
    rows = {name: [json.loads(line) for line in archive.read(name).decode().splitlines()]
            for name in archive.namelist() if name.endswith(".jsonl")}
    assert all(row["pk"].startswith("13101#") for lines in rows.values() for row in lines)
    exported = {row["payment_id"] for row in rows["payments.jsonl"] if row["sk"] == "META"}
    mine = {ids["paid_patente"], ids["paid_permit"], ids["pending_aseo"], ids["rejected_b"], *ids["pending"]}
    assert mine <= exported
    assert ids["foreign"] not in exported
    exported_rows = {row["sk"] for row in rows["payments.jsonl"] if row["pk"].endswith(ids["paid_patente"])}
    assert exported_rows >= {"META", "EMAIL#2027-03-18T13:07:00Z#a1"}
    assert any(sk.startswith("EVENT#") for sk in exported_rows)  # its event rows (gateway_approved, …)
    assert [row["folio"] for row in rows["receipts.jsonl"]] == [ids["folio"]]
    assert archive.read(f"receipts/{ids['folio']}.pdf") == b"%PDF-1.7 export test"
    emails = {row["sk"] for row in rows["officials.jsonl"]}
    assert TESORERO in emails
    assert not [e for e in emails if e.endswith("lascondes.demo")]
    proposals = rows["official_proposals.jsonl"]  # the four-eyes tests above left some in 13101
    assert proposals
    assert {p["pk"] for p in proposals} == {table_keys.official_proposals("13101")}
    everything = "".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".jsonl"))
    portal_key = next(r for r in rows["municipality.jsonl"] if r["sk"].startswith("PORTAL_KEY#"))
    stored_key = wiring.data_table().get(table_keys.municipality("13101"), portal_key["sk"])
    token_hash = wiring.data_table().get(table_keys.payment("13101", ids["paid_patente"]), "META")["access_token_hash"]
    for secret in (stored_key["hash"], token_hash, "not-checked-here", '"gsi1pk"', '"otp_secret"'):
        assert secret not in everything

    assert export_municipality.main(["13101", "--from", "2027-03-20", "--to", "2027-03-18", "--out",
                                     str(tmp_path / "reversed.zip")]) == 2
    assert export_municipality.main(["13101", "--from", "2026-01-01", "--to", "2027-12-31", "--out",
                                     str(tmp_path / "long.zip")]) == 2
    assert export_municipality.main(["99999", "--from", "2027-03-18", "--to", "2027-03-18", "--out",
                                     str(tmp_path / "none.zip")]) == 2
    assert not list(tmp_path.glob("*.partial"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["13101.zip"]

    # As an operator runs it: the table and buckets come from the stack's outputs.
    assert export_municipality.main(["13101", "--from", "2027-03-18", "--to", "2027-03-18", "--stack", "sem-test",
                                     "--out", str(tmp_path / "from-stack.zip")]) == 0
    names = zipfile.ZipFile(tmp_path / "from-stack.zip").namelist()
    assert {"manifest.json", "payments.jsonl", "officials.jsonl"} <= set(names)
