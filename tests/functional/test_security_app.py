"""Application security through the API, against moto: brute force on the payment status token
and on receipt codes (429 in the envelope, counters per municipality), replayed and stale TGR
notifications, CSV injection in every export, short-lived presigned links, the security headers,
and no citizen route that lets one municipality's portal reach another's data.

Forged, stale, missing and tampered signatures and a wrong notified amount are
tests/functional/test_payments.py's; this module adds what they do not cover."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib import wiring
from chalicelib.adapters.rate_limit_repo import RateCounters
from chalicelib.domain import webhook_signature
from chalicelib.services.rate_limit import FailureLimits, RateLimiter
from tests.support import payments_world as flow
from tests.support.clocks import EpochClock


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    """The payments world: demo stack, fake TGR, fixed clock."""
    yield from flow.payments_world(shared_demo_stack)


ORIGIN = flow.ORIGIN
SPANISH = re.compile(r"[áéíóúñ]|intentos|espere", re.IGNORECASE)


class Window(EpochClock):
    """The rate limiter's clock, moved by hand; each one starts in a window no other test used."""

    used = 0

    def __init__(self) -> None:
        Window.used += 1
        super().__init__(1_900_000_000.0 + Window.used * 86_400)


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Window]:
    """Small limits and a hand-moved window, on the real DynamoDB counters."""

    def install(per_payment: int = 3, per_source: int = 5) -> Window:
        window = Window()
        monkeypatch.setattr(wiring, "rate_limiter", lambda: RateLimiter(
            RateCounters(wiring.data_table()), window_s=600, now=window,
            limits=FailureLimits(per_payment=per_payment, per_source=per_source)))
        return window

    return install


