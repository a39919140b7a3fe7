"""The local stand-in for SES's event publishing: what SES would tell about moto's sends.

moto's SES accepts `SendRawEmail` and keeps each message (`ses_backends[...].sent_messages`) but
publishes no events. This stand-in runs in the moto server's process (devstack/moto_server.py),
watches that list, and for each message sent under a configuration set that exists, publishes to
the platform's SES events topic (`<stack>-ses-events`, through moto's own SNS API) the events a
real configuration set's event destination would, with the message's tags:

- `Send` at once, for every message;
- then, per recipient (documented fixtures, docs/email-events.md):
  - `bounce@simulator.amazonses.com` (SES's mailbox simulator) or any address at
    `rebota.sem.demo` → `Bounce` (Permanent, General);
  - `suppressionlist@simulator.amazonses.com` → `Bounce` (Permanent, OnAccountSuppressionList);
  - `complaint@simulator.amazonses.com` or any address at `reclama.sem.demo` → `Delivery`, then
    `Complaint` (abuse);
  - any address at `demora.sem.demo` → `DeliveryDelay` (TransientCommunicationFailure), then
    `Delivery`;
  - anything else → `Delivery`.

The configuration set and the tags are read from the raw message's `X-SES-CONFIGURATION-SET` and
`X-SES-MESSAGE-TAGS` headers, which the mailer writes beside the API parameters (SES honours
both; moto keeps only the raw message). Dev only; never deployed.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from typing import Any

FIXTURE_BOUNCE = ("bounce@simulator.amazonses.com",)
FIXTURE_SUPPRESSED = ("suppressionlist@simulator.amazonses.com",)
FIXTURE_COMPLAINT = ("complaint@simulator.amazonses.com",)
BOUNCE_DOMAIN, COMPLAINT_DOMAIN, DELAY_DOMAIN = "rebota.sem.demo", "reclama.sem.demo", "demora.sem.demo"
TOPIC_SUFFIX = "-ses-events"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_headers(raw: str) -> tuple[str, dict[str, list[str]], list[str]]:
    """The configuration set, the tags (SES's shape: name -> [value]) and the recipients of a raw
    message."""
    headers = HeaderParser().parsestr(raw, headersonly=True)
    config_set = str(headers.get("X-SES-CONFIGURATION-SET") or "").strip()
    tags: dict[str, list[str]] = {}
    for pair in str(headers.get("X-SES-MESSAGE-TAGS") or "").split(","):
        name, _, value = pair.strip().partition("=")
        if name and value:
            tags[name.strip()] = [value.strip()]
    recipients = [address for _, address in getaddresses(headers.get_all("To") or []) if address]
    return config_set, tags, recipients


def events_for(message_id: str, source: str, raw: str, known_sets: set[str]) -> list[tuple[float, dict[str, Any]]]:
    """The SES events of one sent message, each with how long after the send it is published."""
    config_set, tags, recipients = read_headers(raw)
    if not config_set or config_set not in known_sets:
        return []  # SES publishes events only for a message sent under an existing configuration set
    sent_at = _now()
    mail = {"timestamp": sent_at, "source": parseaddr(source)[1] or source, "messageId": message_id,
            "destination": recipients, "headersTruncated": False,
            "tags": {"ses:configuration-set": [config_set], **tags}}
    events: list[tuple[float, dict[str, Any]]] = [(0.0, {"eventType": "Send", "mail": mail, "send": {}})]
    for recipient in recipients:
        address = recipient.lower()
        domain = address.rpartition("@")[2]
        if address in FIXTURE_BOUNCE or domain == BOUNCE_DOMAIN or address in FIXTURE_SUPPRESSED:
            subtype = "OnAccountSuppressionList" if address in FIXTURE_SUPPRESSED else "General"
            events.append((0.5, {"eventType": "Bounce", "mail": mail, "bounce": {
                "bounceType": "Permanent", "bounceSubType": subtype, "timestamp": _now(),
                "feedbackId": str(uuid.uuid4()), "bouncedRecipients": [
                    {"emailAddress": recipient, "action": "failed", "status": "5.1.1",
                     "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}))
            continue
        if domain == DELAY_DOMAIN:
            events.append((0.5, {"eventType": "DeliveryDelay", "mail": mail, "deliveryDelay": {
                "timestamp": _now(), "delayType": "TransientCommunicationFailure",
                "delayedRecipients": [{"emailAddress": recipient, "status": "4.4.7"}]}}))
        events.append((1.0, {"eventType": "Delivery", "mail": mail, "delivery": {
            "timestamp": _now(), "processingTimeMillis": 800, "recipients": [recipient],
            "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "local.sem.demo"}}))
        if address in FIXTURE_COMPLAINT or domain == COMPLAINT_DOMAIN:
            events.append((1.5, {"eventType": "Complaint", "mail": mail, "complaint": {
                "timestamp": _now(), "feedbackId": str(uuid.uuid4()), "complaintFeedbackType": "abuse",
                "complainedRecipients": [{"emailAddress": recipient}]}}))
    return events


class SesEventsStandIn:
    """Watches moto's sent messages and publishes their SES events, until stopped."""

    def __init__(self, sent: Callable[[], list[Any]], config_sets: Callable[[], set[str]],
                 publish: Callable[[str, str], None], topic_arn: Callable[[], str | None], *,
                 delay_scale: float = 1.0, from_now: bool = False) -> None:
        self._sent, self._config_sets, self._publish, self._topic_arn = sent, config_sets, publish, topic_arn
        self._delay_scale = delay_scale
        self._seen = len(sent()) if from_now else 0
        self._due: list[tuple[float, str]] = []
        self.running = True

    def step(self) -> int:
        """Turn new sends into scheduled events and publish those due; returns how many published."""
        topic = self._topic_arn()
        if topic is None:
            return 0
        messages = self._sent()
        now = time.monotonic()
        for message in messages[self._seen:]:
            for delay, event in events_for(message.id, message.source, message.raw_data, self._config_sets()):
                self._due.append((now + delay * self._delay_scale, json.dumps(event)))
        self._seen = len(messages)
        due = [body for at, body in self._due if at <= now]
        self._due = [(at, body) for at, body in self._due if at > now]
        for body in due:
            self._publish(topic, body)
        return len(due)

    def run(self, every_s: float = 0.25) -> None:
        while self.running:
            try:
                self.step()
            except Exception as exc:  # a dev helper: keep watching, say what went wrong
                print(f"ses events stand-in: {type(exc).__name__}: {exc}", flush=True)
            time.sleep(every_s)


def in_moto_process(account: str = "123456789012", region: str = "us-east-1", **options: Any) -> SesEventsStandIn:
    """The stand-in over moto's in-process backends (run inside the moto server; tests use it
    over moto's in-process mock, with `delay_scale=0, from_now=True`)."""
    from moto.ses.models import ses_backends
    from moto.sns.models import sns_backends

    def ses() -> Any:
        return ses_backends[account][region]

    def topic_arn() -> str | None:
        for arn in list(sns_backends[account][region].topics):
            if arn.endswith(TOPIC_SUFFIX):
                return str(arn)
        return None

    def publish(arn: str, body: str) -> None:
        sns_backends[account][region].publish(body, arn=arn)

    return SesEventsStandIn(sent=lambda: list(ses().sent_messages), config_sets=lambda: set(ses().config_sets),
                            publish=publish, topic_arn=topic_arn, **options)


def start_in_moto_process() -> SesEventsStandIn:
    stand_in = in_moto_process()
    threading.Thread(target=stand_in.run, daemon=True, name="ses-events-stand-in").start()
    return stand_in
