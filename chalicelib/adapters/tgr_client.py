"""The TGR payment portal's merchant API: creating the order a citizen pays at the checkout.

Creating an order is safe to retry because TGR deduplicates by `merchant_reference` (our payment
id): a repeat returns the same order. So transport failures and 5xx answers are retried a bounded
number of times; anything else is an answer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import DependencyUnavailable


@dataclass(frozen=True)
class GatewayOrder:
    order_id: str
    checkout_url: str


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
        import requests

        session = self._session or requests.Session()
        body = {"merchant_reference": payment_id, "municipality": municipality, "amount": amount,
                "currency": "CLP", "description": description[:200], "return_url": return_url,
                "notify_url": notify_url}
        last: str = "no answer"
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(self._backoff_s * 2 ** (attempt - 1))
            try:
                response = session.post(f"{self._base_url}/api/v1/orders", json=body, timeout=self._timeout)
            except requests.RequestException as exc:
                last = type(exc).__name__
                continue
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code not in (200, 201):
                raise DependencyUnavailable(
                    "El portal de pagos de la Tesorería rechazó la orden; intente más tarde.",
                    code="gateway_refused", retryable=False)
            try:
                data = response.json()
                return GatewayOrder(order_id=str(data["order_id"]), checkout_url=str(data["checkout_url"]))
            except (ValueError, KeyError, TypeError):
                last = "malformed answer"
                continue
        raise DependencyUnavailable(f"El portal de pagos de la Tesorería no responde ({last}); intente nuevamente.",
                                    code="gateway_unavailable", retry_after=30)
