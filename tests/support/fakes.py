"""In-memory fakes of the adapters the services' branching logic talks to: the citizens' consent
and reminder records, the debts due in a month, the municipalities, the rights requests, the audit
log, the job queue and the mailer. They keep the adapters' promises — the conditional writes
refuse what DynamoDB's conditions refuse, the mailer refuses an unverified sender as SES does —
and tests/functional/test_fake_contracts.py runs one suite against each fake and its moto-backed
adapter, so a fake cannot drift from what it stands for.

Each fake holds its state in plain dicts and lists a test can read (`sent`, `jobs`, `entries`);
they are built empty and filled through the same methods the services call, or through the
`add_*` helpers for what another part of the platform writes (a roll's debts, a municipality)."""

from __future__ import annotations

import copy
import itertools
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import Page
from chalicelib.domain.email_message import OutgoingEmail
from chalicelib.domain.errors import ConditionFailed, DependencyUnavailable

_TAG = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class FakeCitizenRepository:
    """Citizens' consent to reminders and the one claim per reminder (CitizenRepository's
    reminders part)."""

    def __init__(self) -> None:
        self.consents: dict[str, dict[str, Any]] = {}
        self.reminders: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def consent(self, run_digest: str) -> dict[str, Any] | None:
        table_keys.citizen(run_digest)  # the adapter's key refuses what is not a keyed RUN hash
        found = self.consents.get(run_digest)
        return copy.deepcopy(found) if found is not None else None

    def save_consent(self, run_digest: str, *, email: str, obligations: list[str], at: str) -> dict[str, Any]:
        table_keys.citizen(run_digest)
        record = self.consents.setdefault(run_digest, {"version": 0})
        record.pop("withdrawn", None)
        record.update(email=email, obligations=list(obligations), updated_at=at, version=record["version"] + 1)
        return copy.deepcopy(record)

    def withdraw_consent(self, run_digest: str, *, version: int | None = None) -> bool:
        table_keys.citizen(run_digest)
        record = self.consents.get(run_digest)
        if record is None or "email" not in record or (version is not None and record.get("version") != version):
            return False
        record.pop("email")
        record.pop("obligations", None)
        record["withdrawn"] = True
        return True

    def claim_reminder(self, code: str, debt_id: str, *, kind: str, due_date: str, at: str,
                       log_month: str, log_key: str, detail: dict[str, Any]) -> bool:
        with self._lock:  # a put with attribute_not_exists: one claim wins
            key = (code, debt_id, kind, due_date)
            if key in self.reminders:
                return False
            self.reminders[key] = {"status": "sending", "at": at, "kind": kind, "due_date": due_date,
                                   "debt_id": debt_id, **detail, "_log": (code, log_month, log_key)}
            return True

    def settle_reminder(self, code: str, debt_id: str, *, kind: str, due_date: str, status: str,
                        message_id: str | None = None, reason: str | None = None) -> None:
        record = self.reminders.get((code, debt_id, kind, due_date))
        if record is None or record["status"] != "sending":
            raise ConditionFailed(f"reminder {debt_id} {kind} is not being sent")
        record.update(status=status, message_id=message_id or "", reason=reason or "")

    def reminder_log(self, code: str, month: str, limit: int = 200) -> list[dict[str, Any]]:
        rows = [r for r in self.reminders.values() if r["_log"][:2] == (code, month)]
        rows.sort(key=lambda r: r["_log"][2], reverse=True)
        return [{k: v for k, v in r.items() if k != "_log"} for r in rows[:limit]]


class FakeDebtRepository:
    """The debts of the municipalities' rolls, as far as reminders read them (`due_in`)."""

    def __init__(self) -> None:
        self.debts: dict[tuple[str, str], dict[str, Any]] = {}

    def add_debt(self, code: str, debt: Mapping[str, Any]) -> None:
        """A debt as a roll upload leaves it."""
        self.debts[(code, str(debt["debt_id"]))] = {**debt, "municipality": code}

    def due_in(self, code: str, month: str) -> list[dict[str, Any]]:
        due = [d for (c, _), d in self.debts.items() if c == code and len(str(d.get("due_date") or "")) == 10
               and str(d["due_date"])[:7] == month]
        return [dict(d) for d in sorted(due, key=lambda d: f"{d['due_date']}#{d['debt_id']}")]


