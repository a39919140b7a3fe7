"""The response models of routes whose full answers the functional tests do not reach (SES's
delivery events): the service's answer fits its model and comes out unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from chalicelib.api.http import json_response, typed
from chalicelib.api.models_logs import EmailDeliveriesOut, EmailHealthOut
from chalicelib.api.models_payments import DeliveryAttemptOut, EmailMarkOut
from chalicelib.services.email_events import delivery_of, delivery_page, platform_health

NOW = datetime(2027, 3, 20, 15, 0, tzinfo=UTC)


def event(kind: str, at: str, message: str, **extra: str) -> dict[str, str]:
    return {"type": kind, "at": at, "message_id": message, "attempt_id": f"a-{message}", "payment_id": "13101-P",
            "folio": "13101-2027-000001", **extra}


EVENTS = [event("send", "2027-03-20T13:00:00.000Z", "m1"), event("delivery", "2027-03-20T13:00:04.000Z", "m1"),
          event("send", "2027-03-20T13:05:00.000Z", "m2"),
          event("bounce", "2027-03-20T13:05:03.000Z", "m2", bounce_type="Permanent"),
          event("send", "2027-03-20T13:06:00.000Z", "m3"), event("complaint", "2027-03-20T14:00:00.000Z", "m3")]


class Log:
    def of_day(self, code: str, day: str) -> list[dict[str, str]]:
        return EVENTS if (code, day) == ("13101", "2027-03-20") else []


def fits(model: type[BaseModel], answer: Any) -> None:
    assert json_response(typed(model, answer)).body == answer


def test_a_municipalitys_delivery_page_and_the_platforms_health_fit_their_models():
    page = delivery_page("13101", Log(), NOW)
    assert {row["status"] for row in page["emails"]} == {"delivered", "bounced", "complained"}
    fits(EmailDeliveriesOut, page)
    fits(EmailHealthOut, platform_health(["13101", "13114"], Log(), NOW))


def test_a_payments_delivery_attempts_and_marks_fit_their_models():
    for attempt in delivery_of(EVENTS):
        fits(DeliveryAttemptOut, attempt)
    fits(EmailMarkOut, {"at": "2027-03-20T13:05:03.000Z", "attempt_id": "a-m2", "message_id": "m2",
                        "subtype": "General"})
