"""Citizens' reminders (docs/citizens.md): consent per obligation or for all, e-mails before each
due date and after a missed one, sent once per debt, kind and due date by a scheduled worker,
with the municipality's branding and a signed one-click unsubscribe link; no consent, no e-mail."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from chalicelib.adapters.citizens_repo import CitizenRepository
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.mailer import Mailer
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.documents.emails import reminder_email, renewal_email
from chalicelib.domain.email_message import OutgoingEmail
from chalicelib.domain.errors import DependencyUnavailable, InvalidInput
from chalicelib.domain.reminders import months_to_scan, reminder_kind, renewal_scan_range, renewal_year
from chalicelib.services.citizen_index import run_digest
from chalicelib.services.citizens import Citizen, CitizenContext, my_debts

ALL = "all"


@dataclass
class ReminderContext:
    """What the reminders worker needs."""

    citizens: CitizenRepository
    debts: DebtRepository
    municipalities: MunicipalityRepository
    mailer: Mailer
    index_secret: str
    public_api_url: str
    clock: Callable[[], datetime]
    suppressed: Callable[[str, str], bool] = lambda code, address: False
    """Whether a complaint stopped mail to an address in a municipality (docs/email-events.md)."""
    permit_paid: Callable[[str, int], bool] | None = None
    """Whether a plate's permit of a year is paid or being paid (the national holds): no
    renewal reminder then. None: renewal reminders are not sent."""


# -- consent ----------------------------------------------------------------------------------

def consent_of(ctx: CitizenContext, citizen: Citizen) -> dict[str, Any]:
    """The citizen's current consent (`{"enabled": false}` without one)."""
    record = ctx.repo.consent(run_digest(ctx.index_secret, citizen.run.compact))
    if not record or not record.get("email"):
        return {"enabled": False, "obligations": []}
    return {"enabled": True, "email": record["email"], "obligations": list(record.get("obligations") or [])}


def give_consent(ctx: CitizenContext, citizen: Citizen, *, email: str, obligations: list[str],
                 at: str) -> dict[str, Any]:
    """Opt in, for all obligations (`["all"]`) or for some of the citizen's open debts."""
    chosen = sorted(set(obligations))
    if ALL in chosen:
        chosen = [ALL]
    else:
        own = {d["debt_id"] for d in my_debts(ctx, citizen)["debts"]}
        for i, debt_id in enumerate(chosen):
            if debt_id not in own:
                raise InvalidInput("Esa obligación no es una deuda abierta de su RUN.", code="unknown_obligation",
                                   field=f"obligations[{i}]")
    ctx.repo.save_consent(run_digest(ctx.index_secret, citizen.run.compact), email=email.strip().lower(),
                          obligations=chosen, at=at)
    return consent_of(ctx, citizen)


def withdraw(ctx: CitizenContext, citizen: Citizen) -> dict[str, Any]:
    ctx.repo.withdraw_consent(run_digest(ctx.index_secret, citizen.run.compact))
    return {"enabled": False, "obligations": []}


# -- the signed unsubscribe link ----------------------------------------------------------------

