"""Local stand-in for the TGR payment portal (dev only, loopback only).

SEM's TGR adapter creates an order here, sends the citizen to the checkout page, and receives the
signed result notification on its `notify_url`, exactly as with the real portal:

    POST /api/v1/orders                      create an order (same merchant_reference: same order)
    GET  /api/v1/orders/{order_id}           the order as the portal sees it (status query)
    GET  /checkout/{order_id}                the checkout page (es-CL): method, "Pagar" / "Rechazar"
    POST /checkout/{order_id}                form (method, outcome): notify SEM, then 303 to return_url
    GET  /health                             200 while the process runs

Automation and switches for tests (docs/contract.md, "The local TGR simulator"):

    POST /simulator/orders/{order_id}/complete  {"outcome": "approved"|"rejected", "method": "credito",
                                                 "switches": {…}}
                                                notify as a person's click would; returns what SEM answered.
                                                "switches" (optional, same fields as the control's) apply
                                                to this completion only, on top of the current ones
    GET  /simulator/orders[?merchant_reference=]  every order (or the one of a payment)
    GET  /simulator/orders/{order_id}           one order with the notifications sent and SEM's answers
    GET  /simulator/control                     the current switches
    POST /simulator/control                     {"duplicates": 2, "delay_s": 1.5, "amount_delta": -100,
                                                 "signature": "valid"|"stale"|"forged",
                                                 "out_of_order": true, "late_duplicate_s": 3,
                                                 "reset": true} (each optional)

    POST /simulator/settlements                 {"municipality": "13101", "date": "2027-03-20",
                                                 "omit": [order ids], "unknown": 1,
                                                 "amount_delta": {"<order id>": -100},
                                                 "duplicate": [order ids], "generated_at": "…",
                                                 "upload": true}
                                                the day's settlement file (rendición, docs/settlement.md)
                                                of the approved orders, with its switches; written
                                                to the uploads bucket (SEM_UPLOADS_BUCKET, through
                                                AWS_ENDPOINT_URL: moto) unless "upload": false, and
                                                returned as {"key", "csv", "lines", "total", …}

Switches apply to every later completion until `{"reset": true}`. With `delay_s`, the automation
endpoint waits before sending (and answers after), while the checkout page redirects the person at
once and notifies in the background, so the municipal site's return page first sees "pending".
`out_of_order` follows the chosen result with the opposite one (approved, then rejected).
`late_duplicate_s` sends the first notification once more, that many seconds after the others,
from a background thread (a late retry of the portal's, arriving while the receipt is being made).

A notification is `POST <notify_url>` with a compact JSON body and the header
`X-TGR-Signature: t=<unix>,v1=<hex hmac-sha256(secret, f"{t}." + body)>`, signed with the first of
the secrets in SEM_TGR_WEBHOOK_SECRETS (a JSON list). Orders live in memory.

    SEM_TGR_WEBHOOK_SECRETS='["…"]' python -m devstack.simulators.tgr --port 8101

In-process (tests): ``with TgrSimulator(["secret"], port=0) as sim: sim.url …``
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import html
import json
import os
import re
import secrets
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from http.server import ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests

from devstack.simulators.base import BackgroundServer, JsonHandler

NOTIFY_TIMEOUT_S: Final = 10.0
MAX_REQUEST_BYTES: Final = 64 * 1024
DEFAULT_ORDER_TTL_S: Final = 3600
STALE_AGE_S: Final = 600
MAX_DUPLICATES: Final = 20
MAX_DELAY_S: Final = 60.0
MAX_AMOUNT: Final = 999_999_999
# Used only when SEM_TGR_WEBHOOK_SECRETS is not set: local test material, not a secret.
DEV_SECRET: Final = "local-tgr-webhook-secret-not-a-secret"  # noqa: S105

OUTCOMES: Final = ("approved", "rejected")
ESTADO: Final = {"approved": "aprobado", "rejected": "rechazado"}
METHODS: Final = {
    "credito": "Tarjeta de crédito",
    "debito": "Tarjeta de débito",
    "casas_comerciales": "Casas comerciales",
    "transferencia": "Transferencia",
}
SIGNATURES: Final = ("valid", "stale", "forged")

_MERCHANT_REFERENCE: Final = re.compile(r"^[A-Za-z0-9._:#-]{1,128}$")
_MUNICIPALITY: Final = re.compile(r"^\d{5}$")
_ORDER_PATH: Final = re.compile(r"^/(?:api/v1/orders|checkout|simulator/orders)/(TGR-[A-Z0-9-]{1,40})(/complete)?$")


def _santiago() -> tzinfo:
    try:
        return ZoneInfo("America/Santiago")
    except ZoneInfoNotFoundError:  # no tz database on this machine: Chile's standard time
        return timezone(timedelta(hours=-3))


SANTIAGO: Final = _santiago()


def now_santiago() -> datetime:
    return datetime.now(UTC).astimezone(SANTIAGO)


def pesos(amount: int) -> str:
    """`12345` → `$12.345` (es-CL)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,}".replace(",", ".")