class FakeMunicipalityRepository:
    """Municipalities' configurations and the index of all of them."""

    def __init__(self) -> None:
        self.configs: dict[str, dict[str, Any]] = {}
        self.index: dict[str, dict[str, Any]] = {}

    def add_municipality(self, config: Mapping[str, Any], index_entry: Mapping[str, Any]) -> None:
        """A municipality as onboarding leaves it: its configuration and its index entry."""
        code = str(config["code"])
        self.configs[code] = dict(config)
        self.index[code] = {**index_entry, "code": code}

    def get(self, code: str) -> dict[str, Any] | None:
        found = self.configs.get(code)
        return copy.deepcopy(found) if found is not None else None

    current = get

    def list_all(self) -> list[dict[str, Any]]:
        return [dict(self.index[code]) for code in sorted(self.index)]

    def forget(self, code: str | None = None) -> None:
        """Nothing is cached here."""


class FakeAuditLog:
    """The audit log: entries appended, never changed."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def record(self, municipality: str, *, actor: str, profile: str, action: str, target: str,
               before: Any = None, after: Any = None, now: Any = None) -> dict[str, Any]:
        entry = {"municipality": municipality, "actor": actor, "profile": profile, "action": action,
                 "target": target, "before": before, "after": after, "at": now}
        self.entries.append(entry)
        return entry

    def actions(self, municipality: str) -> list[str]:
        return [e["action"] for e in self.entries if e["municipality"] == municipality]


class FakeRightsRepository:
    """Rights requests, their events in order, and what the platform holds about a RUN (filled
    with `add_held`). `step` is all-or-nothing and conditional on the request's state, as the
    adapter's transaction is; `condition` understands the one the service uses
    (`attribute_not_exists(extended_on)`)."""


    def __init__(self) -> None:
        self.requests: dict[tuple[str, str], dict[str, Any]] = {}
        self.event_rows: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.audit_rows: list[dict[str, Any]] = []
        self.held: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.payment_rows_of: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def create(self, request: Mapping[str, Any], event: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        key = (str(request["municipality"]), str(request["request_id"]))
        with self._lock:
            if key in self.requests:
                raise ConditionFailed("request exists")
            self.requests[key] = dict(request)
            self.event_rows[key] = [dict(event)]
            self.audit_rows.append(dict(audit))

    def get(self, code: str, request_id: str) -> dict[str, Any] | None:
        found = self.requests.get((code, request_id))
        return copy.deepcopy(found) if found is not None else None

    def events(self, code: str, request_id: str) -> list[dict[str, Any]]:
        return [dict(e) for e in self.event_rows.get((code, request_id), [])]

    def page(self, code: str, cursor: str | None, limit: int = 50) -> Page:
        mine = sorted((r for (c, _), r in self.requests.items() if c == code), key=lambda r: r["request_id"],
                      reverse=True)
        start = int(cursor) if cursor else 0
        rest = mine[start:start + limit]
        following = str(start + limit) if start + limit < len(mine) else None
        return Page([dict(r) for r in rest], following)

    def step(self, code: str, request_id: str, *, from_status: Sequence[str], set_fields: Mapping[str, Any],
             event: Mapping[str, Any], audit: Mapping[str, Any], once: str | None = None) -> bool:
        with self._lock:
            request = self.requests.get((code, request_id))
            if request is None or request.get("status") not in from_status or (once and once in request):
                return False
            request.update(set_fields)
            self.event_rows[(code, request_id)].append(dict(event))
            self.audit_rows.append(dict(audit))
            return True

    def add_held(self, code: str, rut: str, item: Mapping[str, Any], rows: Sequence[Mapping[str, Any]] = ()) -> None:
        """Something indexed under the RUN (a debt, or a payment's record with its rows)."""
        self.held.setdefault((code, rut), []).append(dict(item))
        if rows:
            self.payment_rows_of[(code, str(item["payment_id"]))] = [dict(r) for r in rows]

    def held_by_rut(self, code: str, rut: str) -> Iterator[dict[str, Any]]:
        yield from (dict(i) for i in self.held.get((code, rut), []))

    def payment_rows(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.payment_rows_of.get((code, payment_id), [])]

    def rectify_payer(self, code: str, payment_id: str, rut: str, fields: Mapping[str, str]) -> bool:
        for items in (self.held.get(key, []) for key in self.held if key[0] == code):
            for item in items:
                if item.get("payment_id") == payment_id:
                    payer = item.setdefault("payer", {})
                    if payer.get("rut") != rut:
                        return False
                    payer.update(fields)
                    return True
        return False


class FakeOfficialProposals:
    """The four-eyes proposals of OfficialsAdminRepository (propose, read, list, close): a decision
    applies only to a proposal still pending, as the adapter's conditional transaction does."""

    def __init__(self) -> None:
        self.proposals_of: dict[str, dict[str, dict[str, Any]]] = {}
        self.audit_rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def propose(self, code: str, proposal: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        with self._lock:
            mine = self.proposals_of.setdefault(code, {})
            if proposal["proposal_id"] in mine:
                raise ConditionFailed("proposal exists")
            mine[str(proposal["proposal_id"])] = dict(proposal)
            self.audit_rows.append(dict(audit))

    def proposal(self, code: str, proposal_id: str) -> dict[str, Any] | None:
        found = self.proposals_of.get(code, {}).get(proposal_id)
        return copy.deepcopy(found) if found is not None else None

    def proposals(self, code: str, *, limit: int, cursor: str | None) -> Page:
        ordered = [self.proposals_of[code][k] for k in sorted(self.proposals_of.get(code, {}))]
        start = int(cursor) if cursor else 0
        following = str(start + limit) if start + limit < len(ordered) else None
        return Page([dict(p) for p in ordered[start:start + limit]], following)

    def pending_proposals(self, code: str) -> list[dict[str, Any]]:
        return [dict(p) for p in self.proposals(code, limit=10_000, cursor=None).items if p.get("status") == "pending"]

    def close(self, code: str, proposal_id: str, fields: Mapping[str, Any], audit: Mapping[str, Any]) -> None:
        with self._lock:
            found = self.proposals_of.get(code, {}).get(proposal_id)
            if found is None or found.get("status") != "pending":
                raise ConditionFailed("proposal not pending")
            found.update(fields)
            self.audit_rows.append(dict(audit))


class FakeJobQueue:
    """A job queue: jobs kept in order with their delay; `fail = True` makes it unreachable."""

    def __init__(self, queue_url: str = "fake://queue") -> None:
        self.queue_url = queue_url
        self.jobs: list[dict[str, Any]] = []
        self.delays: list[int] = []
        self.fail = False
        self._ids = itertools.count(1)

    def send(self, job: Mapping[str, Any], *, delay_s: int = 0) -> str:
        if self.fail:
            raise DependencyUnavailable("La cola de trabajos no está disponible.", code="queue_unavailable")
        self.jobs.append(copy.deepcopy(dict(job)))
        self.delays.append(delay_s)
        return f"fake-message-{next(self._ids)}"

    def depth(self) -> int:
        if self.fail:
            raise DependencyUnavailable("La cola de trabajos no está disponible.", code="queue_unavailable")
        return len(self.jobs)


class FakeMailer:
    """SES as the mailer sees it: messages from a verified sender are accepted and kept in `sent`;
    an unverified sender is a permanent refusal; `fail_with` makes the next sends raise that error."""

    def __init__(self, verified: Sequence[str] = ()) -> None:
        self.verified = set(verified)
        self.sent: list[OutgoingEmail] = []
        self.fail_with: DependencyUnavailable | None = None
        self._ids = itertools.count(1)

    def send(self, message: OutgoingEmail) -> str:
        bad = [f"{k}={v}" for k, v in message.tags.items() if not (_TAG.match(k) and _TAG.match(v))]
        if bad:
            raise ValueError(f"SES message tags must be ASCII letters, digits, _ or -: {bad}")
        if self.fail_with is not None:
            raise self.fail_with
        if message.sender not in self.verified and message.sender.partition("@")[2] not in self.verified:
            raise DependencyUnavailable(f"El servicio de correo rechazó el mensaje (MessageRejected: Email address "
                                        f"not verified {message.sender})."[:300], code="email_rejected",
                                        retryable=False)
        self.sent.append(message)
        return f"fake-ses-{next(self._ids):06d}"

    def to(self, address: str) -> list[OutgoingEmail]:
        return [m for m in self.sent if m.recipient == address]
