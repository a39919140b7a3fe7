"""Shared helpers for tests of the citizen's space against moto and the ClaveÚnica simulator:
a recording TGR, the Chalice client world, and signing in as a demo citizen."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from chalicelib import wiring
from chalicelib.adapters.tgr_client import GatewayOrder

PAGE = "http://127.0.0.1:8400/mis-pagos/"


class RecordingGateway:
    """TGR as a recorder: one order per payment, and every return address asked for."""

    def __init__(self) -> None:
        self.orders: dict[str, GatewayOrder] = {}
        self.return_urls: list[str] = []

    def create_order(self, *, payment_id: str, municipality: str, amount: int, description: str, return_url: str,
                     notify_url: str) -> GatewayOrder:
        self.return_urls.append(return_url)
        return self.orders.setdefault(payment_id, GatewayOrder(f"TGR-{len(self.orders) + 1}",
                                                               f"http://127.0.0.1:9/checkout/{payment_id}"))


def citizen_world() -> Iterator[dict[str, Any]]:
    """The app on the test stage with the simulator as ClaveÚnica and a recording TGR (use inside
    a module fixture over `shared_demo_stack`)."""
    from chalice.test import Client

    from app import app
    from devstack.simulators.claveunica import ClaveUnicaSimulator

    gateway = RecordingGateway()
    sim = ClaveUnicaSimulator(os.environ["SEM_CLAVEUNICA_CLIENT_ID"], os.environ["SEM_CLAVEUNICA_CLIENT_SECRET"])
    with sim, pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEM_CLAVEUNICA_ISSUER", sim.issuer)
        mp.setenv("SEM_CLAVEUNICA_REDIRECT_URI", PAGE)
        wiring.reset()
        real = wiring.payment_context

        def context() -> Any:
            ctx = real()
            ctx.gateway = gateway
            return ctx

        mp.setattr(wiring, "payment_context", context)
        with Client(app, stage_name="test") as client:
            yield {"client": client, "sim": sim, "gateway": gateway}
    wiring.reset()


def call(world: dict[str, Any], method: str, path: str, *, body: Any = None, raw: bytes | None = None,
         token: str | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {"headers": h}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    if raw is not None:
        kwargs["body"] = raw
    response = getattr(world["client"].http, method)(path, **kwargs)
    assert response.status_code < 500, response.body[:300]
    return response.status_code, json.loads(response.body or b"{}")


def sign_in(world: dict[str, Any], run: str) -> str:
    """What the page and the citizen do: start, pick the citizen at ClaveÚnica, come back; the session token."""
    status, started = call(world, "post", "/v1/citizen/session/start")
    assert status == 200
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["authorize_url"]).query).items()}
    back = requests.post(f"{world['sim'].issuer}/authorize", data={**query, "run": run}, allow_redirects=False,
                         timeout=5)
    assert back.status_code == 303
    returned = {k: v[0] for k, v in parse_qs(urlsplit(back.headers["Location"]).query).items()}
    status, session = call(world, "post", "/v1/citizen/session",
                           body={"code": returned["code"], "state": returned["state"]})
    assert status == 201, session
    return str(session["session_token"])
