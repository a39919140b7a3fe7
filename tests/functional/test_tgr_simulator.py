"""The TGR simulator against a stand-in for SEM's notification route, over real loopback HTTP.

The receiver checks every signature with its own few lines of HMAC, independent of the simulator.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from devstack.ports import free_port
from devstack.simulators.tgr import TgrSimulator

SECRET = "current-test-secret"
OLD_SECRET = "previous-test-secret"
NOTIFICATION_FIELDS = {"notification_id", "order_id", "payment_id", "status", "amount", "authorization_code",
                       "method", "paid_at"}


def signature_ok(header: str, raw: bytes, secret: str = SECRET, tolerance_s: int = 300) -> bool:
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= tolerance_s


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        return dict(json.loads(self.raw))

    @property
    def timestamp(self) -> int:
        return int(dict(item.split("=", 1) for item in self.headers["X-TGR-Signature"].split(","))["t"])


@dataclass
class Receiver:
    """Stands in for SEM's POST /v1/gateways/tgr/notifications."""

    url: str
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bodies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.body for r in self.received]


@pytest.fixture(scope="module")
def shared_receiver() -> Iterator[Receiver]:
    port = free_port()
    sink = Receiver(f"http://127.0.0.1:{port}/v1/gateways/tgr/notifications")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            with sink.lock:
                sink.received.append(Received(dict(self.headers.items()), raw))
            valid = signature_ok(self.headers.get("X-TGR-Signature", "t=0,v1=x"), raw)
            status, answer = (200, {"result": "recorded"}) if valid else (401, {"error": {"code": "bad_signature"}})
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield sink
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def receiver(shared_receiver: Receiver) -> Receiver:
    with shared_receiver.lock:
        shared_receiver.received.clear()
    return shared_receiver


@pytest.fixture(scope="module")
def shared_sim() -> Iterator[TgrSimulator]:
    # One server for the module (each stop costs a poll interval); tests use their own orders.
    with TgrSimulator([SECRET, OLD_SECRET], free_port()) as simulator:
        yield simulator


@pytest.fixture
def sim(shared_sim: TgrSimulator) -> TgrSimulator:
    shared_sim.control({"reset": True})
    return shared_sim


