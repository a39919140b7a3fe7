"""The receipts worker's table access is fenced to the job's municipality (docs/security.md).

In prod the worker holds no DynamoDB permission of its own: it assumes TenantDataRole with the
session tag `municipality=<cut>`, whose policy allows only keys beginning with `<cut>#`
(`dynamodb:LeadingKeys`). moto enforces no IAM, so these tests prove the two halves the fence
rests on: the worker really makes every table call with the tagged session (and none with its own
credentials), and every partition key it sends begins with the job's municipality — what IAM
compares `dynamodb:LeadingKeys` against. The policy itself is checked in test_iam_policies.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.adapters.aws_clients import aws_client
from chalicelib.adapters.tenant_credentials import TenantCredentials
from tests.support.payments_world import payments_world
from tests.support.receipt_jobs import deliver, paid, receipt_of


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    """The app, a fake TGR and a clock on the module's demo stack."""
    yield from payments_world(shared_demo_stack)

ROLE = "arn:aws:iam::123456789012:role/sem-test-tenant-data-us-east-1"


def leading_keys(operation: str, params: dict[str, Any]) -> list[str]:
    """The partition key values of a DynamoDB request: what `dynamodb:LeadingKeys` holds."""
    if operation in ("GetItem", "UpdateItem", "DeleteItem"):
        return [params["Key"]["pk"]["S"]]
    if operation == "PutItem":
        return [params["Item"]["pk"]["S"]]
    if operation == "Query":
        values = params.get("ExpressionAttributeValues", {})
        return [v["S"] for k, v in values.items() if k == ":pk"] or ["<unknown>"]
    if operation == "TransactWriteItems":
        found = []
        for item in params["TransactItems"]:
            (body,) = item.values()
            found.append((body.get("Key") or body["Item"])["pk"]["S"])
        return found
    return [f"<{operation}: no leading key>"]


@pytest.fixture
def fenced(world, monkeypatch):
    """The worker configured with a tenant role; records STS calls and every table call."""
    monkeypatch.setenv("SEM_TENANT_DATA_ROLE_ARN", ROLE)
    wiring.reset()
    calls: dict[str, list[Any]] = {"assume": [], "scoped": [], "own": []}

    def recorder(kind: str):
        def hook(params: dict[str, Any], model: Any, **_: Any) -> None:
            calls[kind].append((model.name, params))
        return hook

    aws_client("sts").meta.events.register("provide-client-params.sts.AssumeRole", recorder("assume"))
    aws_client("dynamodb").meta.events.register("provide-client-params.dynamodb.*", recorder("own"))
    real = wiring.scoped_client

    def scoped(service: str, creds: Any) -> Any:
        client = real(service, creds)
        client.meta.events.register("provide-client-params.dynamodb.*", recorder("scoped"))
        return client

    monkeypatch.setattr(wiring, "scoped_client", scoped)
    yield calls
    monkeypatch.delenv("SEM_TENANT_DATA_ROLE_ARN")
    wiring.reset()


def test_a_receipt_job_reads_and_writes_only_its_municipalitys_keys_with_the_tagged_session(world, fenced):
    # a permit (held nationally under 00000 while pending) and a municipal debt
    created = paid(world, "fence", items=[{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full"},
                                          {"type": "debt", "debt_id": "ASE-2027-1-004567"}])
    fenced["own"].clear()
    deliver(created["job"])
    own = [name for name, _ in fenced["own"]]

    assert receipt_of(created["payment_id"])["folio"].startswith("13101-")
    (assume,) = [params for _, params in fenced["assume"]]
    assert assume["RoleArn"] == ROLE
    assert assume["Tags"] == [{"Key": "municipality", "Value": "13101"}]
    # not one table call with the worker's own credentials: in prod it has no DynamoDB permission
    assert own == []
    assert {name for name, _ in fenced["scoped"]} >= {"GetItem", "TransactWriteItems"}
    sent = [key for name, params in fenced["scoped"] for key in leading_keys(name, params)]
    assert sent
    assert all(key.startswith("13101#") for key in sent), sorted(set(sent))


def test_a_second_job_of_the_same_municipality_reuses_the_session(world, fenced):
    first, second = paid(world, "fence-a"), paid(world, "fence-b")
    deliver(first["job"])
    deliver(second["job"])
    assert len(fenced["assume"]) == 1


def test_without_a_tenant_role_the_worker_uses_wiring_as_it_is(world):
    wiring.reset()
    assert wiring.tenant_credentials() is None


# -- the credential cache (no AWS) ----------------------------------------------------------------

class FakeSts:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def assume_role(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        n = len(self.calls)
        return {"Credentials": {"AccessKeyId": f"AK{n}", "SecretAccessKey": "s", "SessionToken": f"t{n}"}}


def test_credentials_are_cached_per_municipality_until_shortly_before_they_expire():
    sts, now = FakeSts(), [1000.0]
    cache = TenantCredentials(sts, ROLE, duration_s=900, refresh_margin_s=120, clock=lambda: now[0])
    first = cache.for_municipality("13101")
    assert cache.for_municipality("13101") is first
    other = cache.for_municipality("05101")
    assert other is not first
    assert [c["Tags"] for c in sts.calls] == [[{"Key": "municipality", "Value": "13101"}],
                                              [{"Key": "municipality", "Value": "05101"}]]
    now[0] += 900 - 120 - 1
    assert cache.for_municipality("13101") is first
    now[0] += 2
    assert cache.for_municipality("13101") is not first
    assert len(sts.calls) == 3


@pytest.mark.parametrize("code", ["1310", "13101#", "*", "00000#MUNI", "", "00000"])
def test_only_a_municipality_code_can_be_a_session_tag(code):
    sts = FakeSts()
    with pytest.raises(ValueError, match="municipality code"):
        TenantCredentials(sts, ROLE).for_municipality(code)
    assert sts.calls == []
