"""Every DynamoDB key of the platform, built in one place (the layout is in docs/data-model.md).

Each partition key starts with the owner's 5-digit CUT code, so that an IAM condition on
`dynamodb:LeadingKeys` can fence a municipality and no query can cross tenants. Data that belongs
to the platform as a whole (reference tables, the list of municipalities, national totals) uses
the pseudo-code `00000`.
"""

from __future__ import annotations

import re

from chalicelib.domain.municipality_codes import PLATFORM as PLATFORM  # keys start with these (re-exported)
from chalicelib.domain.municipality_codes import tenant as tenant

_SUB = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# -- platform-wide ------------------------------------------------------------------------------

def municipality_index() -> str:
    """Partition listing every municipality (sk = code): one Query for `GET /v1/municipalities`."""
    return f"{PLATFORM}#MUNICIPALITIES"


def official_account(sub: str) -> str:
    """Partition of the pointer from a Cognito account (its immutable `sub`) to the official it
    belongs to (sk `OFFICIAL`: municipality and e-mail). Platform-wide because an account is
    resolved before its municipality is known; it holds no data of the municipality."""
    if not _SUB.match(sub):
        raise ValueError(f"not a Cognito sub: {sub!r}")
    return f"{PLATFORM}#ACCOUNT#{sub}"


def reference_table(name: str) -> str:
    """Partition of a monthly reference table (`UTM`, `IPC`, `TASA`), sk = `YYYY-MM`."""
    return f"{PLATFORM}#REF#{name}"


# -- per municipality ---------------------------------------------------------------------------

def municipality(code: str) -> str:
    """Partition of a municipality's configuration (sk `CONFIG`, `PORTAL_KEY#…`, `TARIFFS`)."""
    return f"{tenant(code)}#MUNI"


def officials(code: str) -> str:
    """Partition of a municipality's officials (sk = e-mail; the record holds the account's `sub`)."""
    return f"{tenant(code)}#OFFICIALS"


def official_runs(code: str) -> str:
    """Partition of the RUNs held by a municipality's officials (sk = compact RUN, `email`): what
    keeps a RUN unique per municipality, written in the same transaction as the official."""
    return f"{tenant(code)}#OFFICIAL_RUNS"


def official_proposals(code: str) -> str:
    """Partition of proposals to create or promote an official to a profile that authorizes
    payments (sk = proposal id), waiting for a second approval (four eyes)."""
    return f"{tenant(code)}#OFFICIAL_PROPOSALS"


def vehicle(code: str, plate: str) -> str:
    """Partition of what a municipality knows of a vehicle (sk `DATA`, `PERMIT#<year>#<installment>`)."""
    return f"{tenant(code)}#VEHICLE#{plate}"


def audit(code: str, month: str) -> str:
    """Partition of a municipality's audit log for one month `YYYY-MM` (sk = time#id)."""
    return f"{tenant(code)}#AUDIT#{month}"


def by_rut(code: str, rut: str) -> str:
    """GSI2 partition of what a municipality has under a RUT (sk `DEBT#<id>`, `PAY#<time>`)."""
    return f"{tenant(code)}#RUT#{rut}"


def by_plate(code: str, plate: str) -> str:
    """GSI2 partition of a municipality's payments for a plate (sk `PAY#<time>`)."""
    return f"{tenant(code)}#PLATE#{plate}"


def debt(code: str, debt_id: str) -> str:
    """Partition of one debt from a municipality's roll (sk `DEBT`)."""
    return f"{tenant(code)}#DEBT#{debt_id}"


def payment(code: str, payment_id: str) -> str:
    """Partition of a payment: `META`, `EVENT#<time>#<n>`, `EMAIL#…` rows."""
    return f"{tenant(code)}#PAY#{payment_id}"


def payments_by_day(code: str, day: str) -> str:
    """GSI1 partition of a municipality's payments created on a day `YYYY-MM-DD` (sk time#id)."""
    return f"{tenant(code)}#PAYDAY#{day}"


