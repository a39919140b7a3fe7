"""Signing in as a demo official of the running local stack, as a person would: e-mail and
password, then — for the profiles that authorize payments — the TOTP code of the demo key the
stack's banner prints (moto checks it); and the admin API called with an official's token
(`admin`, `load_roll`)."""

from __future__ import annotations

import re
from typing import Any

import requests

from devstack import demo_totp
from devstack.demo_data import DEMO_PASSWORD


def totp_secret(stack: Any) -> str:
    """The demo officials' TOTP key, as `make run` prints it."""
    match = re.search(r"add it to an authenticator app\): (\S+)", "".join(stack.output))
    assert match, "the stack did not print the demo TOTP key"
    return match.group(1)


def _cognito(stack: Any, target: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = requests.post(stack.url("moto") + "/", timeout=10, json=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}"})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def id_token(stack: Any, email: str) -> str:
    """An official's Cognito ID token (moto's Cognito, USER_PASSWORD_AUTH and the TOTP challenge
    when asked), for calling the admin API directly."""
    match = re.search(r"Cognito user pool (\S+), client (\S+)", "".join(stack.output))
    assert match, "the stack did not print its Cognito client"
    client_id = match.group(2)
    result = _cognito(stack, "InitiateAuth", {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                                              "AuthParameters": {"USERNAME": email, "PASSWORD": DEMO_PASSWORD}})
    if result.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
        result = _cognito(stack, "RespondToAuthChallenge", {
            "ClientId": client_id, "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": result["Session"],
            "ChallengeResponses": {"USERNAME": email,
                                   "SOFTWARE_TOKEN_MFA_CODE": demo_totp.code_now(totp_secret(stack))}})
    return str(result["AuthenticationResult"]["IdToken"])


def sign_in(page: Any, stack: Any, email: str, target: str = "") -> None:
    """Sign in on the console; `target` (a hash such as "#/estadisticas") is the page it opens on.
    Those whose profile authorizes payments are asked for their TOTP code, and type it."""
    page.goto(f"{stack.url('console')}/{target}")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#signin-submit")
    page.wait_for_selector("#totp-code, #sign-out")
    if page.locator("#totp-code").count():
        page.fill("#totp-code", demo_totp.code_now(totp_secret(stack), margin_s=8))
        page.click("#totp-submit")
    page.wait_for_selector("#sign-out")
    page.wait_for_selector(".page-header h1")


MUNICIPAL_ADMIN = "administrador.municipal@munistgo.demo"


def admin(stack: Any, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A call of the admin API with an official's ID token."""
    return requests.request(method, f"{stack.url('api')}{path}", headers={"Authorization": f"Bearer {token}"},
                            timeout=60, **kwargs)


def load_roll(stack: Any, debts: list[tuple[str, str, int]]) -> None:
    """The administrador municipal of 13101 loads a roll with these (debt_id, type, amount) through the API."""
    token = id_token(stack, MUNICIPAL_ADMIN)
    lines = ["debt_id;rut;type;description;period;due_date;amount"]
    for debt_id, kind, amount in debts:
        description = f"{kind.capitalize()} de prueba {debt_id}"
        lines.append(f"{debt_id};12.345.678-5;{kind};{description};2027-Q1;2027-04-30;{amount}")
    body = ("\r\n".join(lines) + "\r\n").encode()
    base = "/v1/admin/municipalities/13101/rolls/uploads"
    created = admin(stack, token, "POST", base, json={"filename": "rol-conciliacion.csv", "content_length": len(body)})
    assert created.status_code == 201, created.text
    upload = created.json()
    put = requests.put(upload["upload_url"], data=body, headers=upload.get("headers") or {}, timeout=30)
    assert put.status_code in (200, 204), put.text
    upload_id = upload["upload"]["upload_id"]
    for _ in range(20):
        state = admin(stack, token, "POST", f"{base}/{upload_id}/process").json()
        if state.get("status") != "processing":
            break
    assert state["status"] == "done", state
    assert state["written"] == len(debts), state
