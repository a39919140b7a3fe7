"""UTM/IPC/semestral-rate import from the CMF's API (against the local simulator on loopback), on
demand and on its daily schedule, and the central administrator's confirmation before any rule uses
the month."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from chalicelib.adapters.cmf_client import CmfClient, parse_cmf_number
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.domain.units import YearMonth
from devstack.simulators.cmf import CmfSimulator
from tests.support.officials import id_token

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
    assert client.month("ipc", YearMonth(2026, 5)) is None  # not published in the simulator yet


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
    # the semestral rate: the CMF's type-24 rate of the month before + 3,5 points (art. 53, Ley 21.713)
    status, body = call(client, "post", "/v1/admin/reference/interest/import", token, {"month": "2026-01"})
    assert (status, body["status"], body["record"]["annual_percent"]) == (200, "already_confirmed", "7.92")
    status, body = call(client, "post", "/v1/admin/reference/interest/import", token, {"month": "2033-07"})
    assert (status, body["status"]) == (200, "not_published")
    status, body = call(client, "post", "/v1/admin/reference/interest/import", token, {"month": "2026-03"})
    assert (status, body["error"]["code"]) == (400, "invalid_rate_month")


def test_only_the_central_administrator_imports_or_confirms(env):
    client, facts = env
    token = id_token(facts, "tesorero@munistgo.demo")
    assert call(client, "post", "/v1/admin/reference/utm/import", token, {"month": "2025-01"})[0] == 403
    assert call(client, "post", "/v1/admin/reference/utm/2025-01/confirm", token)[0] == 403


def test_client_reads_the_art53_rate_type_among_the_cmfs_interest_rates(cmf):
    client = CmfClient(cmf.url, KEY)
    rate = client.art53_rate(YearMonth(2025, 12))  # SII Res. Ex. 205/2025: 4,42% published 15-12-2025
    assert rate is not None
    assert (rate.annual_percent, rate.in_force_from) == (Decimal("4.42"), "2025-12-15")
    assert client.art53_rate(YearMonth(2033, 6)) is None


def test_a_tip_answer_without_the_art53_type_or_with_a_bad_value_is_refused_or_none(cmf):
    client = CmfClient(cmf.url, KEY)
    cmf.publish("tip", "2033-12", "no es un número")
    with pytest.raises(DependencyUnavailable) as error:
        client.art53_rate(YearMonth(2033, 12))
    assert error.value.code == "cmf_invalid"


def test_the_scheduled_import_leaves_each_month_pending_and_a_second_run_imports_nothing(env, cmf):
    """Run as EventBridge would (the handler, then the service with a chosen day): new months are
    pending, not used; the same run again writes nothing; confirming one makes the rules use it."""
    from datetime import date

    from chalicelib import wiring
    from chalicelib.domain.errors import RuleRefused
    from chalicelib.services import reference_import
    from chalicelib.worker import reference_imports

    client, facts = env
    cmf.publish("utm", "2032-03", "80.123")
    cmf.publish("tip", "2032-06", "4,4")  # → 7,9% for the second semester of 2032
    deps = {"client": wiring.cmf_client(), "references": wiring.references(), "audit": wiring.audit_log()}
    first = reference_import.scheduled_import(date(2032, 6, 20), **deps)
    assert (first["pending"], first["failed"]) == (2, 0), first
    # UTM 2031-07..2032-06, IPC 2031-06..2032-05, rates of 2032-01 and 2032-07: each asked once
    assert first["asked"] == 12 + 12 + 2
    again = reference_import.scheduled_import(date(2032, 6, 20), **deps)
    assert (again["pending"], again["already_pending"]) == (0, 2), again
    pending_utm = [r for r in reference_import.pending("UTM", wiring.references()) if r["month"] == "2032-03"]
    assert len(pending_utm) == 1
    assert pending_utm[0]["value"] == 80123
    (rate,) = [r for r in reference_import.pending("TASA", wiring.references()) if r["month"] == "2032-07"]
    assert rate["annual_percent"] == "7.9"
    assert "4,4% + 3,5 puntos" in rate["source"]
    assert "15-06-2032" in rate["source"]
    with pytest.raises(RuleRefused):
        wiring.references().tables().utm(YearMonth(2032, 3))
    token = id_token(facts, "administrador.subdere@subdere.demo")
    status, body = call(client, "get", "/v1/admin/reference/interest/pending", token)
    assert "2032-07" in [m["month"] for m in body["months"]]
    status, body = call(client, "post", "/v1/admin/reference/interest/2032-07/confirm", token)
    assert status == 200, body
    assert wiring.references().tables().interest_rate(date(2032, 8, 1)).annual_percent == Decimal("7.9")
    # confirmed: a later run does not even ask for that semester again
    later = reference_import.scheduled_import(date(2032, 6, 20), **deps)
    assert later["asked"] == 12 + 12 + 1
    # the scheduled handler itself, as EventBridge calls it (today's date; nothing new published)
    from devstack.worker_runner import LambdaContext, scheduled_event

    totals = reference_imports.import_reference_data(scheduled_event(), LambdaContext())
    assert (totals["failed"], totals["pending"]) == (0, 0), totals


def test_the_scheduled_import_stops_at_the_first_cmf_failure(env):
    from datetime import date

    from chalicelib import wiring
    from chalicelib.services import reference_import

    dead = CmfClient("http://127.0.0.1:9", KEY, timeout_s=0.5)
    counts = reference_import.scheduled_import(date(2032, 6, 20), client=dead, references=wiring.references(),
                                               audit=wiring.audit_log())
    assert (counts["asked"], counts["failed"], counts["pending"]) == (1, 1, 0)