def pending(code: str) -> str:
    """GSI3 (sparse) partition of a municipality's pending payments (sk = expiry time)."""
    return f"{tenant(code)}#PENDING"


def outbox(code: str) -> str:
    """GSI3 (sparse) partition of paid payments whose receipt is unfinished: sk is when the sweep
    queues the job (at once when not queued yet; at the recheck time once queued)."""
    return f"{tenant(code)}#OUTBOX"


def alerts(code: str) -> str:
    """GSI2 (sparse) partition of what the municipality's treasury must look at (a reversal not yet
    acknowledged); sk is when it happened."""
    return f"{tenant(code)}#ALERTS"


def annulment_outbox(code: str) -> str:
    """GSI3 (sparse) partition of refunds and reversals whose annulment document is not settled
    yet (sk: when the sweep queues its job again)."""
    return f"{tenant(code)}#ANNULOUTBOX"


def hold(code: str, item_key: str) -> tuple[str, str]:
    """Key (pk, sk) of the item holding one payable item's hold (`domain/payments.py`:
    `PERMIT#<plate>#<year>#<n>` or `DEBT#<id>`). Permits are held nationally (`00000`): a vehicle's
    permit for a year is paid once, in whichever municipality; every year of a plate lives in the
    plate's partition (`permit_holds`, sk `<year>`), one item a year whose installments' holds are
    its map attributes (`hold_slot`), so one Query answers all the plate's questions and a full
    year's two installments are one write. A debt's hold is its own item in its municipality
    (sk `HOLD`)."""
    kind, _, rest = item_key.partition("#")
    if kind == "PERMIT":
        plate, year, _half = rest.split("#")
        return permit_holds(code, plate), year
    return f"{tenant(code)}#HOLD#{item_key}", "HOLD"


def hold_slot(item_key: str) -> str | None:
    """The map attribute of a permit's year item that holds installment n's hold (`i<n>`); None
    for a debt's hold (the item is the hold)."""
    kind, _, rest = item_key.partition("#")
    if kind != "PERMIT":
        return None
    return f"i{rest.rsplit('#', 1)[-1]}"


def permit_holds(code: str, plate: str) -> str:
    """Partition of a plate's permit holds, every year (sk `<year>`, the installments as maps
    `i1`, `i2`; rows `<year>#<n>` of the release before are still read; `code` is the platform's
    `00000`)."""
    return f"{tenant(code)}#HOLD#PERMIT#{plate}"


def installment_permit_hold(code: str, item_key: str) -> tuple[str, str]:
    """Where the release before kept one installment's hold in the plate's partition (sk
    `<year>#<n>`): still read, never written."""
    plate, year, half = item_key.split("#")[1:]
    return permit_holds(code, plate), f"{year}#{half}"


def legacy_permit_hold(code: str, item_key: str) -> tuple[str, str]:
    """Where a permit's hold was kept before the plate's partition (one partition per
    installment, sk `HOLD`): read only by the one-off migration (`services/hold_migration.py`)."""
    return f"{tenant(code)}#HOLD#{item_key}", "HOLD"


def idempotency(code: str, key: str) -> str:
    """Partition of an idempotency record (municipality, Idempotency-Key)."""
    return f"{tenant(code)}#IDEM#{key}"


def annulment_counter(code: str, year: int) -> str:
    """Partition of a municipality's folio counter of annulment documents (comprobantes de anulación
    and credit notes) for one year (sk `COUNTER`): their own series, apart from receipts'."""
    return f"{tenant(code)}#FOLIO#ANU#{year:04d}"


def annulment(code: str, folio: str) -> str:
    """Partition of one annulment document, by its folio (sk `ANNULMENT`)."""
    return f"{tenant(code)}#ANNULMENT#{folio}"


