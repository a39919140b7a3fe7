"""The e-mails the platform sends citizens, rendered in Spanish: the receipt (Jinja templates in
`assets/email/`, the signed PDF attached), the annulment document and the debt reminder; and the
check of a payment e-mail's addresses. Rendering only: the mailer adapter sends."""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from chalicelib.documents.receipt_content import branding_of
from chalicelib.domain.email_message import Attachment, OutgoingEmail
from chalicelib.domain.errors import DependencyUnavailable, InvalidInput
from chalicelib.domain.labels import PAYMENT_METHOD_TEXT, display_name
from chalicelib.domain.money import format_clp, format_date
from chalicelib.domain.receipt_codes import privacy_url, verify_url
from chalicelib.domain.receipt_state import issued_receipt
from chalicelib.domain.reminders import KIND_TEXT
from chalicelib.domain.senders import sender_allowed
from chalicelib.domain.signature_kinds import SignatureKind

EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "assets" / "email"


def mail_addresses(payment: Mapping[str, Any], config: Mapping[str, Any]) -> tuple[str, str]:
    """The sender (the municipality's, verified for it: docs/security.md) and the payer's address
    of a document e-mailed for a payment; a permanent failure (not retried) when either is unusable."""
    sender = str(config.get("sender_email") or "")
    if not sender:
        raise DependencyUnavailable("La municipalidad no tiene configurado un remitente de correo.",
                                    code="sender_not_configured", retryable=False)
    if not sender_allowed(sender, config.get("sender_identities") or []):  # checked again at sending
        raise DependencyUnavailable("El remitente de la municipalidad no está verificado para ella.",
                                    code="sender_not_verified", retryable=False)
    recipient = str((payment.get("payer") or {}).get("email") or "")
    if "@" not in recipient:
        raise DependencyUnavailable("El pago no tiene una dirección de correo válida.", code="recipient_invalid",
                                    retryable=False)
    return sender, recipient


def receipt_email(payment: Mapping[str, Any], allocation: Mapping[str, Any], config: Mapping[str, Any],
                  pdf: bytes, public_api_url: str, *, kind: SignatureKind | None = None) -> OutgoingEmail:
    """The receipt e-mail (Spanish, text and HTML from the templates, the signed PDF attached);
    `kind`: what the PDF's signature is, stated as such (unknown: just "firmado electrónicamente")."""
    sender, recipient = mail_addresses(payment, config)
    payer = payment.get("payer") or {}
    branding = branding_of(config)
    folio = str(allocation["folio"])
    filename = f"comprobante-{folio}.pdf"
    issued = datetime.fromisoformat(str(allocation["issued_at"]))
    values = {
        "municipality": {"name": display_name(config), "legal_name": config.get("legal_name", ""),
                         "address": config.get("address", "")},
        "primary_color": branding.primary_color, "secondary_color": branding.secondary_color,
        "payer_name": payer.get("name", ""), "folio": folio, "verification_code": allocation["verification_code"],
        "issued_on": format_date(issued.date()), "total": format_clp(int(payment["amount"])),
        "items": [{"description": i.get("description", ""), "amount": format_clp(int(i.get("amount", 0)))}
                  for i in payment.get("items", [])],
        "method": PAYMENT_METHOD_TEXT.get(str(payment.get("method")), str(payment.get("method") or "")),
        "authorization_code": payment.get("authorization_code") or "",
        "verify_url": verify_url(public_api_url, folio, str(allocation["verification_code"])),
        "privacy_url": privacy_url(public_api_url, str(payment.get("municipality") or folio[:5])),
        "filename": filename,
        "signature_sentence": kind.sentence() if kind else "firmado electrónicamente conforme a la Ley N° 19.799",
    }
    env = _templates()
    return OutgoingEmail(
        sender=sender, sender_name=display_name(config), recipient=recipient,
        subject=f"Comprobante de pago {folio} — {display_name(config)}",
        text=env.get_template("receipt.txt.j2").render(values),
        html=env.get_template("receipt.html.j2").render(values),
        attachments=(Attachment(filename=filename, content=pdf),))


@cache
def _templates() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(loader=FileSystemLoader(EMAIL_TEMPLATES), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True,
                                                    default=False),
                       keep_trailing_newline=True)


