"""Central administration of UTM/IPC, and the token checks every admin route relies on."""

from __future__ import annotations

import base64
import gzip
import json
import time
from pathlib import Path

import jwt
import moto
import pytest

from tests.support.officials import id_token

# moto signs every pool's tokens with one key it ships: what an attacker with another pool's key holds.
MOTO_KEY = json.loads(gzip.decompress(
    (Path(moto.__file__).parent / "cognitoidp/resources/jwks-private.json.gz").read_bytes()))


@pytest.fixture(scope="module")
def env(shared_demo_stack_with_users):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as client:
        yield client, shared_demo_stack_with_users


def sign_in(facts, email):
    return id_token(facts, email)


def call(client, method, path, token=None, payload=None):
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(payload).encode() if payload is not None else None
    response = getattr(client.http, method)(path, headers=headers, **({"body": body} if body else {}))
    return response.status_code, json.loads(response.body)


def forge(claims, *, key=None, alg="RS256", headers=None):
    signing_key = key or jwt.PyJWK(MOTO_KEY, algorithm="RS256").key
    return jwt.encode(claims, signing_key, algorithm=alg, headers=headers or {"kid": MOTO_KEY["kid"]})


def claims_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_central_administrator_sets_a_utm_and_history_is_kept(env):
    client, facts = env
    token = sign_in(facts, "administrador.subdere@subdere.demo")
    status, body = call(client, "put", "/v1/admin/reference/utm/2027-01", token,
                        {"value": 72_400, "source": "SII, publicado 01-01-2027"})
    assert status == 200, body
    assert body["month"]["value"] == 72_400
    status, body = call(client, "get", "/v1/admin/reference/utm", token)
    assert status == 200
    january = next(m for m in body["months"] if m["month"] == "2027-01")
    assert january["value"] == 72_400
    assert january["projected"] is False
    from chalicelib import wiring

    history = wiring.references().history("UTM", "2027-01")
    assert history[-1]["projected"] is True  # the seeded projection is kept, not overwritten
    # The calculators use the new value at once (the cache is dropped on write).
    response = client.http.post("/v1/municipalities/13101/permits/simulate", headers={
        "Content-Type": "application/json"}, body=json.dumps(
        {"vehicle_class": "light", "tasacion": 5_000_000, "year": 2027}).encode())
    assert json.loads(response.body)["breakdown"]["utm"]["value"] == 72_400


def test_an_invalid_value_is_refused_with_its_field(env):
    client, facts = env
    token = sign_in(facts, "administrador.subdere@subdere.demo")
    status, body = call(client, "put", "/v1/admin/reference/ipc/2027-02", token,
                        {"value": 3, "source": "INE"})
    assert (status, body["error"]["field"]) == (400, "variation_percent")
    status, body = call(client, "put", "/v1/admin/reference/utm/2027-13", token, {"value": 70_000, "source": "SII"})
    assert (status, body["error"]["field"]) == (400, "month")


def test_the_central_administrator_loads_a_semestral_interest_rate(env):
    client, facts = env
    token = sign_in(facts, "administrador.subdere@subdere.demo")
    status, body = call(client, "get", "/v1/admin/reference/interest", token)
    assert status == 200, body
    assert [m["month"] for m in body["months"]][:3] == ["2025-01", "2025-07", "2026-01"]
    assert body["months"][0]["annual_percent"] == "8.12"
    # a semester is keyed by its first month; any other month is refused with its field
    status, body = call(client, "put", "/v1/admin/reference/interest/2026-08", token,
                        {"annual_percent": "7.9", "source": "SII Res. Ex."})
    assert (status, body["error"]["code"], body["error"]["field"]) == (400, "invalid_rate_month", "month")
    status, body = call(client, "put", "/v1/admin/reference/interest/2026-07", token,
                        {"value": 8, "source": "SII Res. Ex."})
    assert (status, body["error"]["field"]) == (400, "annual_percent")
    status, body = call(client, "put", "/v1/admin/reference/interest/2026-07", token,
                        {"annual_percent": "7.85", "source": "SII, resolución del 2do semestre 2026 (prueba)"})
    assert status == 200, body
    assert body["month"]["annual_percent"] == "7.85"
    from chalicelib import wiring

    rate = wiring.references().tables().interest_rate(__import__("datetime").date(2026, 8, 1))
    assert (rate.label, str(rate.annual_percent)) == ("2do semestre 2026", "7.85")


@pytest.mark.parametrize("email", ["tesorero@munistgo.demo", "soporte@subdere.demo", "alcalde@lascondes.demo"])
def test_only_the_central_administrator_edits_reference_tables(env, email):
    client, facts = env
    token = sign_in(facts, email)
    status, body = call(client, "put", "/v1/admin/reference/utm/2027-01", token, {"value": 1, "source": "x y z"})
    assert status == 403
    assert body["error"]["code"] == "permission_denied"
    assert call(client, "get", "/v1/admin/reference/utm", token)[0] == 200


def test_no_token_is_401(env):
    client, _ = env
    status, body = call(client, "get", "/v1/admin/reference/utm")
    assert (status, body["error"]["code"]) == (401, "missing_token")


def _attacks(env_vars, real):
    now = int(time.time())
    base = claims_of(real)
    other_pool = base["iss"].rsplit("/", 1)[0] + "/us-east-1_someotherpool"
    return {
        "none_algorithm": jwt.encode(base, None, algorithm="none"),
        "hs256_with_public_key": jwt.encode(base, "public-key-used-as-an-hmac-secret-by-an-attacker", algorithm="HS256",
                                            headers={"kid": MOTO_KEY["kid"]}),
        "wrong_issuer": forge({**base, "iss": other_pool}),
        "wrong_client": forge({**base, "aud": "another-client"}),
        "expired": forge({**base, "iat": now - 7200, "exp": now - 3600}),
        "access_token": forge({**base, "token_use": "access"}),
        "unknown_kid": forge(base, headers={"kid": "not-a-key"}),
        "tampered_claims": real.split(".")[0] + "." + base64.urlsafe_b64encode(json.dumps(
            {**base, "custom:municipality": "00000", "custom:profile": "administrador_subdere"}).encode()
        ).decode().rstrip("=") + "." + real.split(".")[2],
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("attack", ["none_algorithm", "hs256_with_public_key", "wrong_issuer", "wrong_client",
                                    "expired", "access_token", "unknown_kid", "tampered_claims", "garbage"])
def test_token_attacks_are_401(env, attack):
    client, facts = env
    real = sign_in(facts, "tesorero@munistgo.demo")
    token = _attacks(facts["env"], real)[attack]
    status, body = call(client, "get", "/v1/admin/reference/utm", token)
    assert status == 401, body
    assert body["error"]["code"] in {"invalid_token", "token_expired", "missing_token"}


def test_a_valid_token_whose_official_changed_profile_is_refused(env):
    client, facts = env
    from chalicelib import wiring
    from chalicelib.adapters import table_keys

    wiring.data_table().update(table_keys.officials("13114"), "tesorero@lascondes.demo", "SET #s = :s",
                               names={"#s": "status"}, values={":s": "inactive"})
    token = sign_in(facts, "tesorero@lascondes.demo")
    status, body = call(client, "get", "/v1/admin/reference/utm", token)
    assert (status, body["error"]["code"]) == (403, "official_not_active")