def refunds(code: str) -> str:
    """GSI1 partition of a municipality's refunds and reversals (gsi1sk `<utc created>#<id>`): the
    refunds page's list, newest first. The rows themselves live in their payment's partition."""
    return f"{tenant(code)}#REFUNDS"


def stats(code: str, day: str) -> str:
    """Partition of a municipality's counters for a day (the platform's day is their sum, derived
    when read: `stats_repo`)."""
    return f"{tenant(code)}#STATS#{day}"


def folio_counter(code: str, year: int) -> str:
    """Partition of a municipality's receipt folio counter for one year (sk `COUNTER`)."""
    return f"{tenant(code)}#FOLIO#{year:04d}"


def receipt(code: str, folio: str) -> str:
    """Partition of one issued receipt, by folio (sk `RECEIPT`): the verify route's look-up."""
    return f"{tenant(code)}#RECEIPT#{folio}"


def settlement(code: str, day: str) -> str:
    """Partition of TGR's settlement files of a municipality for one day (sk `FILE#<sha256>`,
    `HEAD` = the version counter)."""
    return f"{tenant(code)}#SETTLE#{day}"


def settlement_poll(code: str) -> str:
    """Partition of the local poller's marker for a municipality's settlement files (sk `MARKER`)."""
    return f"{tenant(code)}#SETTLEPOLL"


def reconciliation(code: str, day: str) -> str:
    """Partition of a municipality's reconciliation of one day: `RUN#<utc>#<n>` (append-only runs),
    `DISC#<id>` (a discrepancy) and `DISC#<id>#EV#<utc>#<n>` (its comments and status events)."""
    return f"{tenant(code)}#RECON#{day}"


def stats_rollup(code: str, year: int) -> str:
    """Partition of a municipality's (or `00000`'s) closed-month summaries of one year (sk `YYYY-MM`,
    the month's days inside), derived once from the daily counters (`stats`) by the reports; and
    of the platform's closed days of a month still open (sk `DAY#YYYY-MM-DD`)."""
    return f"{tenant(code)}#STATSY#{year:04d}"


def roll_uploads(code: str) -> str:
    """Partition of a municipality's roll uploads (sk `UPLOAD#<upload id>`, ids sort by time)."""
    return f"{tenant(code)}#ROLLS"


def roll_upload_lines(code: str, upload_id: str) -> str:
    """Partition of one roll upload's rejected lines (sk `ERROR#<line, 7 digits>`)."""
    return f"{tenant(code)}#ROLL#{upload_id}"


def logo_uploads(code: str) -> str:
    """Partition of a municipality's logo upload sessions (sk `LOGO#<upload id>`, TTL)."""
    return f"{tenant(code)}#LOGOS"


# -- electronic signatures (docs/signatures.md) -------------------------------------------------

def signer(code: str, email: str) -> str:
    """Partition of an official's signing enrollment (sk `ENROLLMENT`; `CERT#<serial>` per
    certificate ever issued to them). Central officials use `00000`."""
    return f"{tenant(code)}#SIGNER#{email.lower()}"


def certificate_status(serial: str) -> str:
    """Partition of one certificate's status (sk `STATUS`): the platform CA's revocation list,
    platform data (`00000`) because a serial alone must answer `GET /v1/trust/certificates/{serial}`."""
    return f"{PLATFORM}#CERT#{serial.lower()}"


def batch(code: str, day: str) -> str:
    """Partition of a municipality's signed payment batches (nóminas) of one day: `SIGNED#<nnn>`
    (001 the batch, 002… its corrections), each written once."""
    return f"{tenant(code)}#BATCH#{day}"


def agreements(code: str) -> str:
    """Partition of a municipality's agreements with the central level (sk = agreement id, ids
    sort by issue time)."""
    return f"{tenant(code)}#AGREEMENTS"


# -- rate limits (chalicelib/services/rate_limit.py) ----------------------------------------------

