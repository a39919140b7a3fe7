"""A local stack configured with the FirmaGob backend (`SEM_SIGNING_BACKEND=firmagob make run`):
a paid payment's receipt is signed through the FirmaGob stand-in, unattended, as the
municipality's designated Tesorero(a); its legend, its e-mail and its verification say "firma
electrónica avanzada" with FirmaGob, and it validates against the chain the stack publishes."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.support.e2e.stack import RunningStack, start_stack
from tests.support.pdfs import page_text


@pytest.fixture(scope="module")
def firmagob_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    stack = start_stack(tmp_path_factory.mktemp("firmagob-stack-logs"), {"SEM_SIGNING_BACKEND": "firmagob"})
    yield stack
    stack.stop()


def api(stack: RunningStack, method: str, path: str, **kwargs: object) -> requests.Response:
    output = "".join(stack.output)
    match = re.search(r"Portal API key of 13101 \(X-Api-Key, generated for this run\): (\S+)", output)
    assert match, output
    headers = {"Origin": stack.url("demo_site"), "X-Api-Key": match.group(1), **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    return requests.request(method, f"{stack.url('api')}{path}", headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def test_a_receipt_is_signed_through_firmagob_and_says_advanced(firmagob_stack):
    stack = firmagob_stack
    body = {"items": [{"type": "permit", "plate": "HJKL45", "year": 2027, "installment": "full"}],
            "payer": {"rut": "11.111.111-1", "name": "Ana Díaz Fuentes", "email": "ana.firmagob@ciudadano.demo"},
            "return_url": f"{stack.url('demo_site')}/retorno.html"}
    created = api(stack, "POST", "/v1/municipalities/13101/payments", json=body,
                  headers={"Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 201, created.text
    payment = created.json()
    order_id = payment["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved", "method": "debito"}, timeout=30)
    assert done.json()["sem_body"]["status"] == "paid", done.text

    receipt = None
    for _ in range(60):
        receipt = requests.get(f"{stack.url('api')}/v1/payments/{payment['payment_id']}", timeout=10,
                               headers={"Authorization": f"Bearer {payment['access_token']}"}).json().get("receipt")
        if receipt:
            break
        time.sleep(0.5)
    assert receipt, "no receipt within 30 s"
    pdf = requests.get(receipt["download_url"], timeout=10).content
    legend = " ".join(page_text(pdf).split())
    assert "firma electrónica avanzada (Ley N° 19.799, art. 2 letra g), certificada por FirmaGob" in legend

    chain = requests.get(f"{stack.url('api')}/v1/trust/firmagob.pem", timeout=10)
    assert chain.status_code == 200
    assert chain.content == requests.get(f"{stack.url('firmagob')}/cadena.pem", timeout=10).content
    from chalicelib.signing.verify import verify_receipt_pdf

    verdict = verify_receipt_pdf(pdf, chain.content)
    assert verdict.valid, verdict
    assert verdict.signer_serial_number == "20000002"  # 13101's demo Tesorero(a), designated

    checked = requests.post(f"{stack.url('api')}/v1/signatures/verify", data=pdf, timeout=30,
                            headers={"Content-Type": "application/pdf"}).json()
    assert checked["valid"] is True, checked
    assert checked["signatures"][0]["kind"]["level"] == "avanzada"

    outbox = requests.get(f"{stack.url('moto')}/moto-api/data.json", timeout=60).json()
    raw = [m for m in outbox["ses"]["RawMessage"] if "ana.firmagob@ciudadano.demo" in str(m.get("destinations", m))]
    assert len(raw) == 1
    assert "FirmaGob" in raw[0]["raw_data"] or "FirmaGob" in _decoded(raw[0]["raw_data"])


def _decoded(raw: str) -> str:
    import email

    message = email.message_from_string(raw)
    parts = [p.get_payload(decode=True) for p in message.walk() if p.get_content_type() == "text/plain"]
    return "".join(p.decode("utf-8") for p in parts if isinstance(p, bytes))
