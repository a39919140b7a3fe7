"""The citizen's space inside the app, against moto and the ClaveÚnica simulator over loopback:
sign-in (PKCE, state, nonce, ID token checks), "Mis pagos" across municipalities, and the
guarantee that nothing of another RUN is ever shown. TGR is a recording fake here."""

from __future__ import annotations

import json
import os
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from chalicelib import wiring
from devstack.simulators.claveunica import ClaveUnicaSimulator
from tests.support.gateways import FakeGateway

PAGE = "http://127.0.0.1:8400/mis-pagos/"
MARIA, JUAN = "12345678-5", "12678579-8"


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    from chalice.test import Client

    from app import app

    gateway = FakeGateway()
    sim = ClaveUnicaSimulator(os.environ["SEM_CLAVEUNICA_CLIENT_ID"], os.environ["SEM_CLAVEUNICA_CLIENT_SECRET"])
    with sim, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEM_CLAVEUNICA_ISSUER", sim.issuer)
        mp.setenv("SEM_CLAVEUNICA_REDIRECT_URI", PAGE)
        wiring.reset()
        real = wiring.payment_context

        def context():
            ctx = real()
            ctx.gateway = gateway
            return ctx

        mp.setattr(wiring, "payment_context", context)
        with Client(app, stage_name="test") as client:
            yield {"client": client, "sim": sim, "gateway": gateway}
    wiring.reset()


def call(world, method, path, *, body=None, token=None, headers=None):
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    kwargs = {"headers": h}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    response = getattr(world["client"].http, method)(path, **kwargs)
    return response.status_code, json.loads(response.body or b"{}")


def authorize(world, run):
    """What the page and the citizen do: start, go to ClaveÚnica, pick the citizen, come back."""
    status, started = call(world, "post", "/v1/citizen/session/start")
    assert status == 200
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["authorize_url"]).query).items()}
    assert query["code_challenge_method"] == "S256"
    assert query["scope"] == "openid run name"
    assert query["state"] == started["state"]
    assert query["nonce"]
    assert query["redirect_uri"] == PAGE
    page = requests.get(started["authorize_url"], timeout=5)
    assert page.status_code == 200
    assert run in page.text
    back = requests.post(f"{world['sim'].issuer}/authorize", data={**query, "run": run}, allow_redirects=False,
                         timeout=5)
    assert back.status_code == 303
    returned = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["Location"]).query).items()}
    return returned["code"], returned["state"]


def sign_in(world, run=MARIA):
    code, state = authorize(world, run)
    status, body = call(world, "post", "/v1/citizen/session", body={"code": code, "state": state})
    assert status == 201, body
    return body


def test_sign_in_gives_a_session_with_the_run_of_the_verified_token(world):
    session = sign_in(world)
    assert session["citizen"] == {"run": "12.345.678-5", "name": "María Pérez Soto"}
    status, me = call(world, "get", "/v1/citizen/me", token=session["session_token"])
    assert status == 200
    assert me["run"] == "12.345.678-5"


def test_a_state_serves_one_callback_only_and_an_unknown_state_is_refused(world):
    code, state = authorize(world, MARIA)
    assert call(world, "post", "/v1/citizen/session", body={"code": code, "state": state})[0] == 201
    status, body = call(world, "post", "/v1/citizen/session", body={"code": code, "state": state})
    assert status == 401
    assert body["error"]["code"] == "state_mismatch"
    code, _ = authorize(world, MARIA)
    status, body = call(world, "post", "/v1/citizen/session", body={"code": code, "state": "x" * 43})
    assert status == 401
    assert body["error"]["code"] == "state_mismatch"


@pytest.mark.parametrize(("mode", "error"), [("expired", "id_token_expired"), ("forged", "invalid_id_token"),
                                             ("wrong_nonce", "nonce_mismatch"),
                                             ("wrong_audience", "invalid_id_token")])
def test_a_bad_id_token_is_refused_clearly(world, mode, error):
    requests.post(f"{world['sim'].url}/simulator/control", json={"id_token": mode}, timeout=5)
    try:
        code, state = authorize(world, MARIA)
        status, body = call(world, "post", "/v1/citizen/session", body={"code": code, "state": state})
    finally:
        requests.post(f"{world['sim'].url}/simulator/control", json={"reset": True}, timeout=5)
    assert status == 401
    assert body["error"]["code"] == error
    assert body["error"]["message"]


def test_a_code_with_another_sign_ins_state_fails_pkce(world):
    code, _ = authorize(world, MARIA)  # the code is bound to the first sign-in's PKCE challenge
    _, other_state = authorize(world, MARIA)
    status, body = call(world, "post", "/v1/citizen/session", body={"code": code, "state": other_state})
    assert status == 401
    assert body["error"]["code"] == "oidc_code_refused"


@pytest.mark.parametrize("token", ["", "abc", None])
def test_citizen_routes_need_a_valid_session(world, token):
    for path in ("/v1/citizen/me", "/v1/citizen/payments", "/v1/citizen/debts", "/v1/citizen/permits"):
        status, body = call(world, "get", path, token=token)
        assert status == 401
        assert body["error"]["code"] in ("missing_session", "invalid_session")


def test_a_forged_or_expired_session_is_refused(world):
    forged = jwt.encode({"iss": "sem", "aud": "sem-citizen", "sub": MARIA, "iat": int(time.time()),
                         "exp": int(time.time()) + 600}, "not-our-secret-but-long-enough-for-hs256", algorithm="HS256")
    assert call(world, "get", "/v1/citizen/payments", token=forged)[1]["error"]["code"] == "invalid_session"
    expired = jwt.encode({"iss": "sem", "aud": "sem-citizen", "sub": MARIA, "iat": 1, "exp": 2},
                         os.environ["SEM_CITIZEN_SESSION_SECRET"], algorithm="HS256")
    assert call(world, "get", "/v1/citizen/payments", token=expired)[1]["error"]["code"] == "session_expired"