class InvalidRequest(ValueError):
    """Bad input: answered 400 with the field at fault."""

    def __init__(self, field_name: str | None, message: str) -> None:
        message = f"{field_name} {message}" if field_name else message
        super().__init__(message)
        self.field, self.message = field_name, message


class Conflict(Exception):
    """Valid input that the portal's state refuses (409)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class UnknownOrder(LookupError):
    pass


# -- model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Switches:
    """How subsequent completions misbehave (for tests); the defaults behave like the real portal."""

    duplicates: int = 0
    delay_s: float = 0.0
    amount_delta: int = 0
    signature: str = "valid"
    out_of_order: bool = False
    late_duplicate_s: float = 0.0

    def updated(self, changes: dict[str, Any]) -> Switches:
        """These switches with `changes` applied (`reset` first, when given); raises InvalidRequest."""
        unknown = set(changes) - {*asdict(self), "reset"}
        if unknown:
            raise InvalidRequest(sorted(unknown)[0], "is not a switch")
        reset = changes.get("reset", False)
        if not isinstance(reset, bool):
            raise InvalidRequest("reset", "must be true or false")
        base = Switches() if reset else self
        values: dict[str, Any] = {}
        if "duplicates" in changes:
            values["duplicates"] = _int(changes["duplicates"], "duplicates", 0, MAX_DUPLICATES)
        if "delay_s" in changes:
            delay = changes["delay_s"]
            if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= MAX_DELAY_S:
                raise InvalidRequest("delay_s", f"must be a number of seconds between 0 and {MAX_DELAY_S:g}")
            values["delay_s"] = float(delay)
        if "late_duplicate_s" in changes:
            late = changes["late_duplicate_s"]
            if isinstance(late, bool) or not isinstance(late, int | float) or not 0 <= late <= MAX_DELAY_S:
                raise InvalidRequest("late_duplicate_s", f"must be a number of seconds between 0 and {MAX_DELAY_S:g}")
            values["late_duplicate_s"] = float(late)
        if "amount_delta" in changes:
            values["amount_delta"] = _int(changes["amount_delta"], "amount_delta", -MAX_AMOUNT, MAX_AMOUNT)
        if "signature" in changes:
            if changes["signature"] not in SIGNATURES:
                raise InvalidRequest("signature", f"must be one of {', '.join(SIGNATURES)}")
            values["signature"] = changes["signature"]
        if "out_of_order" in changes:
            if not isinstance(changes["out_of_order"], bool):
                raise InvalidRequest("out_of_order", "must be true or false")
            values["out_of_order"] = changes["out_of_order"]
        return replace(base, **values)


@dataclass
class Delivery:
    """One notification sent to SEM and what SEM answered."""

    kind: str  # first | duplicate | out_of_order | resend | late_duplicate
    notification: dict[str, Any]
    signature: str
    sent_at: str
    sem_status: int  # 0: no HTTP answer (connection refused, timeout)
    sem_body: Any

    def answer(self) -> dict[str, Any]:
        return {"sem_status": self.sem_status, "sem_body": self.sem_body}


@dataclass
class Order:
    order_id: str
    merchant_reference: str
    municipality: str
    amount: int
    currency: str
    description: str
    return_url: str
    notify_url: str
    checkout_url: str
    created_at: datetime
    expires_at: datetime
    status: str = "created"  # created | approved | rejected
    method: str | None = None
    completed_at: datetime | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    def same_request(self, data: dict[str, Any]) -> bool:
        return all(getattr(self, name) == value for name, value in data.items())

    def public(self) -> dict[str, Any]:
        """What the create-order call answers."""
        return {"order_id": self.order_id, "checkout_url": self.checkout_url,
                "expires_at": self.expires_at.isoformat(timespec="seconds")}

    def state(self) -> dict[str, Any]:
        """The whole order, for tests and people."""
        return {
            **self.public(),
            "merchant_reference": self.merchant_reference, "municipality": self.municipality,
            "amount": self.amount, "currency": self.currency, "description": self.description,
            "return_url": self.return_url, "notify_url": self.notify_url, "status": self.status,
            "method": self.method,
            "created_at": self.created_at.isoformat(timespec="seconds"),
            "completed_at": self.completed_at.isoformat(timespec="seconds") if self.completed_at else None,
            "notifications": [asdict(delivery) for delivery in self.deliveries],
        }

    def return_to(self) -> str:
        """The return_url with `payment_id` and `estado` appended to whatever query it has."""
        parts = urlsplit(self.return_url)
        extra = urlencode({"payment_id": self.merchant_reference, "estado": ESTADO.get(self.status, self.status)})
        query = f"{parts.query}&{extra}" if parts.query else extra
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _int(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(name, f"must be a whole number between {low} and {high}")
    return value


def _text(data: dict[str, Any], name: str, max_length: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(name, "is required (a non-empty string)")
    if len(value) > max_length or any(ord(char) < 32 for char in value):
        raise InvalidRequest(name, f"must be at most {max_length} printable characters")
    return value


def _url(data: dict[str, Any], name: str) -> str:
    value = _text(data, name, 2048)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidRequest(name, "must be an absolute http(s) URL")
    return value


def parse_order_request(data: Any) -> dict[str, Any]:
    """The fields of a create-order request, validated; raises InvalidRequest."""
    if not isinstance(data, dict):
        raise InvalidRequest(None, "the body must be a JSON object")
    reference = _text(data, "merchant_reference", 128)
    if not _MERCHANT_REFERENCE.match(reference):
        raise InvalidRequest("merchant_reference", "must be 1-128 of A-Z a-z 0-9 . _ : # -")
    municipality = _text(data, "municipality", 5)
    if not _MUNICIPALITY.match(municipality):
        raise InvalidRequest("municipality", "must be a 5-digit CUT code")
    if data.get("currency") != "CLP":
        raise InvalidRequest("currency", "must be CLP")
    return {
        "merchant_reference": reference,
        "municipality": municipality,
        "amount": _int(data.get("amount"), "amount", 1, MAX_AMOUNT),
        "currency": "CLP",
        "description": _text(data, "description", 255),
        "return_url": _url(data, "return_url"),
        "notify_url": _url(data, "notify_url"),
    }


def signature_header(secret: str, raw_body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw_body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


# -- the simulator -----------------------------------------------------------------------------


class TgrSimulator(BackgroundServer):
    """Orders, completions and switches, behind a loopback HTTP server."""

    def __init__(self, webhook_secrets: list[str], port: int = 0, *, host: str = "127.0.0.1",
                 order_ttl_s: int = DEFAULT_ORDER_TTL_S, notify_timeout_s: float = NOTIFY_TIMEOUT_S) -> None:
        if not webhook_secrets or not all(isinstance(s, str) and s for s in webhook_secrets):
            raise ValueError("at least one non-empty webhook secret is required")
        self.secrets = list(webhook_secrets)
        self.order_ttl_s = order_ttl_s
        self.notify_timeout_s = notify_timeout_s
        server = _Server((host, port), TgrHandler)
        server.simulator = self
        super().__init__(server, host=host, name="tgr-simulator")
        self._lock = threading.Lock()
        self._orders: dict[str, Order] = {}
        self._by_reference: dict[str, str] = {}
        self._switches = Switches()

    # -- switches ----------------------------------------------------------------------------

    def switches(self) -> Switches:
        with self._lock:
            return self._switches

    def control(self, changes: dict[str, Any]) -> Switches:
        with self._lock:
            self._switches = self._switches.updated(changes)
            return self._switches

    # -- orders ------------------------------------------------------------------------------

    def create_order(self, data: Any) -> tuple[Order, bool]:
        """The order of this merchant_reference, and whether it was created now."""
        fields = parse_order_request(data)
        with self._lock:
            existing = self._by_reference.get(fields["merchant_reference"])
            if existing is not None:
                order = self._orders[existing]
                if not order.same_request(fields):
                    raise Conflict("merchant_reference_reused",
                                   "merchant_reference already has an order with other data")
                return order, False
            created = now_santiago()
            order_id = f"TGR-{created:%Y%m%d}-{secrets.token_hex(5).upper()}"
            order = Order(order_id=order_id, checkout_url=f"{self.url}/checkout/{order_id}", created_at=created,
                          expires_at=created + timedelta(seconds=self.order_ttl_s), **fields)
            self._orders[order_id] = order
            self._by_reference[order.merchant_reference] = order_id
            return order, True

    def order(self, order_id: str) -> Order:
        with self._lock:
            try:
                return self._orders[order_id]
            except KeyError:
                raise UnknownOrder(order_id) from None

    def orders(self, merchant_reference: str | None = None) -> list[Order]:
        with self._lock:
            return [o for o in self._orders.values()
                    if merchant_reference is None or o.merchant_reference == merchant_reference]

    def state(self, order_id: str) -> dict[str, Any]:
        order = self.order(order_id)
        with self._lock:
            return order.state()

    # -- settlement files -------------------------------------------------------------------

    def settlement(self, data: Any) -> dict[str, Any]:
        """The day's settlement file for a municipality's approved orders (see `POST /simulator/settlements`)."""
        from chalicelib.domain.reconciliation import SettlementLine, file_name, format_settlement

        if not isinstance(data, dict):
            raise InvalidRequest(None, "the body must be a JSON object")
        unknown_fields = set(data) - {"municipality", "date", "omit", "unknown", "amount_delta", "duplicate",
                                      "generated_at", "upload"}
        if unknown_fields:
            raise InvalidRequest(sorted(unknown_fields)[0], "is not a settlement switch")
        municipality = _text(data, "municipality", 5)
        if not _MUNICIPALITY.match(municipality):
            raise InvalidRequest("municipality", "must be a 5-digit CUT code")
        day = _text(data, "date", 10)
        try:
            datetime.strptime(day, "%Y-%m-%d")
        except ValueError:
            raise InvalidRequest("date", "must be YYYY-MM-DD") from None
        omit = data.get("omit", [])
        duplicate = data.get("duplicate", [])
        deltas = data.get("amount_delta", {})
        if not isinstance(omit, list) or not isinstance(duplicate, list) or not isinstance(deltas, dict):
            raise InvalidRequest(None, "omit and duplicate must be lists of order ids; amount_delta an object")
        unknown = _int(data.get("unknown", 0), "unknown", 0, 50)
        for order_id, delta in deltas.items():
            _int(delta, f"amount_delta.{order_id}", -MAX_AMOUNT, MAX_AMOUNT)
        generated_at = data.get("generated_at") or now_santiago().isoformat(timespec="seconds")
        try:
            datetime.fromisoformat(str(generated_at))
        except ValueError:
            raise InvalidRequest("generated_at", "must be an ISO 8601 date and time with offset") from None
        lines = []
        with self._lock:
            for order in self._orders.values():
                first = next((d for d in order.deliveries if d.kind == "first"), None)
                if order.municipality != municipality or order.status != "approved" or first is None:
                    continue
                note = first.notification
                if str(note["paid_at"])[:10] != day or order.order_id in omit:
                    continue
                amount = int(note["amount"]) + int(deltas.get(order.order_id, 0))
                line = SettlementLine(order.order_id, order.merchant_reference, amount, order.method or "credito",
                                      str(note.get("authorization_code") or ""), str(note["paid_at"]))
                lines += [line] * (2 if order.order_id in duplicate else 1)
        for n in range(unknown):
            lines.append(SettlementLine(f"TGR-{day.replace('-', '')}-X{secrets.token_hex(4).upper()}",
                                        f"{municipality}-DESCONOCIDO-{n + 1}", 10_000 * (n + 1), "debito",
                                        f"{secrets.randbelow(1_000_000):06d}", f"{day}T12:00:00-03:00"))
        body = format_settlement(municipality, day, str(generated_at), lines)
        key = f"{municipality}/settlements/{day}/{file_name(municipality, day, str(generated_at))}"
        bucket = os.environ.get("SEM_UPLOADS_BUCKET")
        upload = data.get("upload", bucket is not None)
        if upload and not bucket:
            raise InvalidRequest("upload", "needs SEM_UPLOADS_BUCKET in the simulator's environment")
        if upload:
            import boto3

            boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL")).put_object(
                Bucket=bucket, Key=key, Body=body, ContentType="text/csv; charset=utf-8")
        return {"key": key, "bucket": bucket if upload else None, "uploaded": bool(upload), "lines": len(lines),
                "total": sum(line.amount for line in lines), "generated_at": generated_at, "csv": body.decode()}

    # -- completion --------------------------------------------------------------------------

    def complete(self, order_id: str, outcome: str, method: str = "credito", *,
                 in_background: bool = False, switches: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Close the order as a person's click would and notify SEM; returns what SEM answered.

        Raises Conflict when the order is expired, or already completed and the duplicates switch
        is off; with the switch on, a completed order's first notification is sent again.
        `in_background`: claim the order now, notify from another thread (None is returned).
        `switches`: changes to the current switches for this completion only.
        """
        plan, chosen, replayed = self._claim(order_id, outcome, method, switches or {})
        if in_background:
            threading.Thread(target=self._notify, args=(order_id, plan, chosen, replayed), daemon=True,
                             name=f"notify-{order_id}").start()
            return None
        return self._notify(order_id, plan, chosen, replayed)

    def _claim(self, order_id: str, outcome: str, method: str, overrides: dict[str, Any]
               ) -> tuple[list[tuple[str, dict[str, Any]]], Switches, bool]:
        """What to send for this completion; the order is marked completed under the lock."""
        self.order(order_id)  # unknown order: 404 before anything else
        if not isinstance(outcome, str) or outcome not in OUTCOMES:
            raise InvalidRequest("outcome", "must be approved or rejected")
        if not isinstance(method, str) or method not in METHODS:
            raise InvalidRequest("method", f"must be one of {', '.join(METHODS)}")
        if "reset" in overrides:
            raise InvalidRequest("switches.reset", "is not a per-completion switch")
        with self._lock:
            switches = self._switches.updated(overrides)
            order = self._orders[order_id]
            if order.status != "created":
                first = next((d for d in order.deliveries if d.kind == "first"), None)
                if switches.duplicates == 0 or first is None:
                    raise Conflict("already_processed", f"the order is already {order.status}")
                return [("resend", first.notification)] * (1 + switches.duplicates), switches, True
            if now_santiago() >= order.expires_at:
                raise Conflict("order_expired", "the order has expired")
            # Claimed under the lock: a concurrent second click finds the order completed.
            order.status, order.method, order.completed_at = outcome, method, now_santiago()
            body = self._notification(order, outcome, method, switches.amount_delta)
            plan = [("first", body)] + [("duplicate", body)] * switches.duplicates
            if switches.out_of_order:
                other = "rejected" if outcome == "approved" else "approved"
                plan.append(("out_of_order", self._notification(order, other, method, switches.amount_delta)))
            return plan, switches, False

    def _notify(self, order_id: str, plan: list[tuple[str, dict[str, Any]]], switches: Switches,
                replayed: bool) -> dict[str, Any]:
        order = self.order(order_id)
        if switches.delay_s and self.stopping.wait(switches.delay_s):
            raise Conflict("stopping", "the simulator is stopping")
        deliveries = [self._deliver(order, kind, body, switches.signature) for kind, body in plan]
        with self._lock:
            order.deliveries.extend(deliveries)
        if switches.late_duplicate_s:
            threading.Thread(target=self._late_duplicate, args=(order, plan[0][1], switches), daemon=True,
                             name=f"late-{order_id}").start()
        first, rest = deliveries[0], deliveries[1:]
        result: dict[str, Any] = {
            "order_id": order.order_id, "notification": first.notification, **first.answer(),
            "duplicates": [d.answer() for d in rest if d.kind in ("duplicate", "resend")],
        }
        late = [d for d in rest if d.kind == "out_of_order"]
        if late:
            result["out_of_order"] = {"notification": late[0].notification, **late[0].answer()}
        if replayed:
            result["already_processed"] = True
        return result

    def _late_duplicate(self, order: Order, notification: dict[str, Any], switches: Switches) -> None:
        if self.stopping.wait(switches.late_duplicate_s):
            return
        delivery = self._deliver(order, "late_duplicate", notification, switches.signature)
        with self._lock:
            order.deliveries.append(delivery)

    @staticmethod
    def _notification(order: Order, outcome: str, method: str, amount_delta: int) -> dict[str, Any]:
        approved = outcome == "approved"
        return {
            "notification_id": str(uuid.uuid4()),
            "order_id": order.order_id,
            "payment_id": order.merchant_reference,
            "status": outcome,
            "amount": order.amount + amount_delta,
            "authorization_code": f"{secrets.randbelow(1_000_000):06d}" if approved else None,
            "method": method,
            "paid_at": now_santiago().isoformat(timespec="seconds"),
        }

    def _deliver(self, order: Order, kind: str, notification: dict[str, Any], signature: str) -> Delivery:
        raw = json.dumps(notification, separators=(",", ":")).encode()
        timestamp = int(time.time())
        secret = self.secrets[0]
        if signature == "stale":
            timestamp -= STALE_AGE_S
        elif signature == "forged":
            secret = secrets.token_hex(16)
        headers = {"Content-Type": "application/json", "X-TGR-Signature": signature_header(secret, raw, timestamp)}
        sent_at = now_santiago().isoformat(timespec="seconds")
        try:
            response = requests.post(order.notify_url, data=raw, headers=headers, timeout=self.notify_timeout_s,
                                     allow_redirects=False)
        except requests.RequestException as exc:
            return Delivery(kind, notification, signature, sent_at, 0, f"no answer: {type(exc).__name__}")
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text[:2000]
        return Delivery(kind, notification, signature, sent_at, response.status_code, answer)


