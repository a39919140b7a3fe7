"""The one translator of failed AWS calls: which failures are retried, which are refusals, which are ours."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError

from chalicelib.adapters.aws_errors import RETRYABLE_CODES, error_code, is_retryable, translated


def client_error(code: str, status: int = 400, message: str = "detail") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "Operation")


@pytest.mark.parametrize("code", ["ThrottlingException", "ProvisionedThroughputExceededException", "SlowDown",
                                  "KMSInternalException", "TooManyRequestsException", "TransactionConflictException"])
def test_throttling_and_service_trouble_are_retried(code: str) -> None:
    assert code in RETRYABLE_CODES
    assert is_retryable(client_error(code))


def test_an_unknown_code_answered_with_a_5xx_is_the_services_fault() -> None:
    assert is_retryable(client_error("SomethingNew", 503))
    assert not is_retryable(client_error("SomethingNew", 400))


def test_no_answer_at_all_is_retried() -> None:
    assert is_retryable(ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"))


def test_translated_outage_refusal_and_bug() -> None:
    outage = translated(client_error("ThrottlingException"), message="Caído.", code="x_unavailable")
    assert outage is not None
    assert outage.retryable
    assert outage.code == "x_unavailable"
    assert outage.message == "Caído."

    refused = translated(client_error("ValidationException", message="bad key"), message="Caído.",
                         code="x_unavailable", refused=("Rechazado ({code}: {detail}).", "x_refused"))
    assert not refused.retryable
    assert refused.code == "x_refused"
    assert refused.message == "Rechazado (ValidationException: bad key)."

    assert translated(client_error("ValidationException"), message="Caído.", code="x_unavailable") is None
    assert error_code(client_error("ValidationException")) == "ValidationException"
    assert error_code(ValueError("not a ClientError")) == ""
