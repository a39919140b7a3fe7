"""The TGR simulator's refund desk (dev only): refund orders against approved orders, completed
later by a signed notification, and reversals (contracargos). The contract is docs/refunds.md,
"TGR contract"; the simulator (`tgr.py`) serves these routes:

    POST /api/v1/refunds                          a refund order: 201 {"refund_order_id", "status": "accepted"}
                                                  (the same merchant_refund_reference again: 200, the same one),
                                                  or 422 {"error": {"code": "refund_rejected", "message"}}
    GET  /simulator/refunds[?merchant_reference=]  every refund order (or those of a payment)
    GET  /simulator/refunds/{refund_order_id}       one, with the notifications sent and SEM's answers
    POST /simulator/refunds/{refund_order_id}/complete  {"outcome": "completed"|"failed",
                                                  "duplicates": n, "late_duplicate_s": s}
                                                  notify SEM (signed); returns what SEM answered
    POST /simulator/orders/{order_id}/reverse     {"reason": "…", "duplicates": n, "notify_url": "…"}
                                                  a contracargo of an approved order, notified signed to
                                                  notify_url (default: the order's notify_url with its last
                                                  segment `refund-notifications`, as a merchant configures it)
    POST /simulator/refund-control                {"reject": "reason" | null}: refuse later refund orders

A refund notification is `POST <notify_url>` with `{"type": "refund", "notification_id", "refund_id"
(SEM's merchant_refund_reference), "refund_order_id", "order_id", "payment_id", "amount", "status":
"completed"|"failed", "completed_at", "failure_reason"}`; a reversal `{"type": "reversal",
"notification_id", "reversal_id", "order_id", "payment_id", "amount", "reason", "reversed_at"}`; both
signed with `X-TGR-Signature` exactly as payment notifications are.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Final

import requests

if TYPE_CHECKING:
    from devstack.simulators.tgr import TgrSimulator

REFUND_PATH: Final = re.compile(r"^/simulator/refunds/(TGRR-[A-Z0-9-]{1,40})(/complete)?$")
REVERSE_PATH: Final = re.compile(r"^/simulator/orders/(TGR-[A-Z0-9-]{1,40})/reverse$")
_REFERENCE: Final = re.compile(r"^[A-Za-z0-9._:#-]{1,128}$")
REFUND_OUTCOMES: Final = ("completed", "failed")


class Rejected(Exception):
    """TGR refuses the refund order (422)."""


@dataclass
class RefundOrder:
    refund_order_id: str
    merchant_refund_reference: str
    order_id: str
    merchant_reference: str
    municipality: str
    amount: int
    reason: str
    notify_url: str
    signed_order_sha256: str
    created_at: str
    status: str = "accepted"  # accepted | completed | failed
    completed_at: str | None = None
    notifications: list[dict[str, Any]] = field(default_factory=list)

    def same_request(self, data: dict[str, Any]) -> bool:
        return all(getattr(self, name) == value for name, value in data.items() if hasattr(self, name))


class RefundDesk:
    """Refund orders and reversals of one simulator (shares its lock, orders and secrets)."""

    def __init__(self, sim: TgrSimulator) -> None:
        self._sim = sim
        self._refunds: dict[str, RefundOrder] = {}
        self._by_reference: dict[str, str] = {}
        self._reversed: dict[str, dict[str, Any]] = {}
        self.reject_reason: str | None = None

    # -- orders ------------------------------------------------------------------------------

    def create(self, data: Any) -> tuple[RefundOrder, bool]:
        """The refund order of this merchant_refund_reference, and whether it was created now."""
        from devstack.simulators.tgr import MAX_AMOUNT, InvalidRequest, _int, _text, _url, now_santiago

        if not isinstance(data, dict):
            raise InvalidRequest(None, "the body must be a JSON object")
        reference = _text(data, "merchant_refund_reference", 128)
        if not _REFERENCE.match(reference):
            raise InvalidRequest("merchant_refund_reference", "must be 1-128 of A-Z a-z 0-9 . _ : # -")
        if data.get("currency") != "CLP":
            raise InvalidRequest("currency", "must be CLP")
        fields: dict[str, Any] = {"merchant_refund_reference": reference, "order_id": _text(data, "order_id", 80),
                  "merchant_reference": _text(data, "merchant_reference", 128),
                  "municipality": _text(data, "municipality", 5),
                  "amount": _int(data.get("amount"), "amount", 1, MAX_AMOUNT),
                  "reason": _text(data, "reason", 200), "notify_url": _url(data, "notify_url"),
                  "signed_order_sha256": _text(data, "signed_order_sha256", 64)}
        with self._sim._lock:
            existing = self._by_reference.get(reference)
            if existing is not None:
                return self._refunds[existing], False
            order = self._sim._orders.get(fields["order_id"])
            if order is None or order.merchant_reference != fields["merchant_reference"]:
                raise Rejected("La orden de pago no existe o no corresponde al pago indicado.")
            if order.status != "approved":
                raise Rejected("La orden de pago no está pagada.")
            if order.order_id in self._reversed:
                raise Rejected("La orden de pago fue reversada (contracargo).")
            returned = sum(r.amount for r in self._refunds.values()
                           if r.order_id == order.order_id and r.status != "failed")
            if returned + fields["amount"] > order.amount:
                raise Rejected("La devolución supera el monto pagado de la orden.")
            if self.reject_reason:
                raise Rejected(self.reject_reason)
            created = now_santiago()
            refund = RefundOrder(refund_order_id=f"TGRR-{created:%Y%m%d}-{secrets.token_hex(5).upper()}",
                                 created_at=created.isoformat(timespec="seconds"), **fields)
            self._refunds[refund.refund_order_id] = refund
            self._by_reference[reference] = refund.refund_order_id
            return refund, True

    def get(self, refund_order_id: str) -> RefundOrder:
        from devstack.simulators.tgr import UnknownOrder

        with self._sim._lock:
            try:
                return self._refunds[refund_order_id]
            except KeyError:
                raise UnknownOrder(refund_order_id) from None

    def listing(self, merchant_reference: str | None) -> list[dict[str, Any]]:
        with self._sim._lock:
            return [asdict(r) for r in self._refunds.values()
                    if merchant_reference is None or r.merchant_reference == merchant_reference]

    def control(self, data: Any) -> dict[str, Any]:
        from devstack.simulators.tgr import InvalidRequest

        if not isinstance(data, dict) or set(data) - {"reject"}:
            raise InvalidRequest(None, "the body must be {\"reject\": \"reason\" | null}")
        reject = data.get("reject")
        if reject is not None and (not isinstance(reject, str) or not reject.strip()):
            raise InvalidRequest("reject", "must be a reason or null")
        self.reject_reason = reject
        return {"reject": reject}

    def settlement_lines(self, municipality: str, day: str, omit: list[Any]) -> list[Any]:
        """The day's refund (`devolucion`) and reversal (`contracargo`) lines of the settlement file,
        negative, with SEM's refund id or TGR's reversal id as `autorizacion` (docs/settlement.md)."""
        from chalicelib.domain.reconciliation import SettlementLine

        lines = []
        with self._sim._lock:
            for refund in self._refunds.values():
                if (refund.municipality == municipality and refund.status == "completed"
                        and str(refund.completed_at)[:10] == day and refund.refund_order_id not in omit):
                    lines.append(SettlementLine(refund.refund_order_id, refund.merchant_reference, -refund.amount,
                                                "devolucion", refund.merchant_refund_reference,
                                                str(refund.completed_at)))
            for order_id, note in self._reversed.items():
                order = self._sim._orders.get(order_id)
                if (order is not None and order.municipality == municipality
                        and str(note["reversed_at"])[:10] == day and note["reversal_id"] not in omit):
                    lines.append(SettlementLine(order_id, str(note["payment_id"]), -int(note["amount"]),
                                                "contracargo", str(note["reversal_id"]), str(note["reversed_at"])))
        return lines

    # -- completion and reversal ---------------------------------------------------------------

    def complete(self, refund_order_id: str, data: Any) -> dict[str, Any]:
        """Close the refund order and notify SEM (with the duplicates asked for)."""
        from devstack.simulators.tgr import MAX_DELAY_S, MAX_DUPLICATES, Conflict, InvalidRequest, _int, now_santiago

        refund = self.get(refund_order_id)
        data = data if isinstance(data, dict) else {}
        outcome = data.get("outcome", "completed")
        if outcome not in REFUND_OUTCOMES:
            raise InvalidRequest("outcome", "must be completed or failed")
        duplicates = _int(data.get("duplicates", 0), "duplicates", 0, MAX_DUPLICATES)
        late = data.get("late_duplicate_s", 0)
        if isinstance(late, bool) or not isinstance(late, int | float) or not 0 <= late <= MAX_DELAY_S:
            raise InvalidRequest("late_duplicate_s", f"must be between 0 and {MAX_DELAY_S:g}")
        with self._sim._lock:
            if refund.status != "accepted":
                first = refund.notifications[0]["notification"] if refund.notifications else None
                if first is None or not duplicates:
                    raise Conflict("already_processed", f"the refund order is already {refund.status}")
                body = first
            else:
                refund.status, refund.completed_at = outcome, now_santiago().isoformat(timespec="seconds")
                body = {"type": "refund", "notification_id": str(uuid.uuid4()),
                        "refund_id": refund.merchant_refund_reference, "refund_order_id": refund.refund_order_id,
                        "order_id": refund.order_id, "payment_id": refund.merchant_reference,
                        "amount": refund.amount, "status": outcome, "completed_at": refund.completed_at,
                        "failure_reason": None if outcome == "completed" else "Cuenta de destino cerrada"}
        answers = [self._deliver(refund.notify_url, body) for _ in range(1 + duplicates)]
        with self._sim._lock:
            refund.notifications.extend(answers)
        if late:
            threading.Thread(target=self._late, args=(refund, body, float(late)), daemon=True,
                             name=f"late-{refund_order_id}").start()
        return {"refund_order_id": refund_order_id, "notification": body, **answers[0]["answer"],
                "duplicates": [a["answer"] for a in answers[1:]]}

    def reverse(self, order_id: str, data: Any) -> dict[str, Any]:
        """A contracargo of an approved order, notified to SEM (repeated `duplicates` times)."""
        from devstack.simulators.tgr import MAX_DUPLICATES, Conflict, InvalidRequest, _int, _url, now_santiago

        order = self._sim.order(order_id)
        data = data if isinstance(data, dict) else {}
        duplicates = _int(data.get("duplicates", 0), "duplicates", 0, MAX_DUPLICATES)
        reason = data.get("reason") or "Desconocimiento del cargo por el tarjetahabiente"
        if not isinstance(reason, str) or len(reason) > 200:
            raise InvalidRequest("reason", "must be at most 200 characters")
        notify_url = _url(data, "notify_url") if data.get("notify_url") else \
            order.notify_url.rsplit("/", 1)[0] + "/refund-notifications"
        with self._sim._lock:
            if order.status != "approved":
                raise Conflict("not_approved", "only an approved order can be reversed")
            body = self._reversed.get(order_id)
            if body is None:
                body = {"type": "reversal", "notification_id": str(uuid.uuid4()),
                        "reversal_id": f"CC-{secrets.token_hex(6).upper()}", "order_id": order.order_id,
                        "payment_id": order.merchant_reference, "amount": order.amount, "reason": reason,
                        "reversed_at": now_santiago().isoformat(timespec="seconds")}
                self._reversed[order_id] = body
        answers = [self._deliver(notify_url, body) for _ in range(1 + duplicates)]
        return {"order_id": order_id, "notification": body, **answers[0]["answer"],
                "duplicates": [a["answer"] for a in answers[1:]]}

    def _late(self, refund: RefundOrder, body: dict[str, Any], delay: float) -> None:
        if self._sim.stopping.wait(delay):
            return
        answer = self._deliver(refund.notify_url, body, kind="late_duplicate")
        with self._sim._lock:
            refund.notifications.append(answer)

    def _deliver(self, url: str, body: dict[str, Any], kind: str = "sent") -> dict[str, Any]:
        from devstack.simulators.tgr import signature_header

        raw = json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json",
                   "X-TGR-Signature": signature_header(self._sim.secrets[0], raw, int(time.time()))}
        try:
            response = requests.post(url, data=raw, headers=headers, timeout=self._sim.notify_timeout_s,
                                     allow_redirects=False)
        except requests.RequestException as exc:
            return {"kind": kind, "notification": body,
                    "answer": {"sem_status": 0, "sem_body": f"no answer: {type(exc).__name__}"}}
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text[:2000]
        return {"kind": kind, "notification": body, "answer": {"sem_status": response.status_code, "sem_body": answer}}
