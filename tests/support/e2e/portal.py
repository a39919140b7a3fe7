"""Acting as a municipal site and its payer against the running stack: the portal key `make run`
generated and printed (`portal_key`), a call with it (`api`), and a debt paid and approved through
the TGR simulator (`pay`)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import requests

PAYER = {"rut": "12.345.678-5", "name": "María Pérez Soto", "email": "maria.perez@ciudadano.demo"}


def portal_key(stack: Any, code: str = "13101") -> str:
    """The portal API key of `code` for this run of the stack, as its banner prints it."""
    output = "".join(stack.output)
    match = re.search(rf"Portal API key of {code} \(X-Api-Key, generated for this run\): (\S+)", output)
    assert match, output
    return match.group(1)


def api(stack: Any, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A call of the demo site to the public API, with 13101's portal key (headers can be added)."""
    headers = {"Origin": stack.url("demo_site"), "X-Api-Key": portal_key(stack), **kwargs.pop("headers", {})}
    return requests.request(method, f"{stack.url('api')}{path}", headers=headers, timeout=30, **kwargs)


def pay(stack: Any, debt_id: str, method: str) -> dict[str, Any]:
    """A citizen pays a debt of 13101 (public API) and TGR approves it; returns the payment, order
    and TGR's paid_at."""
    headers = {"Origin": stack.url("demo_site"), "X-Api-Key": portal_key(stack), "Idempotency-Key": str(uuid.uuid4())}
    body = {"items": [{"type": "debt", "debt_id": debt_id}], "payer": PAYER,
            "return_url": f"{stack.url('demo_site')}/retorno.html"}
    created = requests.post(f"{stack.url('api')}/v1/municipalities/13101/payments", json=body, headers=headers,
                            timeout=30)
    assert created.status_code == 201, created.text
    payment = created.json()
    order_id = payment["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved", "method": method}, timeout=30)
    assert done.status_code == 200, done.text
    assert done.json()["sem_body"]["status"] == "paid", done.text
    return {**payment, "order_id": order_id, "paid_at": done.json()["notification"]["paid_at"]}
