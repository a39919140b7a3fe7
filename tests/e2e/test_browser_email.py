"""A receipt e-mail to the documented bounce fixture shows as bounced, in the running stack: the
local stand-in publishes SES's bounce for moto's send (devstack/ses_events.py), the e-mail events
worker records it, and the treasurer sees it on the payment's detail and the delivery page; the
citizen's status says so beside the download."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
import requests

from tests.support.e2e.browser import new_page
from tests.support.e2e.officials import id_token, sign_in

ADMIN = "administrador.municipal@munistgo.demo"
TREASURER = "tesorero@munistgo.demo"
BOUNCING = "bounce@simulator.amazonses.com"  # SES's mailbox simulator; the stand-in bounces it too


def _portal_key(stack: Any) -> str:
    match = re.search(r"Portal API key of 13101 \(X-Api-Key, generated for this run\): (\S+)", "".join(stack.output))
    assert match
    return match.group(1)


def _load_debt(stack: Any, debt_id: str) -> None:
    """The administrador municipal loads a one-line roll through the admin API."""
    headers = {"Authorization": f"Bearer {id_token(stack, ADMIN)}"}
    body = ("debt_id;rut;type;description;period;due_date;amount\r\n"
            f"{debt_id};12.345.678-5;aseo;Derechos de aseo rol 777-1, prueba de rebote;2027-Q1;2027-04-30;"
            "15.000\r\n").encode()
    base = f"{stack.url('api')}/v1/admin/municipalities/13101/rolls/uploads"
    created = requests.post(base, json={"filename": "rol-rebote.csv", "content_length": len(body)},
                            headers=headers, timeout=60)
    assert created.status_code == 201, created.text
    upload = created.json()
    put = requests.put(upload["upload_url"], data=body, headers=upload.get("headers") or {}, timeout=30)
    assert put.status_code in (200, 204), put.text
    for _ in range(20):
        state = requests.post(f"{base}/{upload['upload']['upload_id']}/process", headers=headers, timeout=60).json()
        if state.get("status") != "processing":
            break
    assert state["status"] == "done", state


@pytest.fixture(scope="module")
def bounced(running_stack: Any) -> dict[str, Any]:
    """A paid payment whose receipt e-mail went to the bounce fixture, with SES's bounce recorded."""
    debt_id = f"ASE-REB-{uuid.uuid4().hex[:8].upper()}"
    _load_debt(running_stack, debt_id)
    headers = {"Origin": running_stack.url("demo_site"), "X-Api-Key": _portal_key(running_stack),
               "Idempotency-Key": str(uuid.uuid4())}
    body = {"items": [{"type": "debt", "debt_id": debt_id}],
            "payer": {"rut": "12.345.678-5", "name": "Persona Rebote", "email": BOUNCING},
            "return_url": f"{running_stack.url('demo_site')}/retorno.html"}
    created = requests.post(f"{running_stack.url('api')}/v1/municipalities/13101/payments", json=body,
                            headers=headers, timeout=30)
    assert created.status_code == 201, created.text
    payment = created.json()
    order_id = payment["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{running_stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved", "method": "debito"}, timeout=30)
    assert done.status_code == 200, done.text
    deadline = time.monotonic() + 60
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = requests.get(f"{running_stack.url('api')}/v1/payments/{payment['payment_id']}", timeout=10,
                              headers={"Authorization": f"Bearer {payment['access_token']}"}).json()
        if status.get("email_notice"):
            return {**payment, "status": status}
        time.sleep(0.5)
    raise AssertionError(f"no bounce recorded within 60 s: {status}")


def test_the_citizen_is_told_the_email_bounced_and_can_download(bounced: dict[str, Any]) -> None:
    status = bounced["status"]
    assert status["email_notice"]["status"] == "bounced"
    assert "rechazó" in status["email_notice"]["text"]
    assert requests.get(status["receipt"]["download_url"], timeout=10).content.startswith(b"%PDF")


def test_a_bounced_fixture_address_shows_as_bounced_in_the_console(running_stack: Any, browser: Any,
                                                                     bounced: dict[str, Any]) -> None:
    page = new_page(browser)
    sign_in(page, running_stack, TREASURER)
    page.goto(f"{running_stack.url('console')}/#/pagos/{bounced['payment_id']}")
    page.wait_for_selector("#email-delivery-status")
    assert page.inner_text("#email-delivery-status") == "Rebotado"
    delivery = page.inner_text("#email-delivery")
    assert "rebotó" in delivery
    assert re.search(r"\d{2}-\d{2}-\d{4}", delivery)  # with its date, as officials read dates
    assert "rebote permanente" in page.inner_text("main")
    assert page.locator("#corrected-email").count() == 1  # the treasurer may correct and resend

    page.goto(f"{running_stack.url('console')}/#/correos")
    row = page.locator("#email-deliveries tbody tr", has_text=bounced["payment_id"])
    row.wait_for()
    assert "Rebotado" in row.inner_text()
    assert "Rebotes" in page.inner_text("#sending-health")
    page.screenshot(path="/tmp/console-email-bounced.png", full_page=True)
    assert not page.js_errors, page.js_errors
    page.context.close()


def test_the_treasurer_corrects_the_address_and_the_receipt_is_delivered(running_stack: Any, browser: Any,
                                                                          bounced: dict[str, Any]) -> None:
    page = new_page(browser)
    sign_in(page, running_stack, TREASURER)
    page.goto(f"{running_stack.url('console')}/#/pagos/{bounced['payment_id']}")
    page.wait_for_selector("#corrected-email")
    page.fill("#corrected-email", "persona.corregida@ciudadano.demo")
    page.click("#correct-and-resend")
    page.wait_for_selector("text=se reenviará a persona.corregida@ciudadano.demo")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the receipt job, then SES's events of the new message
        page.reload()
        page.wait_for_selector("#email-delivery-status")
        if page.inner_text("#email-delivery-status") == "Entregado":
            break
        time.sleep(1)
    assert page.inner_text("#email-delivery-status") == "Entregado"
    assert "persona.corregida@ciudadano.demo" in page.inner_text("main")
    assert page.locator("#corrected-email").count() == 0  # the bounce mark is gone
    assert not page.js_errors, page.js_errors
    page.context.close()


def test_the_central_level_sees_every_municipalitys_sending_health(running_stack: Any, browser: Any,
                                                                    bounced: dict[str, Any]) -> None:
    page = new_page(browser)
    sign_in(page, running_stack, "administrador.subdere@subdere.demo")
    # The panel first loads the national statistics; on a fresh stack that derives the closed
    # months' summaries from the sharded day counters (docs/capacity.md), which the local API —
    # one request at a time, as one Lambda instance — takes a while to answer on moto. Let it
    # finish before asking for the sending health.
    page.wait_for_selector("#kpi-national", timeout=120_000)
    page.goto(f"{running_stack.url('console')}/#/salud-correo")
    page.wait_for_selector("#sending-health")
    row = page.locator("table.data tbody tr", has_text="13101")
    row.wait_for()
    # 13101's bounce is counted (other tests of the session may have sent more, so no fixed rate).
    assert row.locator("td").nth(2).inner_text().strip() != "0%"
    assert "Plataforma" in page.inner_text("#sending-health")
    assert not page.js_errors, page.js_errors
    page.context.close()
