"""Refunds and reversals as rules: reasons, a refund's states, what may be refunded, and what a
TGR refund notification does. Pure: callers pass the time and the randomness.

Legal frame (docs/refunds.md): what was paid without being owed — a payment made twice, an
amount that does not match, a permit paid in the wrong municipality — must be given back (Código
Civil art. 2295, pago de lo no debido). Giving it back is an act of the municipal treasury, so it
is an order signed with an advanced electronic signature (Ley 19.799, art. 2 letra g and art. 3)
by a profile that authorizes payments, and never more than what TGR collected.

A refund's states:

    proposed ──signed by a profile that authorizes payments──▶ authorized ──TGR accepted──▶ accepted
    proposed ──withdrawn──▶ cancelled
    authorized / accepted ──TGR notified completed──▶ completed
    authorized ──TGR rejected the order──▶ rejected;  authorized / accepted ──TGR notified failed──▶ failed

A refund is whole (every item not yet refunded, or — for a payment in review — what TGR collected)
or by item. One refund at a time per payment: a second proposal waits until the first is closed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.domain.errors import Conflict, InvalidInput

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFUND_ID = re.compile(r"^RF-[0-9A-HJKMNP-TV-Z]{26}$")

REASONS: dict[str, str] = {
    "double_payment": "Pago duplicado",
    "amount_mismatch": "Monto cobrado no corresponde",
    "wrong_municipality": "Pagado en otra municipalidad",
    "not_owed": "Cobro improcedente (exento, ya pagado por otra vía o sin causa)",
    "citizen_withdrawal": "Desistimiento del contribuyente antes de usar el permiso",
    "other": "Otro motivo (ver descripción)",
}
"""Why money goes back: the list officials choose from, with free text beside it."""


class RefundStatus(StrEnum):
    PROPOSED = "proposed"
    AUTHORIZED = "authorized"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    CANCELLED = "cancelled"


STATUS_TEXT = {
    RefundStatus.PROPOSED: "Propuesta, por autorizar",
    RefundStatus.AUTHORIZED: "Autorizada con firma; enviada a la Tesorería",
    RefundStatus.ACCEPTED: "Aceptada por la Tesorería; en pago",
    RefundStatus.COMPLETED: "Devuelta al contribuyente",
    RefundStatus.REJECTED: "Rechazada por la Tesorería",
    RefundStatus.FAILED: "Fallida en la Tesorería",
    RefundStatus.CANCELLED: "Retirada",
}

OPEN = frozenset({RefundStatus.PROPOSED, RefundStatus.AUTHORIZED, RefundStatus.ACCEPTED})
IN_FLIGHT = frozenset({RefundStatus.AUTHORIZED, RefundStatus.ACCEPTED})
REFUNDABLE_PAYMENT_STATES = ("paid", "review", "partially_refunded", "refund_failed")
REVERSIBLE_PAYMENT_STATES = ("paid", "review", "partially_refunded", "refund_failed", "refund_pending")


def new_refund_id(millis: int, random80: bytes) -> str:
    """`RF-<ULID>`: sorts by creation time; the payment (and so the municipality) is its parent."""
    if len(random80) != 10:
        raise ValueError("random80 must be 10 bytes")
    value = (millis << 80) | int.from_bytes(random80, "big")
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "RF-" + "".join(reversed(chars))


def check_refund_id(refund_id: str) -> str:
    if not REFUND_ID.match(refund_id or ""):
        raise InvalidInput("El identificador de la devolución no es válido.", code="invalid_refund_id",
                           field="refund_id")
    return refund_id


def collected(payment: Mapping[str, Any]) -> int:
    """What TGR collected for the payment: its notified amount when it differed (review), else its amount."""
    gateway_amount = payment.get("gateway_amount")
    return int(gateway_amount) if gateway_amount is not None else int(payment.get("amount", 0))


def refunded_so_far(payment: Mapping[str, Any]) -> int:
    return int(payment.get("refunded_amount", 0))


@dataclass(frozen=True)
class RefundPlan:
    """What one refund returns: the amount and the item indexes (empty: the whole collected amount
    of a payment whose items do not add up to it, i.e. one in review)."""

    amount: int
    items: tuple[int, ...]
    whole: bool


def plan_refund(payment: Mapping[str, Any], items: Sequence[int] | None, amount: int | None = None) -> RefundPlan:
    """Check a requested refund against the payment; `items` None means whole. `amount`, when the
    caller states one, must be what the items add up to (a guard against a stale screen)."""
    status = str(payment.get("status"))
    if status == "refund_pending":
        raise Conflict("El pago ya tiene una devolución en curso.", code="refund_in_progress")
    if status in ("refunded", "reversed"):
        raise Conflict("El pago ya fue devuelto o reversado por completo.", code="already_refunded")
    if status not in REFUNDABLE_PAYMENT_STATES:
        raise Conflict("Solo se devuelve un pago pagado o en revisión; este no recibió dinero.",
                       code="payment_not_refundable")
    done = {int(i) for i in payment.get("refunded_items", [])}
    lines = list(payment.get("items", []))
    remaining = collected(payment) - refunded_so_far(payment)
    if items is None:
        chosen = tuple(i for i in range(len(lines)) if i not in done)
        total = remaining
        whole = True
    else:
        if not items:
            raise InvalidInput("Elija al menos un ítem, u omita «items» para devolver todo.", code="invalid_items",
                               field="items")
        if len(set(items)) != len(items):
            raise InvalidInput("Un ítem se repite.", code="invalid_items", field="items")
        for index in items:
            if not 0 <= index < len(lines):
                raise InvalidInput(f"El pago no tiene el ítem {index}.", code="invalid_items", field="items")
            if index in done:
                raise Conflict(f"El ítem {index} ya fue devuelto.", code="already_refunded", field="items")
        chosen = tuple(sorted(items))
        total = sum(int(lines[i].get("amount", 0)) for i in chosen)
        whole = len(done) + len(chosen) == len(lines) and total == remaining
    if total <= 0:
        raise Conflict("No queda monto por devolver en este pago.", code="already_refunded")
    if total > remaining:
        raise Conflict(f"La devolución ({total}) supera lo pagado que queda por devolver ({remaining}).",
                       code="refund_exceeds_paid", field="items")
    if amount is not None and amount != total:
        raise InvalidInput(f"El monto indicado no coincide con los ítems elegidos ({total}).",
                           code="amount_mismatch", field="amount")
    return RefundPlan(amount=total, items=chosen, whole=whole)


def check_reason(reason: str, note: str) -> None:
    if reason not in REASONS:
        raise InvalidInput("Motivo de devolución desconocido.", code="invalid_reason", field="reason")
    if reason == "other" and not note.strip():
        raise InvalidInput("Con el motivo «Otro» describa la causa.", code="note_required", field="note")


@dataclass(frozen=True)
class RefundDecision:
    """What a TGR refund notification does to the refund (and so to the payment)."""

    outcome: str  # "applied" | "duplicate" | "ignored"
    new_status: RefundStatus | None
    reason: str


def decide_refund_result(current: RefundStatus, notified: str) -> RefundDecision:
    """`notified`: `completed` or `failed`. A repeat is a duplicate; a late contrary one is ignored."""
    target = RefundStatus.COMPLETED if notified == "completed" else RefundStatus.FAILED
    if current in IN_FLIGHT:
        return RefundDecision("applied", target, f"refund {notified} at the gateway")
    if current is target or (current is RefundStatus.REJECTED and target is RefundStatus.FAILED):
        return RefundDecision("duplicate", None, f"refund already {current.value}")
    return RefundDecision("ignored", None, f"refund is {current.value}; a {notified} notification changes nothing")


def payment_status_after(payment: Mapping[str, Any], refund_amount: int) -> str:
    """The payment's state once a refund of `refund_amount` is completed."""
    return "refunded" if refunded_so_far(payment) + refund_amount >= collected(payment) else "partially_refunded"