def order_request(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {"merchant_reference": f"pay-{uuid.uuid4().hex[:12]}", "municipality": "13101", "amount": 12345,
            "currency": "CLP", "description": "Permiso de circulación 2027 BBBB10",
            "return_url": "http://127.0.0.1:8300/retorno.html?m=13101", "notify_url": receiver.url, **overrides}


def create(sim: TgrSimulator, receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    """A new order; its merchant_reference is in the returned dict's "payment_id"."""
    request = order_request(receiver, **overrides)
    response = requests.post(f"{sim.url}/api/v1/orders", json=request, timeout=5)
    assert response.status_code == 201, response.text
    return {**response.json(), "payment_id": request["merchant_reference"]}


def complete(sim: TgrSimulator, order_id: str, **body: Any) -> requests.Response:
    return requests.post(f"{sim.url}/simulator/orders/{order_id}/complete", json=body, timeout=30)


def control(sim: TgrSimulator, **switches: Any) -> dict[str, Any]:
    response = requests.post(f"{sim.url}/simulator/control", json=switches, timeout=5)
    assert response.status_code == 200, response.text
    return dict(response.json())


# -- orders ------------------------------------------------------------------------------------


def test_create_order_and_retry_with_the_same_reference(sim, receiver):
    request = order_request(receiver)
    first = requests.post(f"{sim.url}/api/v1/orders", json=request, timeout=5)
    assert first.status_code == 201
    order = first.json()
    assert set(order) == {"order_id", "checkout_url", "expires_at"}
    assert re.fullmatch(r"TGR-[A-Z0-9-]+", order["order_id"])
    assert order["checkout_url"] == f"{sim.url}/checkout/{order['order_id']}"
    expires = datetime.fromisoformat(order["expires_at"])
    assert expires.utcoffset() is not None
    assert expires.timestamp() > time.time()

    again = requests.post(f"{sim.url}/api/v1/orders", json=request, timeout=5)
    assert again.status_code == 200
    assert again.json() == order

    other = requests.post(f"{sim.url}/api/v1/orders", json={**request, "amount": 1}, timeout=5)
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "merchant_reference_reused"

    state = requests.get(f"{sim.url}/simulator/orders/{order['order_id']}", timeout=5).json()
    assert state["status"] == "created"
    assert state["amount"] == 12345
    assert state["notifications"] == []


@pytest.mark.parametrize(("change", "field_name"), [
    ({"amount": "12345"}, "amount"),
    ({"amount": 0}, "amount"),
    ({"amount": True}, "amount"),
    ({"currency": "USD"}, "currency"),
    ({"municipality": "131"}, "municipality"),
    ({"merchant_reference": ""}, "merchant_reference"),
    ({"merchant_reference": "has space"}, "merchant_reference"),
    ({"description": None}, "description"),
    ({"return_url": "javascript:alert(1)"}, "return_url"),
    ({"notify_url": "/relative"}, "notify_url"),
])
def test_create_order_refuses_bad_input(sim, receiver, change, field_name):
    response = requests.post(f"{sim.url}/api/v1/orders", json=order_request(receiver, **change), timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field_name


def test_create_order_refuses_a_body_that_is_not_json(sim):
    response = requests.post(f"{sim.url}/api/v1/orders", data=b"{nope", timeout=5,
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"


def test_health_still_answers(sim):
    assert requests.get(f"{sim.url}/health", timeout=5).status_code == 200


# -- the checkout page -------------------------------------------------------------------------


def test_checkout_page_shows_the_order_in_spanish(sim, receiver):
    order = create(sim, receiver, description="Permiso <b>BBBB10</b>")
    page = requests.get(order["checkout_url"], timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    text = page.text
    assert 'lang="es-CL"' in text
    assert "Tesorería General de la República" in text
    assert "$12.345" in text
    assert "13101" in text
    assert "Permiso &lt;b&gt;BBBB10&lt;/b&gt;" in text
    for label in ("Tarjeta de crédito", "Tarjeta de débito", "Casas comerciales", "Transferencia", "Pagar",
                  "Rechazar"):
        assert label in text
    assert 'name="viewport"' in text


def test_checkout_submit_notifies_and_redirects_to_the_return_url(sim, receiver):
    order = create(sim, receiver)
    response = requests.post(order["checkout_url"], data={"method": "debito", "outcome": "approved"},
                             allow_redirects=False, timeout=15)
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "127.0.0.1:8300", "/retorno.html")
    assert parse_qs(location.query) == {"m": ["13101"], "payment_id": [order["payment_id"]], "estado": ["aprobado"]}
    [sent] = receiver.received
    assert sent.body["method"] == "debito"
    assert sent.body["status"] == "approved"

    # The order is closed: the page says so, and a second click sends nothing.
    assert "ya fue procesada" in requests.get(order["checkout_url"], timeout=5).text
    again = requests.post(order["checkout_url"], data={"method": "debito", "outcome": "approved"},
                          allow_redirects=False, timeout=15)
    assert again.status_code == 200
    assert "ya fue procesada" in again.text
    assert len(receiver.received) == 1


def test_checkout_rejection_redirects_with_estado_rechazado(sim, receiver):
    order = create(sim, receiver, return_url="https://muni.example/pago#top")
    response = requests.post(order["checkout_url"], data={"method": "transferencia", "outcome": "rejected"},
                             allow_redirects=False, timeout=15)
    assert response.headers["Location"] == (
        f"https://muni.example/pago?payment_id={order['payment_id']}&estado=rechazado#top")
    assert receiver.bodies()[0]["authorization_code"] is None


def test_checkout_submit_without_a_method_is_refused(sim, receiver):
    order = create(sim, receiver)
    response = requests.post(order["checkout_url"], data={"outcome": "approved"}, allow_redirects=False, timeout=5)
    assert response.status_code == 400
    assert receiver.received == []


# -- automation --------------------------------------------------------------------------------


def test_complete_sends_a_signed_notification_with_every_field(sim, receiver):
    order = create(sim, receiver)
    response = complete(sim, order["order_id"], outcome="approved")
    assert response.status_code == 200
    result = response.json()
    [sent] = receiver.received
    assert sent.headers["Content-Type"] == "application/json"
    assert signature_ok(sent.headers["X-TGR-Signature"], sent.raw)
    assert not signature_ok(sent.headers["X-TGR-Signature"], sent.raw, secret=OLD_SECRET)
    body = sent.body
    assert set(body) == NOTIFICATION_FIELDS
    assert body["order_id"] == order["order_id"]
    assert body["payment_id"] == order["payment_id"]
    assert body["status"] == "approved"
    assert body["amount"] == 12345
    assert re.fullmatch(r"\d{6}", body["authorization_code"])
    assert body["method"] == "credito"
    assert re.fullmatch(r"[0-9a-f-]{36}", body["notification_id"])
    assert body["paid_at"][-6:] in ("-03:00", "-04:00")
    assert result == {"order_id": order["order_id"], "notification": body, "sem_status": 200,
                      "sem_body": {"result": "recorded"}, "duplicates": []}

    state = requests.get(f"{sim.url}/simulator/orders/{order['order_id']}", timeout=5).json()
    assert state["status"] == "approved"
    assert [(n["kind"], n["sem_status"]) for n in state["notifications"]] == [("first", 200)]


def test_complete_rejected_has_no_authorization_code(sim, receiver):
    order = create(sim, receiver)
    result = complete(sim, order["order_id"], outcome="rejected", method="casas_comerciales").json()
    assert result["notification"]["status"] == "rejected"
    assert result["notification"]["authorization_code"] is None
    assert result["notification"]["method"] == "casas_comerciales"


def test_complete_twice_is_refused_without_the_duplicates_switch(sim, receiver):
    order = create(sim, receiver)
    complete(sim, order["order_id"], outcome="approved")
    again = complete(sim, order["order_id"], outcome="rejected")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_processed"
    assert len(receiver.received) == 1

    control(sim, duplicates=1)
    replay = complete(sim, order["order_id"], outcome="approved").json()
    assert replay["already_processed"] is True
    assert len(receiver.received) == 3
    assert receiver.bodies()[1] == receiver.bodies()[0] == receiver.bodies()[2]


def test_unknown_order_is_404(sim):
    assert complete(sim, "TGR-20270101-0000000000", outcome="approved").status_code == 404
    assert requests.get(f"{sim.url}/simulator/orders/TGR-20270101-0000000000", timeout=5).status_code == 404
    assert requests.get(f"{sim.url}/checkout/TGR-20270101-0000000000", timeout=5).status_code == 404


def test_complete_refuses_a_bad_outcome(sim, receiver):
    order = create(sim, receiver)
    response = complete(sim, order["order_id"], outcome="maybe")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "outcome"
    assert complete(sim, order["order_id"], outcome="approved", method="bitcoin").status_code == 400
    assert complete(sim, order["order_id"], outcome="approved", method={"a": 1}).status_code == 400
    assert receiver.received == []


def test_an_expired_order_cannot_be_paid(receiver):
    with TgrSimulator([SECRET], free_port(), order_ttl_s=0) as expired_sim:
        order = create(expired_sim, receiver)
        assert requests.get(order["checkout_url"], timeout=5).status_code == 410
        response = complete(expired_sim, order["order_id"], outcome="approved")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "order_expired"
    assert receiver.received == []


def test_sem_unreachable_is_reported_not_raised(sim, receiver):
    order = create(sim, receiver, notify_url=f"http://127.0.0.1:{free_port()}/v1/gateways/tgr/notifications")
    result = complete(sim, order["order_id"], outcome="approved").json()
    assert result["sem_status"] == 0
    assert "no answer" in result["sem_body"]


# -- switches ----------------------------------------------------------------------------------


def test_control_shows_sets_and_resets_switches(sim):
    defaults = requests.get(f"{sim.url}/simulator/control", timeout=5).json()
    assert defaults == {"duplicates": 0, "delay_s": 0.0, "amount_delta": 0, "signature": "valid",
                        "out_of_order": False, "late_duplicate_s": 0.0}
    assert control(sim, duplicates=2, signature="stale")["duplicates"] == 2
    assert control(sim, amount_delta=5) == {**defaults, "duplicates": 2, "signature": "stale", "amount_delta": 5}
    assert control(sim, reset=True) == defaults
    for bad in ({"duplicates": -1}, {"signature": "maybe"}, {"delay_s": "1"}, {"colour": "red"}):
        response = requests.post(f"{sim.url}/simulator/control", json=bad, timeout=5)
        assert response.status_code == 400, bad
    assert requests.get(f"{sim.url}/simulator/control", timeout=5).json() == defaults


def test_duplicates_send_identical_copies(sim, receiver):
    control(sim, duplicates=2)
    order = create(sim, receiver)
    result = complete(sim, order["order_id"], outcome="approved").json()
    assert len(receiver.received) == 3
    assert len({r.raw for r in receiver.received}) == 1
    assert result["duplicates"] == [{"sem_status": 200, "sem_body": {"result": "recorded"}}] * 2


def test_delay_waits_before_sending(sim, receiver):
    control(sim, delay_s=0.4)
    order = create(sim, receiver)
    started = time.monotonic()
    complete(sim, order["order_id"], outcome="approved")
    assert time.monotonic() - started >= 0.4
    assert len(receiver.received) == 1


def test_delay_on_the_checkout_page_redirects_first_and_notifies_later(sim, receiver):
    control(sim, delay_s=0.5)
    order = create(sim, receiver)
    response = requests.post(order["checkout_url"], data={"method": "credito", "outcome": "approved"},
                             allow_redirects=False, timeout=15)
    assert response.status_code == 303
    assert receiver.received == []  # redirected before the (delayed) notification went out
    deadline = time.monotonic() + 5
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [b["status"] for b in receiver.bodies()] == ["approved"]


def test_amount_delta_changes_only_the_notified_amount(sim, receiver):
    control(sim, amount_delta=-100)
    order = create(sim, receiver)
    result = complete(sim, order["order_id"], outcome="approved").json()
    assert result["notification"]["amount"] == 12245
    assert receiver.bodies()[0]["amount"] == 12245
    assert requests.get(f"{sim.url}/simulator/orders/{order['order_id']}", timeout=5).json()["amount"] == 12345


def test_stale_signature_is_ten_minutes_old_but_otherwise_valid(sim, receiver):
    control(sim, signature="stale")
    order = create(sim, receiver)
    result = complete(sim, order["order_id"], outcome="approved").json()
    [sent] = receiver.received
    assert abs(time.time() - 600 - sent.timestamp) <= 5
    assert signature_ok(sent.headers["X-TGR-Signature"], sent.raw, tolerance_s=700)
    assert result["sem_status"] == 401


def test_forged_signature_does_not_verify(sim, receiver):
    control(sim, signature="forged")
    order = create(sim, receiver)
    result = complete(sim, order["order_id"], outcome="approved").json()
    [sent] = receiver.received
    assert abs(time.time() - sent.timestamp) <= 5
    assert not signature_ok(sent.headers["X-TGR-Signature"], sent.raw)
    assert not signature_ok(sent.headers["X-TGR-Signature"], sent.raw, secret=OLD_SECRET)
    assert result["sem_status"] == 401


def test_out_of_order_sends_a_rejection_after_the_approval(sim, receiver):
    control(sim, out_of_order=True)
    order = create(sim, receiver)
    result = complete(sim, order["order_id"], outcome="approved").json()
    first, late = receiver.bodies()
    assert (first["status"], late["status"]) == ("approved", "rejected")
    assert first["order_id"] == late["order_id"] == order["order_id"]
    assert first["notification_id"] != late["notification_id"]
    assert late["authorization_code"] is None
    assert result["out_of_order"]["notification"] == late
    assert all(signature_ok(r.headers["X-TGR-Signature"], r.raw) for r in receiver.received)
    state = requests.get(f"{sim.url}/simulator/orders/{order['order_id']}", timeout=5).json()
    assert state["status"] == "approved"
    assert [n["kind"] for n in state["notifications"]] == ["first", "out_of_order"]


def test_switches_for_one_completion_apply_to_it_only(sim, receiver):
    first, second = create(sim, receiver), create(sim, receiver)
    result = complete(sim, first["order_id"], outcome="approved",
                      switches={"duplicates": 1, "amount_delta": -100, "out_of_order": True}).json()
    assert [b["status"] for b in receiver.bodies()] == ["approved", "approved", "rejected"]
    assert result["notification"]["amount"] == 12245
    assert requests.get(f"{sim.url}/simulator/control", timeout=5).json()["duplicates"] == 0
    receiver.received.clear()
    complete(sim, second["order_id"], outcome="approved")
    assert [(b["status"], b["amount"]) for b in receiver.bodies()] == [("approved", 12345)]
    for bad in ({"reset": True}, {"duplicates": -1}, "many"):
        response = complete(sim, create(sim, receiver)["order_id"], outcome="approved", switches=bad)
        assert response.status_code == 400, bad


def test_a_late_duplicate_arrives_after_the_answer(sim, receiver):
    order = create(sim, receiver)
    result = complete(sim, order["order_id"], outcome="approved", switches={"late_duplicate_s": 0.3}).json()
    assert result["sem_status"] == 200
    deadline = time.monotonic() + 10
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    first, late = receiver.received
    assert first.raw == late.raw  # the same notification, sent again later
    # The simulator records a delivery once its answer is back, a moment after the receiver got it.
    while time.monotonic() < deadline:
        state = requests.get(f"{sim.url}/simulator/orders/{order['order_id']}", timeout=5).json()
        if len(state["notifications"]) >= 2:
            break
        time.sleep(0.05)
    assert [n["kind"] for n in state["notifications"]] == ["first", "late_duplicate"]


def test_orders_can_be_found_by_payment_id(sim, receiver):
    order = create(sim, receiver)
    create(sim, receiver)
    found = requests.get(f"{sim.url}/simulator/orders", params={"merchant_reference": order["payment_id"]},
                         timeout=5).json()
    assert [o["order_id"] for o in found["orders"]] == [order["order_id"]]
