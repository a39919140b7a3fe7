"""Payments as rules: identifiers, the state machine, what a gateway notification does to a
payment, and which items a payment holds. Pure: callers pass the time and the randomness.

States:

    pending ──approved, amount matches──▶ paid
    pending ──approved, amount differs──▶ review      (money taken; an official resolves it)
    pending ──rejected──────────────────▶ rejected
    pending ──expiry time passed────────▶ expired
    pending ──gateway order failed──────▶ cancelled
    rejected / expired / cancelled ──approved──▶ review (TGR collected money for a closed payment)

Money back (docs/refunds.md, `domain/refunds.py`):

    paid / review / partially_refunded / refund_failed ──signed refund order──▶ refund_pending
    refund_pending ──TGR completed, all paid returned──▶ refunded
    refund_pending ──TGR completed, part returned─────▶ partially_refunded
    refund_pending ──TGR rejected or failed───────────▶ refund_failed
    any state where TGR holds money ──contracargo────▶ reversed

`paid`, `rejected`, `expired`, `cancelled` and `review` are terminal for notifications: a repeat
of the notification that caused them is a duplicate, anything else is ignored (and said so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from chalicelib.domain.errors import InvalidInput

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAYMENT_ID = re.compile(r"^([0-9]{5})-([0-9A-HJKMNP-TV-Z]{26})$")
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9-]{1,255}$")


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REVIEW = "review"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUND_FAILED = "refund_failed"
    REVERSED = "reversed"


class NotifiedStatus(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


STATUS_TEXT = {
    PaymentStatus.PENDING: "Pendiente de pago",
    PaymentStatus.PAID: "Pagado",
    PaymentStatus.REJECTED: "Rechazado",
    PaymentStatus.EXPIRED: "Expirado",
    PaymentStatus.CANCELLED: "Anulado",
    PaymentStatus.REVIEW: "En revisión",
    PaymentStatus.REFUND_PENDING: "Devolución en curso",
    PaymentStatus.REFUNDED: "Devuelto",
    PaymentStatus.PARTIALLY_REFUNDED: "Devuelto en parte",
    PaymentStatus.REFUND_FAILED: "Devolución fallida",
    PaymentStatus.REVERSED: "Contracargo (reversado)",
}


def utc_key(moment: datetime | str) -> str:
    """A moment as a sortable UTC key (`2027-03-20T13:00:00Z`): what indexes and conditions compare,
    so Chile's daylight-saving changes never reorder anything."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_payment_id(municipality: str, millis: int, random80: bytes) -> str:
    """`<CUT>-<ULID>`: the municipality is part of the id (so every look-up is tenant-scoped) and
    the ULID sorts by creation time."""
    if len(random80) != 10:
        raise ValueError("random80 must be 10 bytes")
    value = (millis << 80) | int.from_bytes(random80, "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return f"{municipality}-{''.join(reversed(chars))}"


def payment_id_millis(payment_id: str) -> int:
    """When a payment id was made (`new_payment_id`'s milliseconds since the epoch)."""
    value = 0
    for char in payment_id.rsplit("-", 1)[-1]:
        value = (value << 5) | _CROCKFORD.index(char)
    return value >> 80


def municipality_of(payment_id: str) -> str:
    """The municipality a payment id belongs to, or 404-worthy `InvalidInput` for a malformed id."""
    match = PAYMENT_ID.match(payment_id or "")
    if not match:
        raise InvalidInput("El identificador de pago no es válido.", code="invalid_payment_id", field="payment_id")
    return match.group(1)


def check_idempotency_key(key: str | None) -> str:
    """The `Idempotency-Key` header: required, 1–255 of [A-Za-z0-9-]."""
    if not key:
        raise InvalidInput("Falta el encabezado Idempotency-Key.", code="idempotency_key_required",
                           field="Idempotency-Key")
    if not IDEMPOTENCY_KEY.match(key):
        raise InvalidInput("Idempotency-Key debe tener entre 1 y 255 caracteres A-Z, a-z, 0-9 o guion.",
                           code="invalid_idempotency_key", field="Idempotency-Key")
    return key


@dataclass(frozen=True)
class NotificationDecision:
    """What a gateway notification does: move the payment to `new_status`, or nothing."""

    outcome: str  # "applied" | "duplicate" | "ignored"
    new_status: PaymentStatus | None
    reason: str


def decide_notification(current: PaymentStatus, notified: NotifiedStatus, *, amount_matches: bool
                        ) -> NotificationDecision:
    """The state machine's answer to a TGR notification."""
    approved = notified is NotifiedStatus.APPROVED
    if current is PaymentStatus.PENDING:
        if not approved:
            return NotificationDecision("applied", PaymentStatus.REJECTED, "rejected by the gateway")
        if amount_matches:
            return NotificationDecision("applied", PaymentStatus.PAID, "approved by the gateway")
        return NotificationDecision("applied", PaymentStatus.REVIEW, "notified amount differs from the payment's")
    if current is PaymentStatus.PAID:
        if approved:
            return NotificationDecision("duplicate", None, "payment already paid")
        return NotificationDecision("ignored", None, "payment already paid; a later rejection changes nothing")
    if current is PaymentStatus.REJECTED and not approved:
        return NotificationDecision("duplicate", None, "payment already rejected")
    if current in (PaymentStatus.REJECTED, PaymentStatus.EXPIRED, PaymentStatus.CANCELLED) and approved:
        return NotificationDecision("applied", PaymentStatus.REVIEW,
                                    f"approved after the payment was {current.value}")
    return NotificationDecision("ignored", None, f"payment is {current.value}")


AFTER_PAID = frozenset({"refund_pending", "refunded", "partially_refunded", "refund_failed", "reversed"})


def went_through_paid(meta: dict[str, object]) -> bool:
    """Whether a payment was collected as `paid` on its `paid_at` day, whatever came later (a refund
    or a reversal is its own later line): the day's batch and the reconciliation still count it.
    A payment resolved from `review` never was; `receipt_job` is written only by the step that
    marks a payment paid, so it tells the two apart."""
    status = meta.get("status")
    return status == "paid" or (status in AFTER_PAID and meta.get("receipt_job") is not None)


def permit_hold_keys(plate: str, year: int, installment: str) -> list[str]:
    """The holds a permit item takes: each installment is one; the full permit takes both."""
    halves = {"first": ["1"], "second": ["2"], "full": ["1", "2"]}[installment]
    return [f"PERMIT#{plate}#{year}#{half}" for half in halves]


def second_installment_debt_id(year: int | str, plate: str) -> str:
    """The id of the debt a paid first installment leaves for the year's second one (DL 3.063,
    art. 15: the permit may be paid in two installments, the second due in August)."""
    return f"SEG-{year}-{plate}"


def second_installment_of(item: dict[str, object]) -> str | None:
    """The second-installment debt an item creates when paid: a permit's first installment whose
    owner is known; None for any other item."""
    if item.get("type") == "permit" and item.get("installment") == "first" and item.get("owner_rut"):
        return second_installment_debt_id(str(item["year"]), str(item["plate"]))
    return None


def debt_hold_key(debt_id: str) -> str:
    return f"DEBT#{debt_id}"


def mask_name(name: str) -> str:
    """A name as shown to whoever knows only a plate: initials only ("M*** P*** S***")."""
    return " ".join(f"{part[0]}***" for part in name.split() if part)
