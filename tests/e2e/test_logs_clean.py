"""No personal data and no secret in any log of the local stack (`SEM_LOG_DIR`): the test drives a
citizen's whole payment itself — quote by plate, debts by RUT, a payment with the payer's name
and e-mail, TGR's signed approval, the receipt e-mailed by the worker, plus the usual mistakes
(a wrong token, a malformed RUT, a wrong portal key) — and then reads every log the stack wrote
in the session so far, including the other e2e tests' that ran before it.

What must never be there: the demo people's RUTs in any spelling, their names and e-mail
addresses, plates, the payment's access token, portal API keys, the TGR webhook and access-token
secrets, JWTs, the demo password, TOTP secrets. Ids (payment ids, folios, request ids) are fine:
they are how an incident is traced."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from devstack.demo_data import DEMO_PASSWORD, DEMO_PAYER, official_run
from tests.support.e2e.officials import totp_secret
from tests.support.e2e.portal import api, portal_key

PAYER = {"rut": "12.678.579-8", "name": "Juan Soto Rojas", "email": "juan.soto.logs@ciudadano.demo"}
PLATES = ["BBBB10", "HJKL45", "VWXY89"]


def _log_dir(stack: Any) -> Path:
    output = "".join(stack.output)
    match = re.search(r"Logs\s+(\S+)", output)
    assert match, output
    return Path(match.group(1))


def _portal_key_of(stack: Any, code: str) -> str:
    """A municipality's portal key for this run, as the demo site is given it."""
    script = requests.get(f"{stack.url('demo_site')}/config.js", timeout=10).text
    config = json.loads(script.split("=", 1)[1].strip().rstrip(";"))
    return str(config["portals"][code]["apiKey"])


def _stack_secrets(stack: Any) -> list[str]:
    """The secrets the runner generated for this session, read from its children's environment."""
    values: list[str] = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            if ppid != stack.process.pid:
                continue
            environ = (stat.parent / "environ").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        env = dict(item.decode(errors="replace").partition("=")[::2] for item in environ if b"=" in item)
        if env.get("SEM_ACCESS_TOKEN_SECRET"):
            values.append(env["SEM_ACCESS_TOKEN_SECRET"])
            values.extend(json.loads(env.get("SEM_TGR_WEBHOOK_SECRETS", "[]")))
    return sorted(set(values))


def _rut_spellings(compact: str) -> list[str]:
    body, dv = compact.split("-")
    dotted = f"{int(body):,}".replace(",", ".")
    return [compact, f"{dotted}-{dv}", rf"(?<![\d.]){body}{dv}(?!\d)"]


def _drive_a_payment(stack: Any) -> dict[str, Any]:
    base = stack.url("api")
    for plate in PLATES:
        assert api(stack, "GET", f"/v1/municipalities/13101/permits/quote?plate={plate.lower()}&year=2027"
                   ).status_code == 200
    assert api(stack, "GET", "/v1/municipalities/13101/debts?rut=12.345.678-5").status_code == 200
    assert api(stack, "GET", "/v1/municipalities/13101/debts?rut=12.345.678-K").status_code == 400
    wrong_key = api(stack, "GET", "/v1/municipalities/13101/debts?rut=12345678-5",
                    headers={"X-Api-Key": portal_key(stack) + "x"})
    assert wrong_key.status_code == 401
    body = {"items": [{"type": "debt", "debt_id": "ASE-2027-1-000871"}], "payer": PAYER,
            "return_url": f"{stack.url('demo_site')}/retorno.html"}
    created = api(stack, "POST", "/v1/municipalities/13114/payments", json=body,
                  headers={"Idempotency-Key": str(uuid.uuid4()), "X-Api-Key": _portal_key_of(stack, "13114")})
    assert created.status_code == 201, created.text
    payment = created.json()
    assert requests.get(f"{base}/v1/payments/{payment['payment_id']}", timeout=10,
                        headers={"Authorization": "Bearer not-the-token"}).status_code == 404
    order_id = payment["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved", "method": "credito"}, timeout=30)
    assert done.json()["sem_body"]["status"] == "paid", done.text
    for _ in range(120):
        status = requests.get(f"{base}/v1/payments/{payment['payment_id']}", timeout=10,
                              headers={"Authorization": f"Bearer {payment['access_token']}"}).json()
        if status.get("receipt"):
            return payment
        time.sleep(0.5)
    raise AssertionError("no receipt within 60 s")


def test_no_personal_data_or_secret_reaches_any_log(running_stack):
    payment = _drive_a_payment(running_stack)
    time.sleep(1)  # the worker's last lines (the e-mail sent) reach its log file
    logs = {path.name: path.read_text(errors="replace") for path in sorted(_log_dir(running_stack).glob("*.log"))}

    # The logs are the ones this session wrote, and they recorded this very flow.
    assert {"api.log", "worker.log"} <= set(logs)
    assert re.search(r'"route":\s*"/v1/municipalities/\{code\}/payments".*"status":\s*201', logs["api.log"])
    assert re.search(r'"status":\s*404', logs["api.log"])
    assert payment["payment_id"] in logs["api.log"] + logs["worker.log"]

    forbidden: dict[str, str] = {
        "JWT": r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
        "portal API key": r"sem_\d{5}_[0-9a-f]{8}_[A-Za-z0-9_-]{8,}",
        "demo password": re.escape(DEMO_PASSWORD),
        "TOTP secret": r"otpauth://|secret=[A-Z2-7]{16,}",
        "citizen e-mail": r"[A-Za-z0-9._%+-]+@ciudadano\.demo",
        "payment access token": re.escape(payment["access_token"]),
    }
    officials_runs = [official_run(email) for email in (
        "tesorero@munistgo.demo", "tesorero.subrogante@munistgo.demo", "alcalde@munistgo.demo",
        "administrador.subdere@subdere.demo")]  # officials' RUNs: in their certificates, never in logs
    for rut in ("12345678-5", "12678579-8", "11111111-1", "22222222-2", "33333333-3", *officials_runs):
        for n, spelling in enumerate(_rut_spellings(rut)):
            forbidden[f"RUT {rut} ({n})"] = spelling if spelling.startswith("(?") else re.escape(spelling)
    for name in (DEMO_PAYER["name"], PAYER["name"], "Ana Díaz Fuentes"):
        forbidden[f"name {name}"] = re.escape(name)
    for plate in PLATES:
        forbidden[f"plate {plate}"] = rf"\b{plate}\b|\b{plate[:2]}-?{plate[2:4]}-?{plate[4:]}\b"
    secrets = _stack_secrets(running_stack)
    assert secrets, "the stack's generated secrets were not found"
    for n, secret in enumerate(secrets):
        forbidden[f"generated secret {n}"] = re.escape(secret)

    forbidden["demo TOTP key"] = re.escape(totp_secret(running_stack))
    # Any case: a plate or an e-mail is as personal in lower case (the quotes above ask in lower case).
    found = [(what, name) for name, text in logs.items() for what, pattern in forbidden.items()
             if re.search(pattern, text, re.IGNORECASE)]
    assert found == []
