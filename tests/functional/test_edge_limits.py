"""Throttles on the public look-ups at the edge, in the prod template (issue 15.7): a WAF web ACL
on the API's stage with a per-portal-key and a per-source rate rule over exactly the look-up
routes, and no body on the look-ups that read no file. (The template's validity is
tests/functional/test_packaging.py's cfn-lint run.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra.provision import load_template, local_template

LOOKUPS = ["/v1/municipalities/13101/debts", "/v1/municipalities/13101/permits/quote", "/v1/receipts/verify",
           "/v1/signatures/verify"]
NOT_LOOKUPS = ["/v1/municipalities/13101/payments", "/v1/gateways/tgr/notifications", "/v1/admin/me",
               "/v1/municipalities/13101/permits/simulate", "/v1/municipalities/13101/debts/x"]


@pytest.fixture(scope="module")
def acl() -> dict[str, Any]:
    resources = load_template()["Resources"]
    (name,) = [n for n, r in resources.items() if r.get("Type") == "AWS::WAFv2::WebACL"]
    (association,) = [r for r in resources.values() if r.get("Type") == "AWS::WAFv2::WebACLAssociation"]
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [name, "Arn"]}
    assert association["Properties"]["ResourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/v1"}
    properties: dict[str, Any] = resources[name]["Properties"]
    assert properties["Scope"] == "REGIONAL"
    return properties


def _rule(acl: dict[str, Any], aggregate: str) -> dict[str, Any]:
    (rule,) = [r for r in acl["Rules"] if r["Statement"].get("RateBasedStatement", {}).get(
        "AggregateKeyType") == aggregate]
    return rule


def _covers(regex: str, path: str) -> bool:
    # API Gateway's stage (v1) precedes the route in the path WAF sees
    return bool(re.search(regex, path)) and bool(re.search(regex, "/v1" + path))


@pytest.mark.parametrize("aggregate", ["CUSTOM_KEYS", "IP"])
def test_each_public_lookup_is_throttled_per_key_and_per_source(acl, aggregate):
    rule = _rule(acl, aggregate)
    statement = rule["Statement"]["RateBasedStatement"]
    assert "Block" in rule["Action"]
    assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    assert 10 <= statement["Limit"] <= 5000
    assert statement["EvaluationWindowSec"] == 300
    if aggregate == "CUSTOM_KEYS":
        assert statement["CustomKeys"] == [{"Header": {"Name": "x-api-key",
                                                       "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}]
    regex = statement["ScopeDownStatement"]["RegexMatchStatement"]["RegexString"]
    assert all(_covers(regex, path) for path in LOOKUPS)
    assert not any(_covers(regex, path) for path in NOT_LOOKUPS)


def test_lookups_that_read_no_file_take_no_body(acl):
    (rule,) = [r for r in acl["Rules"] if "AndStatement" in r["Statement"]]
    path, size = rule["Statement"]["AndStatement"]["Statements"]
    regex = path["RegexMatchStatement"]["RegexString"]
    assert all(_covers(regex, p) for p in LOOKUPS[:3])
    assert not _covers(regex, "/v1/signatures/verify")  # its PDF: at most 5 MB, the app's check
    assert size["SizeConstraintStatement"]["ComparisonOperator"] == "GT"
    assert size["SizeConstraintStatement"]["Size"] == 0
    assert size["SizeConstraintStatement"]["FieldToMatch"] == {"Body": {"OversizeHandling": "MATCH"}}


def test_every_custom_response_is_the_error_envelope(acl):
    import json

    for body in acl["CustomResponseBodies"].values():
        error = json.loads(body["Content"])["error"]
        assert {"code", "message", "field", "request_id"} <= set(error)


def test_the_web_acl_is_prod_only():
    kinds = {r["Type"] for r in local_template()["Resources"].values()}
    assert not {k for k in kinds if k.startswith("AWS::WAFv2::")}