def _status(world: dict[str, Any], payment_id: str, token: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return flow.request(world, "get", f"/v1/payments/{payment_id}", api_key=False,
                        headers={"Authorization": f"Bearer {token}"})


def _assert_429(status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
    assert status == 429, body
    error = body["error"]
    assert error["code"] == "too_many_attempts"
    assert SPANISH.search(error["message"])
    assert error["request_id"] == headers["X-Request-Id"]
    assert 1 <= int(headers["Retry-After"]) <= 600


# -- brute force ---------------------------------------------------------------------------------

def test_wrong_payment_tokens_are_limited_per_payment(world, limits):
    window = limits(per_payment=3, per_source=100)
    _, created, _ = flow.pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-004567"}], key="k-brute-pay")
    pid, token = created["payment_id"], created["access_token"]
    for attempt in range(3):
        assert _status(world, pid, f"wrong-{attempt}")[0] == 404
    _assert_429(*_status(world, pid, "wrong-again"))
    # The citizen holding the right token is served all the same (a token is 256 bits, derived:
    # the limit slows guessers, it must not let whoever knows a payment id lock its owner out).
    status, body, _ = _status(world, pid, token)
    assert (status, body["status"]) == (200, "pending")
    _assert_429(*_status(world, pid, "wrong-once-more"))
    counters = list(wiring.data_table().query_all(f"13101#RATE#payment-token#{pid}"))
    assert [c["hits"] for c in counters] == [3]
    assert all(c["ttl"] > window.now for c in counters)
    window.now += 600
    assert _status(world, pid, "wrong-after-the-window")[0] == 404
    flow.notify(world, pid, status="rejected")


def test_wrong_tokens_from_one_source_are_limited_across_payments_per_municipality(world, limits):
    limits(per_payment=100, per_source=4)
    ids = [f"13101-01J{n:023d}" for n in range(4)]
    for pid in ids:
        assert _status(world, pid, "guess")[0] == 404
    _assert_429(*_status(world, "13101-01J" + "9" * 23, "guess"))
    # Counted per municipality: another municipality's payments are another counter.
    assert _status(world, "13114-01J" + "0" * 23, "guess")[0] == 404


def test_receipt_codes_are_rate_limited(world, limits):
    limits(per_source=3)
    for n in range(3):
        response = world["client"].http.get(f"/v1/receipts/verify?folio=13101-2027-00000{n}&code=AAAAA-BBBB{n}")
        assert response.status_code == 404
    response = world["client"].http.get("/v1/receipts/verify?folio=13101-2027-000009&code=AAAAA-BBBBB")
    _assert_429(response.status_code, json.loads(response.body), response.headers)


class _PlainBox:
    """KMS stand-in: the sealed secret is the secret (this test is about counting, not sealing)."""

    def encrypt(self, alias: str, plaintext: bytes, context: dict[str, str]) -> bytes:
        return plaintext

    def decrypt(self, alias: str, ciphertext: bytes, context: dict[str, str]) -> bytes:
        return ciphertext


class _Enrollment:
    def __init__(self) -> None:
        self.failures = 0

    def otp_success(self, code: str, email: str, step: int) -> None:
        self.failures = 0

    def otp_failure(self, code: str, email: str) -> int:
        self.failures += 1
        return self.failures

    def otp_lock(self, code: str, email: str, until: str) -> None:
        self.failures = 0


def test_wrong_signing_codes_are_capped_per_official_per_day_beyond_the_lock(world):
    from datetime import UTC, datetime

    import pyotp

    from chalicelib.domain.errors import Forbidden, RateLimited
    from chalicelib.signing.otp import STEP_S, OtpPolicy, check_code, seal

    window = Window()
    limiter = RateLimiter(RateCounters(wiring.data_table()), window_s=86_400, now=window,
                          limits=FailureLimits(per_official_otp=4))
    policy = OtpPolicy(max_failures=1_000, attempts=limiter)  # the lock out of the way: the cap alone
    secret, box, state = pyotp.random_base32(), _PlainBox(), _Enrollment()
    record = {"municipality": "13101", "email": "tesorero@muni.demo",
              "otp_secret": seal(box, policy, "13101", "tesorero@muni.demo", secret)}
    now = datetime.now(UTC)
    valid = {pyotp.TOTP(secret).at(now.timestamp() + d * STEP_S) for d in (-1, 0, 1)}
    wrong = next(f"{n:06d}" for n in range(10) if f"{n:06d}" not in valid)
    for _ in range(4):
        with pytest.raises(Forbidden):
            check_code(record, wrong, box=box, state=state, policy=policy, now=now)
    with pytest.raises(RateLimited) as capped:  # even the right code, until the day's window ends
        check_code(record, pyotp.TOTP(secret).at(now), box=box, state=state, policy=policy, now=now)
    assert capped.value.code == "too_many_attempts"
    assert capped.value.retry_after > 0
    rows = list(wiring.data_table().query_all("13101#RATE#otp-official#" + _hashed("tesorero@muni.demo")))
    assert [r["hits"] for r in rows] == [4]
    window.now += 86_400
    check_code(record, pyotp.TOTP(secret).at(now), box=box, state=state, policy=policy, now=now)


def _hashed(value: str) -> str:
    from chalicelib.services.rate_limit import source_subject

    return source_subject(value)


def test_concurrent_wrong_guesses_cannot_slip_past_the_limit(world, monkeypatch):
    """Twelve wrong tokens for one payment at once, limit 3: each takes its slot with a conditional
    ADD before it is judged, so only 3 are ever judged (a check read and a later count let all
    twelve through: they all read 0 before any was counted). Issue 15.7."""
    import threading

    from chalicelib.services import payments

    # moto's in-process backend is not thread-safe; DynamoDB applies each request atomically, so
    # single requests are serialized here while the guesses themselves interleave.
    client = wiring.data_table()._client
    one_request_at_a_time = threading.Lock()
    make_api_call = client._make_api_call

    def atomic_request(operation: str, params: Any) -> Any:
        with one_request_at_a_time:
            return make_api_call(operation, params)

    monkeypatch.setattr(client, "_make_api_call", atomic_request)
    window = Window()
    limiter = RateLimiter(RateCounters(wiring.data_table()), window_s=600, now=window,
                          limits=FailureLimits(per_payment=3, per_source=1_000))
    ctx = wiring.payment_context()
    guesses = 12
    judged: list[str] = []
    all_in = threading.Barrier(guesses, timeout=2)  # judging waits until every guess got this far
    real_get = ctx.payments.get

    def get(code: str, payment_id: str) -> Any:
        judged.append(payment_id)
        with contextlib.suppress(threading.BrokenBarrierError):
            all_in.wait()
        return real_get(code, payment_id)

    monkeypatch.setattr(ctx.payments, "get", get)
    pid = "13101-01J" + "7" * 23
    answers: list[str] = []

    def guess(n: int) -> None:
        try:
            payments.payment_status(pid, f"Bearer wrong-{n}", ctx, limiter=limiter, source=f"10.0.0.{n}")
        except Exception as exc:
            answers.append(getattr(exc, "code", type(exc).__name__))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(judged) == 3
    assert sorted(answers) == ["payment_not_found"] * 3 + ["too_many_attempts"] * 9
    counters = list(wiring.data_table().query_all(f"13101#RATE#payment-token#{pid}"))
    assert [c["hits"] for c in counters] == [3]


def test_a_right_guess_gives_its_slot_back():
    """Only failures stay counted: a right attempt's slot is returned, and a refused attempt
    takes none (the counter never passes the limit)."""
    window = Window()
    limiter = RateLimiter(RateCounters(wiring.data_table()), window_s=600, now=window,
                          limits=FailureLimits(per_source=2))
    limits = limiter.receipt_code_limits("10.1.1.1")
    key = "13101#RATE#receipt-code-source#" + _hashed("10.1.1.1")
    for _ in range(5):
        limiter.attempt("13101", limits).succeeded()
    assert [r["hits"] for r in wiring.data_table().query_all(key)] == [0]
    limiter.attempt("13101", limits)
    limiter.attempt("13101", limits)
    from chalicelib.domain.errors import RateLimited

    with pytest.raises(RateLimited):
        limiter.attempt("13101", limits)
    assert [r["hits"] for r in wiring.data_table().query_all(key)] == [2]


def test_rate_limit_counters_are_keyed_by_municipality():
    from chalicelib.adapters import table_keys

    assert table_keys.rate_limit("13101", "payment-token", "x").startswith("13101#")
    with pytest.raises(ValueError, match="5-digit"):
        table_keys.rate_limit("1310", "payment-token", "x")


# -- gateway notifications -----------------------------------------------------------------------

def _signed(world: dict[str, Any], payment_id: str, *, t: int | None = None) -> tuple[bytes, str]:
    payment = wiring.payments_repo().get(payment_id[:5], payment_id)
    body = json.dumps({"notification_id": f"n-replay-{payment_id}", "order_id": payment["order_id"],
                       "payment_id": payment_id, "status": "approved", "amount": payment["amount"],
                       "authorization_code": "654321", "method": "credito",
                       "paid_at": "2027-03-20T10:05:00-03:00"}).encode()
    secret = json.loads(os.environ["SEM_TGR_WEBHOOK_SECRETS"])[0]
    stamp = int(world["clock"]().timestamp()) if t is None else t
    return body, webhook_signature.signature_header(secret, stamp, body)


def _post_notification(world: dict[str, Any], body: bytes, header: str) -> tuple[int, dict[str, Any]]:
    response = world["client"].http.post("/v1/gateways/tgr/notifications", body=body,
                                         headers={"Content-Type": "application/json", "X-TGR-Signature": header})
    return response.status_code, json.loads(response.body)


def test_a_replayed_notification_is_applied_once(world):
    status, created, _ = flow.pay(world, [{"type": "permit", "plate": "CDFG23", "year": 2027}], key="k-replay")
    assert status == 201, created
    pid = created["payment_id"]
    body, header = _signed(world, pid)
    assert _post_notification(world, body, header)[1]["result"] == "applied"
    again = _post_notification(world, body, header)  # the very same bytes and signature
    assert again == (200, {"result": "duplicate", "status": "paid", "reason": again[1]["reason"]})
    events = [e["type"] for e in wiring.payments_repo().events("13101", pid)]
    assert events.count("gateway_approved") == 1
    jobs = [j for j in flow.queued_jobs() if j["payment_id"] == pid]
    assert len(jobs) == 1


def test_a_captured_notification_replayed_after_the_tolerance_is_refused(world):
    _, created, _ = flow.pay(world, [{"type": "debt", "debt_id": "PAT-2027-1-000123"}], key="k-stale-replay")
    pid = created["payment_id"]
    body, header = _signed(world, pid, t=int(world["clock"]().timestamp()) - 301)
    status, answer = _post_notification(world, body, header)
    assert (status, answer["error"]["code"]) == (401, "signature_stale")
    future_body, future = _signed(world, pid, t=int(world["clock"]().timestamp()) + 301)
    assert _post_notification(world, future_body, future)[0] == 401
    assert wiring.payments_repo().get("13101", pid)["status"] == "pending"
    flow.notify(world, pid, status="rejected")


def test_a_notification_for_another_order_changes_nothing(world):
    _, created, _ = flow.pay(world, [{"type": "debt", "debt_id": "PAT-2027-1-000123"}], key="k-other-order")
    pid = created["payment_id"]
    code, body = flow.notify(world, pid, order_id="TGR-not-this-one")
    assert (code, body["error"]["code"]) == (409, "order_mismatch")
    assert wiring.payments_repo().get("13101", pid)["status"] == "pending"
    flow.notify(world, pid, status="rejected")


# -- CSV injection -------------------------------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
            "\t=1+1", "\r=1+1"]


def _formula_cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    return [cell for row in rows for cell in row
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")) and not re.fullmatch(r"[+-]?\d+([.,]\d+)*%?", cell)]


def test_the_payments_export_neutralises_formulas_in_citizen_data(world):
    from chalicelib.services import admin_payments

    payer = {"rut": "12.345.678-5", "name": "=HYPERLINK(\"http://evil.example\",\"Pagar\")",
             "email": "+cmd|calc@evil.example"}
    status, created, _ = flow.pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-004567"}], key="k-csv", payer=payer)
    assert status == 201, created
    day = world["clock"]().date()
    text, count = admin_payments.export_csv("13101", admin_payments.PaymentFilters(date_from=day, date_to=day),
                                            wiring.payments_admin())
    assert count >= 1
    assert _formula_cells(text) == []
    assert "'=HYPERLINK(" in text
    assert "'+cmd|calc@evil.example" in text
    flow.notify(world, created["payment_id"], status="rejected")


@pytest.mark.parametrize("value", FORMULAS)
def test_the_report_csvs_neutralise_formulas(value):
    from chalicelib.services import reports

    totals = {"amount": 1, "payments": 1, "items": 1, "average_ticket": 1}
    municipal = reports.municipal_csv({"rows": [{"key": value, "label": value, **totals}], "totals": totals})
    assert _formula_cells(municipal) == []
    cells = [cell for row in csv.reader(io.StringIO(municipal.lstrip("\ufeff")), delimiter=";") for cell in row]
    assert "'" + value in cells


def test_every_csv_the_code_writes_goes_through_the_formula_guard():
    from pathlib import Path

    # TGR's settlement format (written by the simulator, read by the platform) is not an export.
    not_exports = {"chalicelib/domain/reconciliation.py"}
    writers = {str(p) for p in Path("chalicelib").rglob("*.py") if "csv.writer(" in p.read_text()}
    assert writers - not_exports, "no CSV export found: the guard below would prove nothing"
    for path in sorted(writers - not_exports):
        assert "safe_row(" in Path(path).read_text(), f"{path} writes CSV without domain.spreadsheet.safe_row"


# -- presigned links -----------------------------------------------------------------------------

def _expires(url: str) -> int:
    return int(parse_qs(urlparse(url).query)["X-Amz-Expires"][0])


def test_every_presigned_link_lifetime_in_the_code_is_within_the_bound():
    from chalicelib.api import admin_reports
    from chalicelib.services import admin_payments, admin_rolls, admin_settings, agreements, batches
    from chalicelib.settings import get_settings

    bound = get_settings().presigned_url_max_s
    assert bound <= 900
    for value in (admin_reports.PDF_LINK_SECONDS, admin_payments.RECEIPT_LINK_TTL_S, admin_rolls.UPLOAD_URL_TTL_S,
                  admin_settings.LOGO_URL_TTL_S, agreements.LINK_SECONDS, batches.LINK_SECONDS):
        assert 0 < value <= bound
    sources = "\n".join(p.read_text() for p in __import__("pathlib").Path("chalicelib").rglob("*.py"))
    literal = [int(v) for v in re.findall(r"expires_in=(\d+)", sources)]
    assert all(0 < v <= bound for v in literal), literal


def test_the_object_store_refuses_a_long_lived_link(world):
    store = wiring.receipts_store()
    with pytest.raises(ValueError, match="at most"):
        store.presign_get("13101/x.pdf", expires_in=3600)
    with pytest.raises(ValueError, match="at most"):
        store.presign_put("13101/x.csv", expires_in=3600, content_type="text/csv", content_length=1)
    assert _expires(store.presign_get("13101/x.pdf", expires_in=300)) == 300


def test_the_receipt_link_a_citizen_gets_is_short_lived(world):
    status, created, _ = flow.pay(world, [{"type": "permit", "plate": "HJKL45", "year": 2027}], code="13114",
                                  key="k-link")
    assert status == 201, created
    pid = created["payment_id"]
    flow.notify(world, pid)
    wiring.data_table().update(f"13114#PAY#{pid}", "META", "SET receipt = :r", values={":r": {
        "folio": "13114-2027-000001", "verification_code": "AAAAA-BBBBB", "key": f"13114/receipts/{pid}.pdf"}})
    status, body, _ = _status(world, pid, created["access_token"])
    assert status == 200, body
    assert 0 < _expires(body["receipt"]["download_url"]) <= 300


# -- headers -------------------------------------------------------------------------------------

def test_every_route_answers_with_the_security_headers(world):
    from app import app

    client = world["client"]
    for path, methods in sorted(app.routes.items()):
        concrete = re.sub(r"\{[^}]+\}", "13101", path)
        for method in methods:
            response = getattr(client.http, method.lower())(concrete, headers={"Content-Type": "application/json"})
            where = f"{method} {path} → {response.status_code}"
            assert response.headers.get("X-Content-Type-Options") == "nosniff", where
            assert response.headers.get("Strict-Transport-Security", "").startswith("max-age="), where
            assert response.headers.get("X-Request-Id"), where
            if path not in ("/v1/trust/ca.pem", "/v1/trust/jwks.json"):  # public, cacheable: CA and token keys
                assert response.headers.get("Cache-Control") == "no-store", where


@pytest.mark.parametrize("header", ["Origin", "Idempotency-Key", "X-Api-Key", "Authorization"])
def test_header_values_with_line_breaks_are_refused_and_never_echoed(world, header):
    injected = "http://127.0.0.1\r\nSet-Cookie: pwned=1"
    status, body, headers = flow.request(world, "post", "/v1/municipalities/13101/payments",
                                         body={"items": []}, headers={"Idempotency-Key": "k-crlf", header: injected})
    assert 400 <= status < 500, body
    assert "Set-Cookie" not in headers
    assert all("\n" not in v and "\r" not in v for v in headers.values())
    assert "pwned" not in json.dumps(body)


def test_the_request_id_is_never_the_callers(world):
    status, body, headers = flow.request(world, "post", "/v1/municipalities/13101/payments", body={"items": []},
                                         headers={"Idempotency-Key": "k-rid", "X-Request-Id": "attacker-chosen-id"})
    assert 400 <= status < 500, body
    answered = {name.lower(): value for name, value in headers.items()}["x-request-id"]
    assert answered
    assert answered != "attacker-chosen-id"
    assert body["error"]["request_id"] == answered


# -- cross-municipality --------------------------------------------------------------------------

def _portal_cross(world: dict[str, Any], method: str, path: str, body: Any = None) -> None:
    """Municipality 13101's route called with 13114's key: refused before any data is read."""
    status, answer, _ = flow.request(world, method, path.replace("{code}", "13101"), code="13114", body=body,
                                     headers={"Idempotency-Key": "k-cross"})
    assert (status, answer["error"]["code"]) == (401, "invalid_api_key"), (path, answer)


def _status_cross(world: dict[str, Any], *_: Any) -> None:
    """A payment of 13101 cannot be read with the token of a payment of 13114, nor the reverse."""
    _, mine, _ = flow.pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-004567"}], key="k-cross-a")
    _, theirs, _ = flow.pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-000871"}], code="13114", key="k-cross-b")
    assert _status(world, mine["payment_id"], theirs["access_token"])[0] == 404
    assert _status(world, theirs["payment_id"], mine["access_token"])[0] == 404
    swapped = "13114" + mine["payment_id"][5:]  # the same id under the other municipality
    assert _status(world, swapped, mine["access_token"])[0] == 404
    for created in (mine, theirs):
        flow.notify(world, created["payment_id"], status="rejected")


def _debt_cross(world: dict[str, Any], *_: Any) -> None:
    """13114's debt cannot be listed or paid through 13101's portal."""
    status, answer, _ = flow.pay(world, [{"type": "debt", "debt_id": "ASE-2027-1-000871"}], key="k-cross-debt")
    assert status in (404, 409, 422), answer
    assert answer["error"]["field"] == "items[0]"


PUBLIC = "no municipality's private data: same answer for every caller"
# Every route a citizen or a municipal site can call (not /v1/admin/…): how it is fenced.
CITIZEN_ROUTES: dict[tuple[str, str], Any] = {
    ("/v1/health", "GET"): PUBLIC,
    ("/v1/openapi.json", "GET"): PUBLIC,
    ("/v1/municipalities", "GET"): PUBLIC,
    ("/v1/municipalities/{code}", "GET"): PUBLIC + " (name, services and colours)",
    ("/v1/municipalities/{code}/permits/simulate", "POST"): PUBLIC + " (a calculator on public tariffs)",
    ("/v1/municipalities/{code}/patentes/simulate", "POST"): PUBLIC + " (a calculator on public tariffs)",
    ("/v1/municipalities/{code}/permits/quote", "GET"): _portal_cross,
    ("/v1/municipalities/{code}/debts", "GET"): _portal_cross,
    ("/v1/municipalities/{code}/payments", "POST"): [_portal_cross, _debt_cross],
    ("/v1/payments/{payment_id}", "GET"): _status_cross,
    ("/v1/receipts/verify", "GET"): "folio + verification code of one receipt (test_receipt_codes_are_rate_limited)",
    ("/v1/receipts/verify", "POST"): "folio + verification code of one receipt, like its GET (test_verification.py)",
    ("/v1/permits/{plate}", "GET"): "national by design: a permit's state, no owner (test_verification.py)",
    ("/v1/inspector", "GET"): "national by design: the plate look-up's page (test_verification.py)",
    ("/v1/trust/jwks.json", "GET"): PUBLIC + " (public keys)",
    ("/v1/trust/ca.pem", "GET"): PUBLIC,
    ("/v1/trust/firmagob.pem", "GET"): PUBLIC + " (FirmaGob's published chain, as configured)",
    ("/v1/privacy", "GET"): PUBLIC + " (the privacy notice, generated from the register of processing)",
    ("/v1/trust/certificates/{serial}", "GET"): PUBLIC + " (a certificate's revocation status)",
    ("/v1/signatures/verify", "POST"): PUBLIC + " (verifies the PDF it is sent)",
    ("/v1/gateways/tgr/notifications", "POST"): "TGR's HMAC signature (test_payments.py, this module)",
    # The citizen's space is fenced by the session's RUN, not by a municipality (test_citizen_space.py).
    ("/v1/citizen/session/start", "POST"): PUBLIC + " (starts a ClaveÚnica sign-in)",
    ("/v1/citizen/session", "POST"): "ClaveÚnica's code + our one-use state (test_citizen_space.py)",
    ("/v1/citizen/me", "GET"): "the session's RUN only (test_citizen_space.py)",
    ("/v1/citizen/payments", "GET"): "the session's RUN only, in every municipality (test_citizen_space.py)",
    ("/v1/citizen/payments/{payment_id}/receipt", "GET"): "the session's RUN only (test_citizen_space.py)",
    ("/v1/citizen/debts", "GET"): "the session's RUN only, in every municipality (test_citizen_space.py)",
    ("/v1/citizen/permits", "GET"): "the session's RUN only (test_citizen_space.py)",
    ("/v1/citizen/payments", "POST"): "the body's municipality; its debts only (test_citizen_space.py)",
    ("/v1/citizen/reminders", "GET"): "the session's RUN's consent only (test_citizen_reminders.py)",
    ("/v1/citizen/reminders", "PUT"): "the session's RUN's own open debts only (test_citizen_reminders.py)",
    ("/v1/citizen/reminders", "DELETE"): "the session's RUN's consent only (test_citizen_reminders.py)",
    ("/v1/citizen/reminders/unsubscribe", "GET"): "a link signed for one consent (test_citizen_reminders.py)",
    ("/v1/gateways/tgr/refund-notifications", "POST"): "TGR's HMAC signature (test_refunds.py)",
    # Fleets: the session's RUN must hold an active representation record of the path's company;
    # one company never reaches another's fleet (test_fleets.py, every route).
    ("/v1/citizen/companies", "GET"): "the session's RUN's representation records only (test_fleets.py)",
    ("/v1/citizen/companies/{rut}/plates", "GET"): "the represented company only (test_fleets.py)",
    ("/v1/citizen/companies/{rut}/plates/csv", "POST"): "the represented company only (test_fleets.py)",
    ("/v1/citizen/companies/{rut}/quotes", "POST"): "the represented company only; each plate in its municipality "
                                                    "(test_fleets.py)",
    ("/v1/citizen/companies/{rut}/payments", "POST"): "the represented company only; one payment per municipality "
                                                      "through the payment flow (test_fleets.py)",
    ("/v1/citizen/companies/{rut}/payments", "GET"): "the represented company's RUT only (test_fleets.py)",
    ("/v1/citizen/companies/{rut}/payments/{payment_id}/receipt", "GET"): "the represented company's RUT only "
                                                                          "(test_fleets.py)",
}


def test_every_citizen_route_has_a_cross_municipality_case():
    from app import app

    routes = {(path, method) for path, methods in app.routes.items() for method in methods
              if not path.startswith("/v1/admin/")}
    assert routes == set(CITIZEN_ROUTES), "a new citizen route needs its case in CITIZEN_ROUTES"


@pytest.mark.parametrize("route", [r for r, case in CITIZEN_ROUTES.items() if not isinstance(case, str)],
                         ids=lambda r: f"{r[1]} {r[0]}")
def test_one_municipalitys_portal_cannot_reach_anothers_data(world, route):
    path, method = route
    cases = CITIZEN_ROUTES[route]
    body = {"items": [{"type": "debt", "debt_id": "ASE-2027-1-000871"}],
            "payer": {"rut": "12.345.678-5", "name": "Ana", "email": "ana@ciudadano.demo"},
            "return_url": "http://127.0.0.1/retorno.html"} if method == "POST" else None
    if method == "GET" and "quote" in path:
        path += "?plate=BBBB10&year=2027"
    elif method == "GET" and "debts" in path:
        path += "?rut=12345678-5"
    for case in cases if isinstance(cases, list) else [cases]:
        case(world, method.lower(), path, body)
