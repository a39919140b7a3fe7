"""UTM/IPC import from the CMF's API (against the local simulator on loopback) and the central
administrator's confirmation before any rule uses the month."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from chalicelib.adapters.cmf_client import CmfClient, parse_cmf_number
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.units import YearMonth
from devstack.simulators.cmf import CmfSimulator
from tests.officials import id_token

KEY = "test-cmf-key"


@pytest.fixture(scope="module")
def cmf():
    with CmfSimulator(api_key=KEY, port=0) as simulator:
        yield simulator


@pytest.fixture
def env(shared_demo_stack_with_users, cmf, monkeypatch):
    from chalice.test import Client

    from app import app
    from chalicelib.settings import reset_settings

    monkeypatch.setenv("SEM_CMF_URL", cmf.url)
    monkeypatch.setenv("SEM_CMF_API_KEY", KEY)
    reset_settings()
    with Client(app, stage_name="test") as client:
        yield client, shared_demo_stack_with_users
    reset_settings()


def call(client, method, path, token, payload=None):
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    body = json.dumps(payload).encode() if payload is not None else None
    response = getattr(client.http, method)(path, headers=headers, **({"body": body} if body else {}))
    return response.status_code, json.loads(response.body)


@pytest.mark.parametrize(("text", "value"), [("67.429", Decimal(67429)), ("1,1", Decimal("1.1")),
                                             ("-0,2", Decimal("-0.2")), ("0,0", Decimal(0))])
def test_cmf_numbers_are_read_in_chilean_notation(text, value):
    assert parse_cmf_number(text) == value


def test_client_reads_published_months_and_none_for_unpublished(cmf):
    client = CmfClient(cmf.url, KEY)
    utm = client.month("utm", YearMonth(2026, 1))
    assert utm is not None
    assert utm.value == 69_751
    ipc = client.month("ipc", YearMonth(2025, 1))
    assert ipc is not None
    assert ipc.value == Decimal("1.1")
    assert client.month("ipc", YearMonth(2026, 3)) is None  # not published in the simulator yet


def test_a_wrong_key_or_a_dead_service_is_a_clear_dependency_error(cmf):
    with pytest.raises(DependencyUnavailable) as error:
        CmfClient(cmf.url, "wrong").month("utm", YearMonth(2026, 1))
    assert error.value.code == "cmf_unavailable"
    with pytest.raises(DependencyUnavailable):
        CmfClient("http://127.0.0.1:9", KEY, timeout_s=0.5).month("utm", YearMonth(2026, 1))


def test_an_imported_month_is_used_only_after_the_administrator_confirms_it(env, cmf):
    client, facts = env
    token = id_token(facts, "administrador.subdere@subdere.demo")
    cmf.publish("ipc", "2030-03", "0,3")  # the CMF "now has" a month no other test uses
    from chalicelib import wiring
    from chalicelib.domain.errors import RuleRefused

    status, body = call(client, "post", "/v1/admin/reference/ipc/import", token, {"month": "2030-03"})
    assert status == 200, body
    assert (body["status"], body["record"]["variation_percent"]) == ("pending", "0.3")
    assert "API CMF" in body["record"]["source"]
    # pending: no rule uses it yet
    with pytest.raises(RuleRefused):
        wiring.references().tables().ipc(YearMonth(2030, 3))
    status, body = call(client, "get", "/v1/admin/reference/ipc/pending", token)
    assert [m["month"] for m in body["months"]] == ["2030-03"]
    status, body = call(client, "post", "/v1/admin/reference/ipc/2030-03/confirm", token)
    assert status == 200, body
    assert wiring.references().tables().ipc(YearMonth(2030, 3)).percent == Decimal("0.3")
    assert call(client, "get", "/v1/admin/reference/ipc/pending", token)[1]["months"] == []
    # confirming twice: nothing pending any more
    status, body = call(client, "post", "/v1/admin/reference/ipc/2030-03/confirm", token)
    assert (status, body["error"]["code"]) == (404, "import_not_found")


def test_importing_an_unpublished_month_or_the_rate_table(env):
    client, facts = env
    token = id_token(facts, "administrador.subdere@subdere.demo")
    status, body = call(client, "post", "/v1/admin/reference/utm/import", token, {"month": "2031-01"})
    assert (status, body["status"]) == (200, "not_published")
    status, body = call(client, "post", "/v1/admin/reference/utm/import", token, {"month": "2025-01"})
    assert (status, body["status"]) == (200, "already_confirmed")
    status, body = call(client, "post", "/v1/admin/reference/interest/import", token, {"month": "2026-07"})
    assert (status, body["error"]["code"]) == (400, "not_importable")


def test_only_the_central_administrator_imports_or_confirms(env):
    client, facts = env
    token = id_token(facts, "tesorero@munistgo.demo")
    assert call(client, "post", "/v1/admin/reference/utm/import", token, {"month": "2025-01"})[0] == 403
    assert call(client, "post", "/v1/admin/reference/utm/2025-01/confirm", token)[0] == 403
