"""The TGR payment portal's merchant API: creating the order a citizen pays at the checkout, and
the refund order that gives (part of) a paid order's money back (docs/refunds.md, "TGR contract").

Creating an order is safe to retry because TGR deduplicates by `merchant_reference` (our payment
id): a repeat returns the same order. So transport failures and 5xx answers are retried a bounded
number of times; anything else is an answer."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from chalicelib.domain.errors import DependencyUnavailable

T = TypeVar("T")


@dataclass(frozen=True)
class GatewayOrder:
    order_id: str
    checkout_url: str


@dataclass(frozen=True)
class RefundOrder:
    """TGR's answer to a refund order: `accepted` (completed later by a signed notification) or
    `rejected` (with TGR's reason; nothing will be paid)."""

    status: str
    refund_order_id: str | None
    reason: str | None = None


class TgrClient:
    """HTTP client of TGR's order API."""

    def __init__(self, base_url: str, *, connect_timeout_s: float = 2.0, read_timeout_s: float = 8.0,
                 attempts: int = 3, backoff_s: float = 0.2, session: Any = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = (connect_timeout_s, read_timeout_s)
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._session = session

    def create_order(self, *, payment_id: str, municipality: str, amount: int, description: str,
                     return_url: str, notify_url: str) -> GatewayOrder:
        """The order for one payment (the same order again for the same payment)."""
        body = {"merchant_reference": payment_id, "municipality": municipality, "amount": amount,
                "currency": "CLP", "description": description[:200], "return_url": return_url,
                "notify_url": notify_url}

        def answer(status: int, data: Any) -> GatewayOrder | None:
            if status not in (200, 201):
                raise DependencyUnavailable(
                    "El portal de pagos de la Tesorería rechazó la orden; intente más tarde.",
                    code="gateway_refused", retryable=False)
            try:
                return GatewayOrder(order_id=str(data["order_id"]), checkout_url=str(data["checkout_url"]))
            except (KeyError, TypeError):
                return None

        return self._post("/api/v1/orders", body, answer, unavailable="intente nuevamente.")

    def create_refund(self, *, refund_id: str, order_id: str, payment_id: str, municipality: str, amount: int,
                      reason: str, notify_url: str, signed_order_sha256: str) -> RefundOrder:
        """Ask TGR to return `amount` of a paid order. Safe to retry: TGR deduplicates by
        `merchant_refund_reference` (our refund id). A 422 is TGR's refusal, not a failure."""
        body = {"merchant_refund_reference": refund_id, "order_id": order_id, "merchant_reference": payment_id,
                "municipality": municipality, "amount": amount, "currency": "CLP", "reason": reason[:200],
                "notify_url": notify_url, "signed_order_sha256": signed_order_sha256}

        def answer(status: int, data: Any) -> RefundOrder | None:
            if data is None:  # not JSON, whatever the status: asked again
                return None
            if status == 422 and isinstance(data, dict):
                error = data.get("error") or {}
                return RefundOrder("rejected", None, str(error.get("message") or error.get("code") or "rechazada"))
            if status in (200, 201) and isinstance(data, dict) and data.get("refund_order_id"):
                return RefundOrder(str(data.get("status") or "accepted"), str(data["refund_order_id"]))
            if status in (200, 201):
                return None
            raise DependencyUnavailable(
                "El portal de pagos de la Tesorería no aceptó la orden de devolución; intente más tarde.",
                code="gateway_refused", retryable=False)

        return self._post("/api/v1/refunds", body, answer,
                          unavailable="la orden de devolución queda firmada y se puede reenviar.")

    def _post(self, path: str, body: dict[str, Any], answer: Callable[[int, Any], T | None], *,
              unavailable: str) -> T:
        """POST `body` to TGR, retrying (with backoff) what may succeed later: no answer, a 5xx, or
        an answer `answer` cannot read (it returns None). `answer` decides the rest, refusals too."""
        import requests

        session = self._session or requests.Session()
        last: str = "no answer"
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                response = session.post(f"{self._base_url}{path}", json=body, timeout=self._timeout)
            except requests.RequestException as exc:
                last = type(exc).__name__
                continue
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                continue
            try:
                data: Any = response.json()
            except ValueError:
                data = None
            result = answer(response.status_code, data)
            if result is None:
                last = "malformed answer"
                continue
            return result
        raise DependencyUnavailable(f"El portal de pagos de la Tesorería no responde ({last}); {unavailable}",
                                    code="gateway_unavailable", retry_after=30)
