"""E-mail through Amazon SES: one MIME message (text + HTML + attachments), sent raw.

Takes its boto3 SES client in the constructor and turns SES's errors into the platform's:
throttling, outages and timeouts are a retryable `DependencyUnavailable`; a rejected message, a
malformed address or an unverified sender is a non-retryable one (`retryable=False`) — retrying
cannot fix it, so the caller records it for officials instead.

The client should be built with the SDK's own retries off (`max_attempts=1`): a retried
`SendRawEmail` after a lost response is a second e-mail, and the receipts pipeline owns retries.
An error after the request may have reached SES (a read timeout, a reset connection) is
`email_outcome_unknown`: SES may have accepted the message, and only its events can tell.

Every message goes out under the platform's configuration set with its tags (municipality,
payment, receipt folio, attempt), so that SES publishes its send, delivery, bounce, complaint,
reject and delivery-delay events for it (docs/email-events.md).
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.adapters.aws_errors import error_code, error_detail, is_retryable
from chalicelib.domain.email_message import OutgoingEmail
from chalicelib.domain.errors import DependencyUnavailable

# Refusals that no retry fixes: the message, an address, the sender identity or the account.
_PERMANENT = {
    "MessageRejected", "InvalidParameterValue", "MailFromDomainNotVerifiedException",
    "ConfigurationSetDoesNotExist", "AccountSendingPausedException", "ConfigurationSetSendingPausedException",
    "ValidationError",
}


_TAG = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def build_mime(message: OutgoingEmail, configuration_set: str = "") -> bytes:
    """The raw message: multipart/mixed holding multipart/alternative (text, HTML) and the
    attachments, UTF-8, with CRLF line ends as SMTP wants."""
    from email import policy
    from email.message import EmailMessage
    from email.utils import formataddr, formatdate

    mime = EmailMessage(policy=policy.SMTP)
    mime["From"] = formataddr((message.sender_name, message.sender)) if message.sender_name else message.sender
    mime["To"] = message.recipient
    mime["Subject"] = message.subject
    mime["Date"] = formatdate(localtime=False, usegmt=True)
    mime["Content-Language"] = message.language
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to a no-reply sender
    if configuration_set:
        # SES reads (and strips) these headers of a raw message as it does the API parameters; the
        # local stand-in of SES's events reads them from what moto kept (devstack/ses_events.py).
        mime["X-SES-CONFIGURATION-SET"] = configuration_set
        if message.tags:  # ", ": a long header folds at the spaces (without them, it would be RFC 2047-encoded)
            mime["X-SES-MESSAGE-TAGS"] = ", ".join(f"{name}={value}" for name, value in message.tags.items())
    mime.set_content(message.text, subtype="plain", charset="utf-8")
    mime.add_alternative(message.html, subtype="html", charset="utf-8")
    for attachment in message.attachments:
        mime.add_attachment(attachment.content, maintype=attachment.maintype, subtype=attachment.subtype,
                            filename=attachment.filename)
    return mime.as_bytes()


class Mailer:
    """Send e-mails with SES's SendRawEmail, under a configuration set (its event destination
    publishes what becomes of each message)."""

    def __init__(self, client: Any, configuration_set: str = "") -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, message: OutgoingEmail) -> str:
        """Send one e-mail; returns SES's message id."""
        from botocore.exceptions import BotoCoreError, ClientError

        bad = [f"{k}={v}" for k, v in message.tags.items() if not (_TAG.match(k) and _TAG.match(v))]
        if bad:
            raise ValueError(f"SES message tags must be ASCII letters, digits, _ or -: {bad}")
        raw = build_mime(message, self._configuration_set)
        extra: dict[str, Any] = {}
        if self._configuration_set:
            extra["ConfigurationSetName"] = self._configuration_set
            extra["Tags"] = [{"Name": k, "Value": v} for k, v in message.tags.items()]
        try:
            response = self._client.send_raw_email(Source=message.sender, Destinations=[message.recipient],
                                                   RawMessage={"Data": raw}, **extra)
        except ClientError as exc:
            if error_code(exc) in _PERMANENT or not is_retryable(exc):  # permanent even when answered with a 5xx
                raise DependencyUnavailable(f"El servicio de correo rechazó el mensaje ({error_code(exc)}: "
                                            f"{error_detail(exc)})."[:300], code="email_rejected",
                                            retryable=False) from exc
            raise DependencyUnavailable("El servicio de correo no está disponible.", code="email_unavailable") from exc
        except BotoCoreError as exc:  # connection errors and timeouts
            from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

            if isinstance(exc, ConnectTimeoutError | EndpointConnectionError):  # never reached SES
                raise DependencyUnavailable("El servicio de correo no está disponible.",
                                            code="email_unavailable") from exc
            raise DependencyUnavailable("El servicio de correo no respondió; el envío pudo haberse aceptado.",
                                        code="email_outcome_unknown") from exc
        message_id: str = response["MessageId"]
        return message_id