def rate_limit(code: str, scope: str, subject: str) -> str:
    """Partition of one fixed-window counter (sk `WINDOW#<window start, unix s>`, TTL): attempts
    of `scope` (e.g. `payment-token`) against `subject` (a payment id, a hashed source address)."""
    return f"{tenant(code)}#RATE#{scope}#{subject}"


def email_events(code: str, day: str) -> str:
    """Partition of a municipality's SES e-mail events of a day `YYYY-MM-DD` (sk time#payment#type#id):
    the delivery page and the sending-health rates."""
    return f"{tenant(code)}#MAILEVT#{day}"


def email_suppression(code: str) -> str:
    """Partition of a municipality's suppressed addresses (sk = SHA-256 of the address): a complaint
    stops further mail to that address."""
    return f"{tenant(code)}#SUPPRESS"


# -- personal data (docs/personal-data.md) -------------------------------------------------------

def retention_marker(code: str) -> str:
    """Partition of the retention job's progress in a municipality (sk `MARKER`): the last day of
    payments each pass has finished."""
    return f"{tenant(code)}#RETENTION"


def rights_requests(code: str) -> str:
    """Partition of a municipality's personal-data rights requests (sk `REQ#<id>`, ids sort by
    filing time; `REQ#<id>#EV#<utc>#<n>` each step)."""
    return f"{tenant(code)}#RIGHTS"


# -- citizens' own space (docs/citizens.md) ---------------------------------------------------------

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _hex64(value: str) -> str:
    if not _HEX64.match(value):
        raise ValueError("not a 64-hex-digit digest")
    return value


def citizen_sign_in(state_digest: str) -> str:
    """Partition of one ClaveÚnica sign-in under way (sk `FLOW`: nonce, PKCE verifier, expiry;
    TTL), addressed by the SHA-256 of its `state`. Platform data: the citizen is not yet known."""
    return f"{PLATFORM}#CITIZEN_SIGNIN#{_hex64(state_digest)}"


def citizen(run_digest: str) -> str:
    """Partition of the national index of a citizen's payments (sk `PAY#<utc>#<payment id>`:
    municipality and payment id), addressed by a keyed hash (HMAC-SHA256) of the RUN — never
    the RUN in clear. Platform data (`00000`): a citizen pays in any municipality."""
    return f"{PLATFORM}#CITIZEN#{_hex64(run_digest)}"


def debts_due(code: str, month: str) -> str:
    """GSI1 partition of a municipality's debts falling due in a month `YYYY-MM` (sk
    `<due date>#<debt id>`): what the reminders worker reads."""
    if not re.match(r"^[0-9]{4}-[0-9]{2}$", month):
        raise ValueError(f"not a month: {month!r}")
    return f"{tenant(code)}#DUE#{month}"


def reminder(code: str, debt_id: str) -> str:
    """Partition of the reminders sent for one debt (sk `<kind>#<due date>`: one per kind and due
    date, written once — the worker's idempotency)."""
    return f"{tenant(code)}#REMINDER#{debt_id}"


def reminder_log(code: str, month: str) -> str:
    """GSI1 partition of a municipality's reminder deliveries of a month (sk `<utc>#<debt id>`)."""
    return f"{tenant(code)}#REMINDERLOG#{month}"


# -- fleets: a company's representatives and plates (docs/citizens.md, "Flotas") -----------------

_COMPANY_RUT = re.compile(r"^[1-9][0-9]{6,7}-[0-9K]$")


def company(rut_compact: str) -> str:
    """Partition of a company (a legal person, by its compact RUT): its representatives (sk
    `REP#<RUN>`), its plate list (sk `PLATE#<plate>`) and its fleet payments (sk `PAY#<id>`).
    Platform data (`00000`): a company's plates are registered in any municipality."""
    if not _COMPANY_RUT.match(rut_compact):
        raise ValueError("not a compact RUT")
    return f"{PLATFORM}#COMPANY#{rut_compact}"