def pay_as(world, session, municipality, items, key):
    return call(world, "post", "/v1/citizen/payments", token=session["session_token"],
                headers={"Idempotency-Key": key},
                body={"municipality": municipality, "items": items, "email": "persona@ciudadano.demo"})


def test_mis_pagos_shows_every_payment_of_the_run_and_nothing_of_another(world):
    maria, juan = sign_in(world, MARIA), sign_in(world, JUAN)
    status, created = pay_as(world, maria, "13101", [{"type": "debt", "debt_id": "PAT-2027-1-000123"}],
                             "citizen-maria-0001")
    assert status == 201, created
    assert world["gateway"].return_urls[-1] == PAGE  # TGR sends the citizen back to Mis pagos
    status, other = pay_as(world, juan, "13114", [{"type": "debt", "debt_id": "ASE-2027-1-000871"}],
                           "citizen-juan-00001")
    assert status == 201, other

    status, mine = call(world, "get", "/v1/citizen/payments", token=maria["session_token"])
    assert status == 200
    ids = [p["payment_id"] for p in mine["payments"]]
    assert created["payment_id"] in ids
    assert other["payment_id"] not in ids
    entry = next(p for p in mine["payments"] if p["payment_id"] == created["payment_id"])
    assert entry["status"] == "pending"
    assert entry["municipality_name"]
    assert entry["amount"] == created["amount"]
    assert "12678579" not in json.dumps(mine)

    status, theirs = call(world, "get", "/v1/citizen/payments", token=juan["session_token"])
    assert [p["payment_id"] for p in theirs["payments"]] == [other["payment_id"]]
    assert "12345678" not in json.dumps(theirs)

    # Another RUN's payment id is not found, exactly as an id that does not exist.
    status, body = call(world, "get", f"/v1/citizen/payments/{other['payment_id']}/receipt",
                        token=maria["session_token"])
    assert status == 404
    assert body["error"]["code"] == "payment_not_found"
    status, body = call(world, "get", f"/v1/citizen/payments/{created['payment_id']}/receipt",
                        token=maria["session_token"])
    assert status == 404
    assert body["error"]["code"] == "receipt_not_ready"


def test_the_index_stores_a_keyed_hash_never_the_run(world):
    table = wiring.data_table()
    rows = [r for r in table._client.scan(TableName=table.name)["Items"] if r["pk"]["S"].startswith("00000#CITIZEN")]
    assert rows
    assert not any("12345678" in json.dumps(r) or "12678579" in json.dumps(r) for r in rows)


def test_debts_across_municipalities_are_the_runs_only(world):
    maria, juan = sign_in(world, MARIA), sign_in(world, JUAN)
    _, debts = call(world, "get", "/v1/citizen/debts", token=maria["session_token"])
    assert {d["debt_id"] for d in debts["debts"]} >= {"ASE-2027-1-004567"}
    assert "ASE-2027-1-000871" not in {d["debt_id"] for d in debts["debts"]}
    _, theirs = call(world, "get", "/v1/citizen/debts", token=juan["session_token"])
    assert all(d["municipality"] == "13114" for d in theirs["debts"])


def test_permits_of_the_citizens_plates(world):
    maria = sign_in(world, MARIA)
    status, created = pay_as(world, maria, "13101", [{"type": "permit", "plate": "BBBB10", "year": 2027}],
                             "citizen-maria-permit1")
    assert status == 201, created
    status, permits = call(world, "get", "/v1/citizen/permits?year=2027", token=maria["session_token"])
    assert status == 200
    assert permits["year"] == 2027
    bbbb = next(p for p in permits["permits"] if p["plate"] == "BBBB10")
    # The national holds say the 2027 permit's payment is under way (wherever it was started).
    assert bbbb["status"] == "pending"
    assert bbbb["municipality"] == "13101"
    status, other_year = call(world, "get", "/v1/citizen/permits?year=2031", token=maria["session_token"])
    assert next(p for p in other_year["permits"] if p["plate"] == "BBBB10")["status"] == "unpaid"
    assert call(world, "get", "/v1/citizen/permits?year=abc", token=maria["session_token"])[0] == 400


def test_paying_needs_a_session_and_an_idempotency_key(world):
    maria = sign_in(world)
    status, body = call(world, "post", "/v1/citizen/payments", token=maria["session_token"],
                        body={"municipality": "13101", "items": [{"type": "debt", "debt_id": "X1"}],
                              "email": "a@b.cl"})
    assert status == 400
    assert body["error"]["field"] == "Idempotency-Key"
    status, _body = call(world, "post", "/v1/citizen/payments", headers={"Idempotency-Key": "k" * 20},
                        body={"municipality": "13101", "items": [{"type": "debt", "debt_id": "X1"}],
                              "email": "a@b.cl"})
    assert status == 401


def test_paying_a_debt_of_another_municipality_is_refused(world):
    maria = sign_in(world)
    status, body = pay_as(world, maria, "13101", [{"type": "debt", "debt_id": "ASE-2027-1-000871"}],
                          "citizen-cross-muni-1")
    assert status == 404
    assert body["error"]["code"] == "debt_not_found"
    status, body = pay_as(world, maria, "99999", [{"type": "debt", "debt_id": "ASE-2027-1-000871"}],
                          "citizen-cross-muni-2")
    assert status == 404
    assert body["error"]["code"] == "municipality_not_found"