def annulment_email(payment: Mapping[str, Any], config: Mapping[str, Any], pdf: bytes, folio: str, title: str
                    ) -> OutgoingEmail:
    """The e-mail carrying a comprobante de anulación or a nota de crédito (`title`), its PDF attached."""
    sender, recipient = mail_addresses(payment, config)
    payer = payment.get("payer") or {}
    receipt = (issued_receipt(payment) or {}).get("folio") or "—"
    name = display_name(config)
    text = (f"Estimado(a) {payer.get('name', '')}:\n\n{name} le envía el {title.lower()} {folio}, firmado "
            f"electrónicamente, por la devolución o reversa de su pago {payment['payment_id']} (comprobante de pago "
            f"{receipt}). Lo encontrará adjunto en PDF.\n\nEste es un mensaje automático; no lo responda.\n")
    markup = "".join(f"<p>{html.escape(part)}</p>" for part in text.split("\n\n"))
    attachment = Attachment(filename=f"anulacion-{folio}.pdf", content=pdf)
    return OutgoingEmail(sender=sender, sender_name=name, recipient=recipient, subject=f"{title} {folio} — {name}",
                         text=text, html=markup, attachments=(attachment,))


def reminder_email(config: Mapping[str, Any], debt: Mapping[str, Any], kind: str, email: str, unsubscribe: str
                   ) -> OutgoingEmail:
    """The reminder that a debt falls due soon (`kind` "before") or is overdue ("after"), with the
    link that stops them (`unsubscribe`); `InvalidInput` when the municipality cannot send it."""
    sender = _reminder_sender(config)
    name = display_name(config)
    branding = branding_of(config)
    due_text = format_date(date.fromisoformat(str(debt["due_date"])))
    amount = format_clp(int(debt["amount"]))
    leave = unsubscribe
    lead = (f"Le recordamos que {debt['description']} vence el {due_text}." if kind == "before" else
            f"{debt['description']} venció el {due_text} y aún figura impaga.")
    subject = f"{name}: {debt['description']} {KIND_TEXT[kind]}"
    text = (f"{lead}\nMonto: {amount}.\nPuede pagarla en Mis pagos o en el sitio de la municipalidad.\n\n"
            f"Recibe este correo porque pidió recordatorios. Para no recibir más: {leave}\n")
    body = (f'<div style="font-family:sans-serif"><h2 style="color:{html.escape(branding.primary_color)}">'
            f"{html.escape(name)}</h2><p>{html.escape(lead)}</p><p>Monto: <strong>{html.escape(amount)}</strong></p>"
            "<p>Puede pagarla en Mis pagos o en el sitio de la municipalidad.</p>"
            f'<p style="font-size:12px;color:#555">Recibe este correo porque pidió recordatorios. '
            f'<a href="{html.escape(leave)}">Dejar de recibir recordatorios</a>.</p></div>')
    return OutgoingEmail(sender=sender, sender_name=name, recipient=email, subject=subject[:180], text=text,
                         html=body)


def renewal_email(config: Mapping[str, Any], plate: str, year: int, deadline: date, email: str, unsubscribe: str
                  ) -> OutgoingEmail:
    """The February reminder that next year's permit of a plate paid last year can be paid, with its
    deadline and the link that stops reminders; `InvalidInput` when the municipality cannot send it."""
    sender = _reminder_sender(config)
    name = display_name(config)
    branding = branding_of(config)
    lead = (f"Ya puede pagar el permiso de circulación {year} de la patente {plate}, que pagó el año pasado. "
            f"El plazo vence el {format_date(deadline)}.")
    subject = f"{name}: permiso de circulación {year}, {plate} {KIND_TEXT['renewal']}"
    text = (f"{lead}\nPuede pagarlo en Mis pagos o en el sitio de la municipalidad.\n\n"
            f"Recibe este correo porque pidió recordatorios. Para no recibir más: {unsubscribe}\n")
    body = (f'<div style="font-family:sans-serif"><h2 style="color:{html.escape(branding.primary_color)}">'
            f"{html.escape(name)}</h2><p>{html.escape(lead)}</p>"
            "<p>Puede pagarlo en Mis pagos o en el sitio de la municipalidad.</p>"
            f'<p style="font-size:12px;color:#555">Recibe este correo porque pidió recordatorios. '
            f'<a href="{html.escape(unsubscribe)}">Dejar de recibir recordatorios</a>.</p></div>')
    return OutgoingEmail(sender=sender, sender_name=name, recipient=email, subject=subject[:180], text=text,
                         html=body)


def _reminder_sender(config: Mapping[str, Any]) -> str:
    """The municipality's sender for reminders: configured and verified for it, as for receipts
    (docs/security.md); `InvalidInput` otherwise."""
    sender = str(config.get("sender_email") or "")
    if not sender:
        raise InvalidInput("La municipalidad no tiene remitente de correo configurado.", code="sender_not_configured")
    if not sender_allowed(sender, config.get("sender_identities") or []):
        raise InvalidInput("El remitente de la municipalidad no está verificado para ella.", code="sender_not_verified")
    return sender