# -- HTTP --------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: TgrSimulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up leaves a broken pipe behind: not worth a traceback


class TgrHandler(JsonHandler):
    server: _Server

    @property
    def sim(self) -> TgrSimulator:
        return self.server.simulator

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path, match = parts.path, _ORDER_PATH.match(parts.path)
        try:
            if path == "/health":
                self.send_json(200, {"status": "ok", "service": "tgr-simulator"})
            elif path == "/simulator/control":
                self.send_json(200, asdict(self.sim.switches()))
            elif path == "/simulator/orders":
                reference = parse_qs(parts.query).get("merchant_reference", [None])[0]
                self.send_json(200, {"orders": [self.sim.state(o.order_id) for o in self.sim.orders(reference)]})
            elif match and not match.group(2) and path.startswith("/simulator/"):
                self.send_json(200, self.sim.state(match.group(1)))
            elif match and not match.group(2) and path.startswith("/api/"):
                order = self.sim.order(match.group(1))
                self.send_json(200, {**order.public(), "merchant_reference": order.merchant_reference,
                                     "amount": order.amount, "status": order.status})
            elif match and not match.group(2) and path.startswith("/checkout/"):
                self._checkout_page(self.sim.order(match.group(1)))
            else:
                self._not_found()
        except UnknownOrder:
            self._not_found("Orden desconocida", "La orden de pago no existe en este simulador.")

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        match = _ORDER_PATH.match(path)
        try:
            if path == "/api/v1/orders":
                order, created = self.sim.create_order(self._json())
                self.send_json(201 if created else 200, order.public())
            elif path == "/simulator/settlements":
                self.send_json(201, self.sim.settlement(self._json()))
            elif path == "/simulator/control":
                changes = self._json()
                if not isinstance(changes, dict):
                    raise InvalidRequest(None, "the body must be a JSON object")
                self.send_json(200, asdict(self.sim.control(changes)))
            elif match and match.group(2) and path.startswith("/simulator/"):
                body = self._json()
                if not isinstance(body, dict):
                    raise InvalidRequest(None, "the body must be a JSON object")
                overrides = body.get("switches") or {}
                if not isinstance(overrides, dict):
                    raise InvalidRequest("switches", "must be a JSON object")
                self.send_json(200, self.sim.complete(match.group(1), body.get("outcome", ""),
                                                      body.get("method") or "credito", switches=overrides))
            elif match and not match.group(2) and path.startswith("/checkout/"):
                self._checkout_submit(match.group(1))
            else:
                self._not_found()
        except InvalidRequest as exc:
            self.send_json(400, {"error": {"code": "invalid_request", "message": exc.message, "field": exc.field}})
        except Conflict as exc:
            state = self.sim.state(match.group(1)) if match else None
            self.send_json(409, {"error": {"code": exc.code, "message": exc.message}, "order": state})
        except UnknownOrder:
            self._not_found("Orden desconocida", "La orden de pago no existe en este simulador.")

    # -- helpers -----------------------------------------------------------------------------

    def _raw(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise InvalidRequest(None, "bad Content-Length") from None
        if length > MAX_REQUEST_BYTES:
            raise InvalidRequest(None, "request too large")
        return self.rfile.read(length) if length > 0 else b""

    def _json(self) -> Any:
        try:
            return json.loads(self._raw() or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise InvalidRequest(None, "the body is not valid JSON") from None

    def _not_found(self, title: str = "No encontrado", text: str = "La página no existe.") -> None:
        if urlsplit(self.path).path.startswith("/checkout/"):
            self._page(404, title, f"<p>{html.escape(text)}</p>")
        else:
            self.send_json(404, {"error": {"code": "not_found", "message": "not found"}})

    def _page(self, status: int, title: str, content: str) -> None:
        body = _layout(title, content).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # form-action must allow the 303 to the municipal site (Chrome checks redirects of a form).
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                         "form-action 'self' http: https:; base-uri 'none'; frame-ancestors 'none'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    # -- checkout ----------------------------------------------------------------------------

    def _checkout_page(self, order: Order) -> None:
        if order.status != "created":
            self._page(200, "Orden ya procesada", _processed(order))
        elif now_santiago() >= order.expires_at:
            self._page(410, "Orden expirada", "<p>El plazo para pagar esta orden venció. Vuelva al sitio del "
                       "municipio e inicie el pago nuevamente.</p>")
        else:
            self._page(200, "Pago en línea", _checkout(order))

    def _checkout_submit(self, order_id: str) -> None:
        self.sim.order(order_id)
        try:
            form = parse_qs(self._raw().decode("utf-8", "replace"))
        except InvalidRequest:
            self._page(400, "Solicitud inválida", "<p>El formulario es demasiado grande.</p>")
            return
        outcome = (form.get("outcome") or [""])[0]
        method = (form.get("method") or [""])[0]
        try:
            # A delayed notification (switch) arrives after the person is back on the municipal
            # site, as a slow gateway's would: the return page then shows "pending" first.
            self.sim.complete(order_id, outcome, method, in_background=self.sim.switches().delay_s > 0)
        except InvalidRequest:
            self._page(400, "Solicitud inválida", "<p>Elija un medio de pago y presione «Pagar» o «Rechazar».</p>"
                       f'<p><a class="button" href="/checkout/{html.escape(order_id)}">Volver</a></p>')
            return
        except Conflict as exc:
            order = self.sim.order(order_id)
            if exc.code == "order_expired":
                self._page(410, "Orden expirada", "<p>El plazo para pagar esta orden venció.</p>")
            else:
                self._page(200, "Orden ya procesada", _processed(order))
            return
        self.send_response(303)
        self.send_header("Location", self.sim.order(order_id).return_to())
        self.send_header("Content-Length", "0")
        self.end_headers()


# -- pages (es-CL; every value from an order is escaped) ---------------------------------------

_CSS: Final = """
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#eef1f5;color:#1d2733}header{background:#0a2f5c;color:#fff;padding:14px 18px;
border-bottom:5px solid #d52b1e}header .brand{font-weight:700;font-size:1.05rem}
header .sub{font-size:.85rem;opacity:.85}main{max-width:560px;margin:18px auto;padding:0 12px}
.card{background:#fff;border-radius:10px;box-shadow:0 1px 4px rgba(0,0,0,.12);padding:18px;margin-bottom:14px}
h1{font-size:1.25rem;margin:0 0 12px}dl{display:grid;grid-template-columns:auto 1fr;gap:6px 12px;margin:0}
dt{color:#5a6675}dd{margin:0;font-weight:600;word-break:break-word}.amount{font-size:1.8rem;
font-weight:700;color:#0a2f5c;margin:12px 0 0}fieldset{border:0;padding:0;margin:0}
legend{font-weight:600;margin-bottom:8px}label.method{display:flex;align-items:center;gap:10px;
border:1px solid #c9d1db;border-radius:8px;padding:12px;margin-bottom:8px;cursor:pointer;min-height:48px}
label.method:has(input:checked){border-color:#0a2f5c;background:#eaf1fb}.actions{display:flex;gap:10px;
flex-wrap:wrap;margin-top:14px}button,.button{flex:1 1 160px;font-size:1rem;padding:14px;border-radius:8px;
border:0;cursor:pointer;text-align:center;text-decoration:none;display:inline-block}
.pay{background:#1b7d3a;color:#fff}.reject{background:#fff;color:#a4161a;border:2px solid #a4161a}
.button{background:#0a2f5c;color:#fff}.note{font-size:.8rem;color:#5a6675;text-align:center}
"""


def _layout(title: str, content: str) -> str:
    return (
        '<!doctype html><html lang="es-CL"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} · TGR (simulador)</title><style>{_CSS}</style></head><body>"
        '<header><div class="brand">Tesorería General de la República</div>'
        '<div class="sub">Portal de pagos — simulador de desarrollo</div></header>'
        f'<main><div class="card"><h1>{html.escape(title)}</h1>{content}</div>'
        '<p class="note">Simulador local: no se realizan cargos reales.</p></main></body></html>'
    )


def _municipality(code: str) -> str:
    from devstack import demo_data

    names = {m["code"]: m["legal_name"] for m in demo_data.MUNICIPALITIES}
    return f"{names[code]} ({code})" if code in names else f"Municipalidad {code}"


def _summary(order: Order) -> str:
    e = html.escape
    return (
        f"<dl><dt>Institución</dt><dd>{e(_municipality(order.municipality))}</dd>"
        f"<dt>Detalle</dt><dd>{e(order.description)}</dd>"
        f"<dt>Orden</dt><dd>{e(order.order_id)}</dd>"
        f"<dt>Vence</dt><dd>{order.expires_at:%d-%m-%Y %H:%M}</dd></dl>"
        f'<p class="amount">{e(pesos(order.amount))}</p>'
    )


def _checkout(order: Order) -> str:
    methods = "".join(
        f'<label class="method"><input type="radio" name="method" value="{value}"'
        f'{" checked" if value == "credito" else ""}> {html.escape(label)}</label>'
        for value, label in METHODS.items())
    return (
        f"{_summary(order)}"
        f'<form method="post" action="/checkout/{html.escape(order.order_id)}">'
        f"<fieldset><legend>Medio de pago</legend>{methods}</fieldset>"
        '<div class="actions"><button class="pay" type="submit" name="outcome" value="approved">Pagar</button>'
        '<button class="reject" type="submit" name="outcome" value="rejected">Rechazar</button></div></form>'
    )


def _processed(order: Order) -> str:
    state = "aprobado" if order.status == "approved" else "rechazado"
    return (
        f"<p>Esta orden ya fue procesada: el pago fue <strong>{state}</strong>. "
        "No se realizó un nuevo cobro.</p>"
        f"{_summary(order)}"
        f'<div class="actions"><a class="button" href="{html.escape(order.return_to())}">'
        "Volver al sitio del municipio</a></div>"
    )


# -- CLI ---------------------------------------------------------------------------------------


def secrets_from_env(raw: str | None) -> list[str]:
    """SEM_TGR_WEBHOOK_SECRETS (a JSON list of strings; the first signs)."""
    if raw is None:
        print("SEM_TGR_WEBHOOK_SECRETS is not set: signing with the local development secret.", file=sys.stderr)
        return [DEV_SECRET]
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, list) or not value or not all(isinstance(s, str) and s for s in value):
        raise SystemExit('SEM_TGR_WEBHOOK_SECRETS must be a JSON list of non-empty strings, e.g. ["s3cr3t"].')
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description="Local TGR payment portal simulator (dev only).")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_TGR_PORT", "8101")))
    port = parser.parse_args().port
    ttl = int(os.environ.get("SEM_TGR_ORDER_TTL_S", str(DEFAULT_ORDER_TTL_S)))
    simulator = TgrSimulator(secrets_from_env(os.environ.get("SEM_TGR_WEBHOOK_SECRETS")), port, order_ttl_s=ttl)
    print(f"TGR simulator listening on {simulator.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        simulator.serve_forever()


if __name__ == "__main__":
    main()
