"""The SES mailer against moto: every message under the configuration set with its tags; SES's
answers mapped to the platform's errors, a lost answer kept apart as an unknown outcome."""

from __future__ import annotations

import email
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from chalicelib.adapters.mailer import Mailer
from chalicelib.domain.email_message import OutgoingEmail
from chalicelib.domain.errors import DependencyUnavailable

SENDER = "no-responder@munistgo.demo"


def message(**changes: Any) -> OutgoingEmail:
    values: dict[str, Any] = {"sender": SENDER, "recipient": "maria@ciudadano.demo", "subject": "Comprobante",
                              "text": "Hola", "html": "<p>Hola</p>",
                              "tags": {"municipality": "13101", "payment": "13101-ABC", "folio": "13101-2027-000001",
                                       "attempt": "a1b2"}}
    values.update(changes)
    return OutgoingEmail(**values)


@pytest.fixture
def ses(aws: None) -> Any:
    client = boto3.client("ses", region_name="us-east-1")
    client.verify_email_identity(EmailAddress=SENDER)
    client.create_configuration_set(ConfigurationSet={"Name": "sem-test-receipts"})
    return client


def test_a_message_goes_out_under_the_configuration_set_with_its_tags(ses):
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.ses.models import ses_backends

    calls: list[dict[str, Any]] = []
    ses.meta.events.register("provide-client-params.ses.SendRawEmail", lambda params, **_: calls.append(params))
    message_id = Mailer(ses, "sem-test-receipts").send(message())
    assert calls[0]["ConfigurationSetName"] == "sem-test-receipts"
    assert {t["Name"]: t["Value"] for t in calls[0]["Tags"]} == message().tags
    sent = [m for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages if m.id == message_id]
    raw = email.message_from_string(sent[0].raw_data)
    assert raw["X-SES-CONFIGURATION-SET"] == "sem-test-receipts"
    unfolded = " ".join(str(raw["X-SES-MESSAGE-TAGS"]).split())  # a long header is folded (RFC 5322)
    assert unfolded == "municipality=13101, payment=13101-ABC, folio=13101-2027-000001, attempt=a1b2"


def test_without_a_configuration_set_no_event_headers(ses):
    calls: list[dict[str, Any]] = []
    ses.meta.events.register("provide-client-params.ses.SendRawEmail", lambda params, **_: calls.append(params))
    Mailer(ses).send(message())
    assert "ConfigurationSetName" not in calls[0]
    assert "X-SES-CONFIGURATION-SET" not in calls[0]["RawMessage"]["Data"].decode()


def test_tags_ses_would_refuse_are_refused_before_sending(ses):
    with pytest.raises(ValueError, match="tags"):
        Mailer(ses, "sem-test-receipts").send(message(tags={"payment": "a b"}))


class _Raising:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def send_raw_email(self, **_: Any) -> Any:
        raise self.error


def test_a_lost_answer_is_an_unknown_outcome_and_an_unreached_ses_a_plain_retry():
    with pytest.raises(DependencyUnavailable) as lost:
        Mailer(_Raising(ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"))).send(message())
    assert (lost.value.code, lost.value.retryable) == ("email_outcome_unknown", True)
    with pytest.raises(DependencyUnavailable) as unreached:
        Mailer(_Raising(ConnectTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"))).send(message())
    assert (unreached.value.code, unreached.value.retryable) == ("email_unavailable", True)
