"""A fake TGR for the in-app tests: it records the orders SEM creates (notifications are posted
by the tests themselves, signed as TGR signs them). The e2e tests use the simulator over HTTP."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.tgr_client import GatewayOrder
from chalicelib.domain.errors import DependencyUnavailable


class FakeGateway:
    """TGR's order creation, one order per payment; `fail = True` makes TGR unreachable."""

    def __init__(self, *, prefix: str = "TGR-", checkout: str = "http://127.0.0.1:9/checkout/") -> None:
        self.orders: dict[str, GatewayOrder] = {}
        self.return_urls: list[str] = []
        self.fail = False
        self._prefix, self._checkout = prefix, checkout

    def create_order(self, *, payment_id: str, return_url: str = "", **_: Any) -> GatewayOrder:
        self.return_urls.append(return_url)
        if self.fail:
            raise DependencyUnavailable("down", code="gateway_unavailable")
        order_id = f"{self._prefix}{len(self.orders) + 1}"
        return self.orders.setdefault(payment_id, GatewayOrder(order_id, f"{self._checkout}{order_id}"))