def _signature(secret: str, digest: str, version: int) -> str:
    mac = hmac.new(secret.encode(), f"reminders-unsubscribe|{digest}|{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def unsubscribe_url(public_api_url: str, secret: str, digest: str, version: int) -> str:
    query = urlencode({"r": digest, "v": version, "s": _signature(secret, digest, version)})
    return f"{public_api_url.rstrip('/')}/v1/citizen/reminders/unsubscribe?{query}"


def unsubscribe(repo: CitizenRepository, secret: str, *, digest: str, version: int, signature: str) -> bool:
    """Withdraw the consent a link names, if the link is ours and unaltered (else 400). True when
    it withdrew now, False when that consent was already withdrawn or replaced."""
    if not hmac.compare_digest(_signature(secret, digest, version), signature):
        raise InvalidInput("El enlace para dejar de recibir recordatorios no es válido.",
                           code="invalid_unsubscribe_link")
    return repo.withdraw_consent(digest, version=version)


# -- the worker ---------------------------------------------------------------------------------

def run_reminders(ctx: ReminderContext, today: date | None = None) -> dict[str, int]:
    """One pass: every open debt due soon or missed, in every enabled municipality, whose
    debtor consented; each reminder claimed before it is sent, so never twice."""
    now = ctx.clock()
    today = today or now.date()
    counts = {"considered": 0, "no_consent": 0, "already_sent": 0, "sent": 0, "failed": 0, "suppressed": 0}
    for muni in ctx.municipalities.list_all():
        if muni.get("enabled") is False:
            continue
        code = str(muni["code"])
        config = ctx.municipalities.get(code) or {}
        for month in months_to_scan(today):
            for debt in ctx.debts.due_in(code, month):
                kind = reminder_kind(date.fromisoformat(str(debt["due_date"])), today)
                if debt.get("status") != "open" or kind is None:
                    continue
                counts["considered"] += 1
                counts[_remind(ctx, code, config, debt, kind, now)] += 1
    return counts


def _remind(ctx: ReminderContext, code: str, config: dict[str, Any], debt: dict[str, Any], kind: str,
            now: datetime) -> str:
    digest = run_digest(ctx.index_secret, str(debt["rut"]))
    consent = ctx.citizens.consent(digest)
    if not consent or not consent.get("email"):
        return "no_consent"
    obligations = list(consent.get("obligations") or [])
    if ALL not in obligations and debt["debt_id"] not in obligations:
        return "no_consent"
    at = now.isoformat(timespec="seconds")
    utc = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    email = str(consent["email"])
    if ctx.suppressed(code, email):  # the citizen complained about our mail: none goes, reminders included
        return "suppressed"
    if not ctx.citizens.claim_reminder(code, debt["debt_id"], kind=kind, due_date=str(debt["due_date"]), at=at,
                                       log_month=utc[:7], log_key=f"{utc}#{debt['debt_id']}#{kind}",
                                       detail={"description": debt["description"], "amount": int(debt["amount"]),
                                               "recipient": _mask(email)}):
        return "already_sent"
    try:
        message_id = ctx.mailer.send(_message(ctx, config, debt, kind, email, digest, int(consent.get("version", 1))))
    except (DependencyUnavailable, InvalidInput) as exc:
        ctx.citizens.settle_reminder(code, debt["debt_id"], kind=kind, due_date=str(debt["due_date"]),
                                     status="failed", reason=exc.code)
        return "failed"
    ctx.citizens.settle_reminder(code, debt["debt_id"], kind=kind, due_date=str(debt["due_date"]), status="sent",
                                 message_id=message_id)
    return "sent"


def _mask(email: str) -> str:
    """`m***@dominio.cl`: enough for an official to recognise a delivery, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def _message(ctx: ReminderContext, config: dict[str, Any], debt: dict[str, Any], kind: str, email: str,
             digest: str, version: int) -> OutgoingEmail:
    return reminder_email(config, debt, kind, email, unsubscribe_url(ctx.public_api_url, ctx.index_secret, digest,
                                                                     version))


LOG_FIELDS = ("at", "kind", "debt_id", "description", "amount", "due_date", "recipient", "status", "reason")


def delivery_log(repo: CitizenRepository, code: str, month: str) -> dict[str, Any]:
    """The municipality's reminder deliveries of a month (UTC), newest first, for its officials."""
    return {"month": month, "deliveries": [{k: r.get(k) for k in LOG_FIELDS} for r in repo.reminder_log(code, month)]}


# -- next year's permit, in February ------------------------------------------------------------

SCAN_DAYS_PER_PASS = 60
"""Days of last year's payments one pass reads per municipality (a cursor carries on the next day)."""
PAID_STATUSES = frozenset({"paid", "review", "refund_failed"})


def run_permit_renewals(ctx: ReminderContext, today: date | None = None) -> dict[str, int]:
    """In February: remind each plate whose permit of last year a citizen paid, when this year's is
    not paid yet, to that citizen — with consent for all their obligations; once per plate and year
    (the claim), with the municipality's branding and the unsubscribe link. Last year's payments are
    read SCAN_DAYS_PER_PASS days per pass and municipality, from a cursor, so each daily pass is short."""
    now = ctx.clock()
    today = today or now.date()
    counts = {"considered": 0, "no_consent": 0, "already_paid": 0, "already_sent": 0, "sent": 0, "failed": 0,
              "suppressed": 0}
    year = renewal_year(today)
    if year is None or ctx.permit_paid is None:
        return counts
    first, last = renewal_scan_range(year)
    for muni in ctx.municipalities.list_all():
        if muni.get("enabled") is False:
            continue
        code = str(muni["code"])
        config = ctx.municipalities.get(code) or {}
        cursor = ctx.citizens.renewal_cursor(code, year)
        day = date.fromisoformat(cursor) if cursor else first
        stop = min(last, day + timedelta(days=SCAN_DAYS_PER_PASS - 1))
        while day <= stop:
            for payment in ctx.citizens.payments_of_day(code, day.isoformat()):
                for plate in _last_years_plates(payment, year - 1):
                    counts["considered"] += 1
                    counts[_remind_renewal(ctx, code, config, plate, str(payment["payer"]["rut"]), year, now)] += 1
            day += timedelta(days=1)
        if day.isoformat() != cursor:
            ctx.citizens.advance_renewal_cursor(code, year, old=cursor, new=day.isoformat())
    return counts


def permit_taken(payments: PaymentRepository) -> Callable[[str, int], bool]:
    """`ReminderContext.permit_paid` from the national permit holds: the year's first half (or the
    whole permit) paid or being paid."""
    from chalicelib.domain.payments import permit_hold_keys

    def taken(plate: str, year: int) -> bool:
        # whether an e-mail goes out is decided on this answer: as stored now
        hold = payments.permit_holds(plate, consistent=True).get(permit_hold_keys(plate, year, "first")[0])
        return bool(hold and hold.get("status") in ("paid", "pending"))

    return taken


def _last_years_plates(payment: dict[str, Any], last_year: int) -> list[str]:
    if payment.get("status") not in PAID_STATUSES or not (payment.get("payer") or {}).get("rut"):
        return []
    return sorted({str(i["plate"]) for i in payment.get("items") or []
                   if i.get("type") == "permit" and int(i.get("year") or 0) == last_year and i.get("plate")})


def _remind_renewal(ctx: ReminderContext, code: str, config: dict[str, Any], plate: str, rut: str, year: int,
                    now: datetime) -> str:
    if ctx.permit_paid is None or ctx.permit_paid(plate, year):
        return "already_paid"
    digest = run_digest(ctx.index_secret, rut)
    consent = ctx.citizens.consent(digest)
    if not consent or not consent.get("email") or ALL not in list(consent.get("obligations") or []):
        return "no_consent"
    email = str(consent["email"])
    if ctx.suppressed(code, email):
        return "suppressed"
    deadline = _light_deadline(config, year)
    description = f"Permiso de circulación {year}, {plate}"
    at = now.isoformat(timespec="seconds")
    utc = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    key = f"PERMIT-{plate}"
    if not ctx.citizens.claim_reminder(code, key, kind="renewal", due_date=deadline.isoformat(), at=at,
                                       log_month=utc[:7], log_key=f"{utc}#{key}#renewal",
                                       detail={"description": description, "recipient": _mask(email)}):
        return "already_sent"
    try:
        message = _renewal_message(ctx, config, plate, year, deadline, email, digest, int(consent.get("version", 1)))
        message_id = ctx.mailer.send(message)
    except (DependencyUnavailable, InvalidInput) as exc:
        ctx.citizens.settle_reminder(code, key, kind="renewal", due_date=deadline.isoformat(), status="failed",
                                     reason=exc.code)
        return "failed"
    ctx.citizens.settle_reminder(code, key, kind="renewal", due_date=deadline.isoformat(), status="sent",
                                 message_id=message_id)
    return "sent"


def _light_deadline(config: dict[str, Any], year: int) -> date:
    """The light vehicles' deadline in the municipality's permit rules (31 March by the law's rules)."""
    from chalicelib.domain.permit_rules import VehicleClass
    from chalicelib.services.municipalities import permit_rules

    return permit_rules(config).classes[VehicleClass.LIGHT].deadline.in_year(year)


def _renewal_message(ctx: ReminderContext, config: dict[str, Any], plate: str, year: int, deadline: date,
                     email: str, digest: str, version: int) -> OutgoingEmail:
    return renewal_email(config, plate, year, deadline, email,
                         unsubscribe_url(ctx.public_api_url, ctx.index_secret, digest, version))

