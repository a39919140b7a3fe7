"""An e-mail as the platform composes it (documents/emails.py) and the mailer sends it: plain
data, so the documents that write e-mails need nothing of the adapter that sends them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


@dataclass(frozen=True)
class OutgoingEmail:
    """One e-mail to one recipient."""

    sender: str
    """The verified SES identity, e.g. ``no-responder@munistgo.cl``."""
    recipient: str
    subject: str
    text: str
    html: str
    sender_name: str = ""
    """Display name, e.g. ``"Municipalidad de Valparaíso"`` (encoded as RFC 2047 when needed)."""
    attachments: Sequence[Attachment] = field(default=())
    language: str = "es-CL"
    tags: Mapping[str, str] = field(default_factory=dict)
    """SES message tags (name -> value; ASCII letters, digits, ``_`` and ``-`` only, as SES requires), given
    back in every event SES publishes for the message."""
