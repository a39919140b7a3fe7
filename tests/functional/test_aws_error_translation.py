"""The adapters that used to call every AWS failure "unavailable" now say which it is, through the one
translator (`adapters/aws_errors.py`): a throttled or unreachable service is retried, a refusal (a
missing queue or pool, a denied role) is reported as such and not retried."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from chalicelib.adapters.cognito_users import CognitoUsers
from chalicelib.adapters.job_queue import JobQueue
from chalicelib.adapters.settlement_inbox import SettlementInbox
from chalicelib.adapters.tenant_credentials import TenantCredentials
from chalicelib.domain.errors import Conflict, DependencyUnavailable

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Any:
    for name in ("AWS_ENDPOINT_URL", "SEM_AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        yield


def _failure(exc: pytest.ExceptionInfo[DependencyUnavailable]) -> tuple[str, bool]:
    return exc.value.code, exc.value.retryable


def test_a_queue_that_does_not_exist_is_a_refusal_not_a_retry(aws: Any) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="sem-receipts")["QueueUrl"]
    queue = JobQueue(sqs, url.replace("sem-receipts", "no-such-queue"))
    with pytest.raises(DependencyUnavailable) as caught:
        queue.send({"payment_id": "13101-P1", "kind": "receipt"})
    assert _failure(caught) == ("queue_refused", False)
    assert "rechazó" in caught.value.message


def test_a_throttled_queue_is_retried(aws: Any) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    with Stubber(sqs) as stub:
        stub.add_client_error("send_message", service_error_code="ThrottlingException", http_status_code=400)
        with pytest.raises(DependencyUnavailable) as caught:
            JobQueue(sqs, "https://sqs.us-east-1.amazonaws.com/123456789012/q").send({"kind": "receipt"})
    assert _failure(caught) == ("queue_unavailable", True)


def test_cognito_refusals_and_outages_are_told_apart(aws: Any) -> None:
    client = boto3.client("cognito-idp", region_name=REGION)
    pool = client.create_user_pool(PoolName="sem")["UserPool"]["Id"]
    users = CognitoUsers(client, pool)
    assert users.attributes("nadie@muni.demo") is None  # a missing user is an answer, not a failure

    missing_pool = CognitoUsers(client, f"{REGION}_doesnotexist")
    with pytest.raises(DependencyUnavailable) as caught:
        missing_pool.attributes("ana@muni.demo")
    assert _failure(caught) == ("identity_refused", False)

    with Stubber(client) as stub:
        stub.add_client_error("admin_get_user", service_error_code="TooManyRequestsException", http_status_code=400)
        with pytest.raises(DependencyUnavailable) as caught:
            users.attributes("ana@muni.demo")
    assert _failure(caught) == ("identity_unavailable", True)

    with Stubber(client) as stub:
        stub.add_client_error("admin_disable_user", service_error_code="InternalErrorException",
                              http_status_code=500)
        with pytest.raises(DependencyUnavailable) as caught:
            users.set_enabled("ana@muni.demo", False)
    assert _failure(caught) == ("identity_unavailable", True)

    with Stubber(client) as stub:
        stub.add_client_error("admin_enable_user", service_error_code="AliasExistsException", http_status_code=400)
        with pytest.raises(Conflict):
            users.set_enabled("ana@muni.demo", True)


def test_a_denied_role_is_a_refusal_and_an_unreachable_sts_a_retry(aws: Any) -> None:
    sts = boto3.client("sts", region_name=REGION)
    credentials = TenantCredentials(sts, "arn:aws:iam::123456789012:role/sem-tenant")
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", service_error_code="AccessDenied", http_status_code=403)
        with pytest.raises(DependencyUnavailable) as caught:
            credentials.for_municipality("13101")
    assert _failure(caught) == ("tenant_credentials_refused", False)
    with Stubber(sts) as stub:
        stub.add_client_error("assume_role", service_error_code="Throttling", http_status_code=400)
        with pytest.raises(DependencyUnavailable) as caught:
            credentials.for_municipality("13101")
    assert _failure(caught) == ("tenant_credentials_unavailable", True)


def test_a_missing_settlement_bucket_is_a_refusal(aws: Any) -> None:
    inbox = SettlementInbox(boto3.client("s3", region_name=REGION), "no-such-bucket")
    with pytest.raises(DependencyUnavailable) as caught:
        inbox.list("13101/")
    assert _failure(caught) == ("storage_refused", False)
