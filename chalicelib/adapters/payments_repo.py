"""Payments, their items, events and holds in DynamoDB: the payment record's only owner.

Services call what happens to a payment (`create_pending`, `attach_order`, `mark_paid`,
`close`, `queue_receipt`, `expire`, `paid_on(day)`, …); the keys, index keys and expressions
of the record are built here and nowhere else. Every status change is one transaction,
conditional on the state it leaves, that writes the event which caused it beside it (or folds the
step into the record: domain/payment_history.py); a change of one item alone (the order, the
receipt job's outbox mark) is one conditional write."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from chalicelib.adapters import hold_items, table_keys
from chalicelib.adapters.dynamo import DynamoTable, set_remove_expression
from chalicelib.adapters.packed_json import pack, unpack
from chalicelib.domain.errors import ConditionFailed, Conflict
from chalicelib.domain.payment_history import history
from chalicelib.domain.payments import utc_key

HoldRef = hold_items.HoldRef  # (owner code, item key)

INDEX_FIELDS = frozenset({"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"})
"""The table's index keys: storage detail, never part of what a payment is (exports drop them)."""

LISTING = "LIST"
"""Sort key of a payment's listing entry (`listing_row`)."""

PLATE_LISTING = "PLATE#"
"""Sort key prefix of a permit item's entry in the listing by plate (GSI2), `PLATE#<nn>`, in
payments created before the item row itself carried the plate's index keys (still read)."""

ITEM = "ITEM#"
"""Sort key prefix of a payment's item rows, `ITEM#<nn>`."""

PACKED_BREAKDOWN = "breakdown_z"
"""An item row's breakdown (with its checks), packed (`adapters/packed_json.py`): under 1 KB."""

PLATFORM = "00000"
"""The platform's pseudo-code: national holds."""

_event_seq = itertools.count()


def event_row(code: str, payment_id: str, at: str, kind: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    """One entry of a payment's history."""
    return {"pk": table_keys.payment(code, payment_id), "sk": f"EVENT#{utc_key(at)}#{next(_event_seq) % 1000:03d}",
            "type": kind, "at": at, "detail": dict(detail)}


class PaymentRepository:
    """Reads and conditional writes of payments and item holds."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    # -- reads ---------------------------------------------------------------------------------

    def get(self, code: str, payment_id: str, *, consistent: bool = True) -> dict[str, Any] | None:
        return self._table.get(table_keys.payment(code, payment_id), "META", consistent=consistent)

    def items(self, code: str, payment_id: str, *, consistent: bool = True) -> list[dict[str, Any]]:
        """The payment's item rows, with their breakdown (and its checks) as written."""
        return [item_row(r) for r in
                self._table.query_all(table_keys.payment(code, payment_id), sk_prefix=ITEM, consistent=consistent)]

    def events(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        """The payment's history (`domain/payment_history.py`): its event rows and the steps its
        record implies, in time order."""
        rows = self._table.query_all(table_keys.payment(code, payment_id), sk_prefix="EVENT#", consistent=True)
        return history(self.get(code, payment_id), rows)

    def created_on(self, code: str, day: str) -> Iterator[dict[str, Any]]:
        """The municipality's payments created on `day` (Chile's date), oldest first."""
        for row in self._table.query_all(table_keys.payments_by_day(code, day), index="GSI1", limit=500):
            meta = self.listed(code, row)
            if meta is not None:
                yield meta

    def listed(self, code: str, row: Mapping[str, Any]) -> dict[str, Any] | None:
        """The payment record behind a row of a payment listing (by day, RUT or plate): the
        listing holds keys only, the record is read by key (None for a row of something else)."""
        if row.get("sk") == "META":  # a record written before the listing had its own row
            return dict(row)
        if not str(row.get("pk", "")).startswith(f"{table_keys.tenant(code)}#PAY#"):
            return None
        return self._table.get(str(row["pk"]), "META")

    def paid_on(self, code: str, day: str) -> list[dict[str, Any]]:
        """The municipality's payments paid on `day` that went through `paid` (created that day or
        the day before: a payment lives at most a few hours before TGR's answer)."""
        from datetime import date, timedelta

        from chalicelib.domain.payments import went_through_paid

        previous = (date.fromisoformat(day) - timedelta(days=1)).isoformat()
        return [meta for created in (previous, day) for meta in self.created_on(code, created)
                if went_through_paid(meta) and str(meta.get("paid_at", ""))[:10] == day]

    def listing_partitions(self, code: str, *, rut: str | None = None, plate: str | None = None,
                           days: Sequence[str] = (), utc_span: tuple[str, str] | None = None) -> list[Any]:
        """Where the officials' payment search reads (paged_search partitions), newest first: a
        RUT's or a plate's payments (within `utc_span` when given), or the payments of `days`."""
        from chalicelib.adapters.paged_search import Partition

        if rut or plate:
            pk = table_keys.by_rut(code, rut) if rut else table_keys.by_plate(code, str(plate))
            return [Partition(pk, index="GSI2", sk_prefix=None if utc_span else "PAY#",
                              sk_between=(f"PAY#{utc_span[0]}", f"PAY#{utc_span[1]}") if utc_span else None)]
        return [Partition(table_keys.payments_by_day(code, day), index="GSI1") for day in days]

    @staticmethod
    def payment_id_of(row: Mapping[str, Any]) -> str:
        """The payment a row of its collection (or of an index) belongs to."""
        return _payment_id_of(row)

    def email_attempts(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        """The payment's e-mail delivery attempts, oldest first, without their keys."""
        return [_without_keys(r) for r in
                self._table.query_all(table_keys.payment(code, payment_id), sk_prefix="EMAIL#", consistent=True)]

    def email_events(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        """SES's events of the payment's e-mails (docs/email-events.md), in key order."""
        return list(self._table.query_all(table_keys.payment(code, payment_id), sk_prefix="EMAILEVT#", consistent=True))

    def collection(self, code: str, payment_id: str) -> list[dict[str, Any]]:
        """Every row of the payment (record, items, events, e-mails, refunds), for an export."""
        return [item_row(r) for r in self._table.query_all(table_keys.payment(code, payment_id), limit=500)]

    def hold(self, ref: HoldRef) -> dict[str, Any] | None:
        """One hold as stored now (strongly consistent): a debt's, or a single look-up (a permit
        installment's from its year item, else from the release before's installment row)."""
        found = hold_items.of_item(self._table.get(*table_keys.hold(*ref), consistent=True), ref[1])
        if found is None and table_keys.hold_slot(ref[1]) is not None:
            return self._table.get(*table_keys.installment_permit_hold(*ref), consistent=True)
        return found

    def permit_holds(self, plate: str, *, consistent: bool = False) -> dict[str, dict[str, Any]]:
        """Every permit hold of a plate, every year, by item key (`PERMIT#<plate>#<year>#<n>`): one
        Query of the plate's partition. Eventually consistent by default, for what a transaction's
        conditions guard anyway (the quote, the creation's pre-checks); `consistent=True` where
        the answer itself is the decision (the plate look-up, a refund, a reminder)."""
        rows = self._table.query_all(table_keys.permit_holds(PLATFORM, plate), consistent=consistent, limit=100)
        return hold_items.of_plate(rows, plate)

    def copy_legacy_permit_hold(self, item_key: str) -> str:
        """Copy a permit hold kept under its pre-partition key (`table_keys.legacy_permit_hold`) to
        its plate's partition (the one-off migration, `services/hold_migration.py`). The copy
        remembers the `updated_at` it was taken from (`legacy_updated_at`, which every later write
        of the hold drops); it is written when the new item is missing, or is such a copy,
        untouched since, and the old item changed after it (the old release kept writing until the
        deploy). A hold the new release wrote or changed is never replaced. Returns `copied`,
        `already` or `absent` (no old item)."""
        old = self._table.get(*table_keys.legacy_permit_hold(PLATFORM, item_key), consistent=True)
        if old is None:
            return "absent"
        pk, sk = table_keys.hold(PLATFORM, item_key)
        taken_from = str(old.get("updated_at", ""))
        copy = {**{k: v for k, v in old.items() if k not in ("pk", "sk")}, "item": item_key,
                "legacy_updated_at": taken_from}
        try:  # the installment's map in the year item (hold_items.py); the year's other installment stays
            self._table.update(pk, sk, "SET #h = :copy",
                               condition="attribute_not_exists(#h) OR "
                                         "(attribute_exists(#h.legacy_updated_at) AND #h.legacy_updated_at <> :from)",
                               names={"#h": str(table_keys.hold_slot(item_key))},
                               values={":copy": copy, ":from": taken_from}, return_new=False)
        except ConditionFailed:
            return "already"
        return "copied"

    def due_pending(self, code: str, now_iso: str, limit: int = 100) -> list[str]:
        """Ids of the municipality's pending payments whose expiry time has passed."""
        page = self._table.query(table_keys.pending(code), index="GSI3", sk_between=("0", now_iso), limit=limit)
        return [_payment_id_of(i) for i in page.items]

    def unqueued_receipts(self, code: str, before_iso: str, limit: int = 100) -> list[str]:
        """Ids of paid payments whose receipt job was not confirmed queued, or whose receipt is
        still unfinished at its recheck time, before `before_iso`."""
        page = self._table.query(table_keys.outbox(code), index="GSI3", sk_between=("0", before_iso), limit=limit)
        return [_payment_id_of(i) for i in page.items]

    # -- writes --------------------------------------------------------------------------------

    def create(self, meta: dict[str, Any], item_rows: Sequence[dict[str, Any]], holds: Sequence[HoldRef],
               event: dict[str, Any] | None = None, *, now_iso: str, hold_expires_at: str,
               extra: Sequence[Mapping[str, Any]] = ()) -> None:
        """Create a pending payment and take every hold, atomically. A hold is free when it does
        not exist, was released, or belongs to a pending payment past its expiry.
        `Conflict(field="items[i]")` names the first item that is already paid or held."""
        code, payment_id = meta["municipality"], meta["payment_id"]
        groups = hold_items.grouped(holds)  # one write a hold item: a full year's installments are one
        operations: list[Mapping[str, Any]] = [
            hold_items.take(group, payment_id=payment_id, code=code, expires_at=hold_expires_at, now_iso=now_iso)
            for group in groups]
        operations.append({"put": meta, "condition": "attribute_not_exists(pk)"})
        operations += [{"put": row, "condition": "attribute_not_exists(pk)"} for row in item_rows]
        if event is not None:
            operations.append({"put": event})
        operations.extend(extra)
        try:
            self._table.transact(operations)
        except ConditionFailed as exc:
            index = next((i for i, r in enumerate(exc.reasons) if r == "ConditionalCheckFailed"), None)
            item_index = meta_item_index(meta, self._refused(groups, index, now_iso))
            raise Conflict("Uno de los ítems ya está pagado o tiene un pago en curso.", code="item_unavailable",
                           field=f"items[{item_index}]" if item_index is not None else "items") from exc

    def _refused(self, groups: Sequence[Sequence[HoldRef]], failed: int | None, now_iso: str) -> list[str]:
        """The item keys of the hold write the transaction refused (by position): when that one
        item holds installments of several cart items, those of them not free now (read again)."""
        if failed is None or failed >= len(groups):
            return []
        group = groups[failed]
        if len(group) > 1:
            taken = [key for owner, key in group if not hold_items.is_free(self.hold((owner, key)), now_iso)]
            return taken or [key for _, key in group]
        return [key for _, key in group]

    def create_pending(self, payment: Mapping[str, Any], items: Sequence[Mapping[str, Any]],
                       holds: Sequence[HoldRef], *, payer_rut: str, now_key: str, expires_key: str,
                       before: Sequence[Mapping[str, Any]] = (), again: bool = False) -> None:
        """Create a pending payment (`payment` without keys) and take every hold, atomically: the
        transaction holds only what must change together, the holds and the record (`create`;
        its `created` event is implied by the record). Written first, each by a conditional put
        (half the units of a transactional write): the item rows (each permit item listed by its
        plate, GSI2), the listing entry by day and by the payer's RUT (`listing_row`) and the
        `before` puts (the citizen's pointer). Every reader reaches those through the record, so
        a cart refused by the transaction leaves them harmless under an id never given out.
        `again`: an earlier attempt of the same request, now dead, may have written them under
        this id (the idempotency claim kept it): they are replaced."""
        code, payment_id = payment["municipality"], payment["payment_id"]
        meta = {"pk": table_keys.payment(code, payment_id), "sk": "META", **payment,
                "gsi3pk": table_keys.pending(code), "gsi3sk": expires_key}
        listing = listing_row(code, payment_id, created_day=str(payment["created_at"])[:10], created_key=now_key,
                              payer_rut=payer_rut)
        rows = [{"put": new_item_row(code, payment_id, i, item, created_key=now_key),
                 "condition": "attribute_not_exists(pk)"} for i, item in enumerate(items)]
        for operation in [*rows, {"put": listing, "condition": "attribute_not_exists(pk)"}, *before]:
            try:
                self._table.put(operation["put"], condition=operation["condition"])
            except ConditionFailed:
                if not again:
                    raise
                self._table.put(operation["put"], condition="attribute_exists(pk)")
        self.create(meta, (), holds, None, now_iso=now_key, hold_expires_at=expires_key)

    def attach_order(self, code: str, payment_id: str, *, order_id: str, checkout_url: str, at: str) -> None:
        """Record TGR's order of a payment (TGR gives the same one for the same payment) in one
        conditional write of the record; `order_at` (`at`, a UTC key: the record is written at every
        step, so it stays short) implies its `gateway_order_created` event; the return address, needed
        for nothing else, is removed. ConditionFailed when
        the record is missing or holds another order."""
        # The return address was only for TGR's order: once the order exists it goes, so the record
        # every later step rewrites does not carry it (the portal may send up to 2,000 characters).
        self.update_fields(code, payment_id, set_fields={"order_id": order_id, "checkout_url": checkout_url,
                                                         "order_at": at},
                           remove_fields=["return_url"],
                           condition="attribute_exists(pk) AND (attribute_not_exists(order_id) OR order_id = :oid)",
                           values={":oid": order_id})

    def close(self, code: str, payment_id: str, *, from_status: str, to_status: str, at: str, event_kind: str,
              detail: Mapping[str, Any], holds: Sequence[HoldRef], event: dict[str, Any] | None = None) -> None:
        """End a payment without money (cancelled, rejected, expired): the holds are released and
        it leaves the expiry sweep. ConditionFailed when it is no longer `from_status`."""
        self.transition(code, payment_id, from_status=from_status, to_status=to_status,
                        set_fields={"closed_at": at}, remove_fields=["gsi3pk", "gsi3sk"],
                        event=event or event_row(code, payment_id, at, event_kind, detail),
                        holds=holds, hold_status="released")

    def expire(self, code: str, payment_id: str, *, at: str, expires_at: str, holds: Sequence[HoldRef]) -> None:
        """The sweep's end of a pending payment past its time (ConditionFailed if TGR answered first)."""
        self.close(code, payment_id, from_status="pending", to_status="expired", at=at, event_kind="expired",
                   detail={"expires_at": expires_at}, holds=holds)

    def to_review(self, code: str, payment_id: str, *, from_status: str, reason: str | None,
                  fields: Mapping[str, Any], event: dict[str, Any], holds: Sequence[HoldRef]) -> None:
        """Put a payment in a person's hands (`review`); the holds of a pending one stay held for review."""
        from_pending = from_status == "pending"
        self.transition(code, payment_id, from_status=from_status, to_status="review",
                        set_fields={"review_reason": reason, **fields}, remove_fields=["gsi3pk", "gsi3sk"],
                        event=event, holds=holds if from_pending else (),
                        hold_status="review" if from_pending else None)

    def mark_paid(self, payment: Mapping[str, Any], *, paid_at: str, method: str, authorization_code: str | None,
                  order_id: str, outbox_due_key: str, holds: Sequence[HoldRef], at: str,
                  paid_debts: Sequence[str] = (), new_debts: Sequence[Mapping[str, Any]] = ()) -> None:
        """Move a pending payment to `paid`, in one transaction with: its holds (paid), the debts it
        paid (open → paid), the debts it creates (a second installment), the municipality's day
        counters, and the outbox mark that makes its receipt job due at `outbox_due_key` (a short
        grace: the job is sent right after this, without a write, and is sent again only if its
        e-mail is not settled by then). No event row: the record's fields (TGR's `paid_at`,
        `method`, `authorization_code`, `order_id`) are the approval's event (`payment_history._paid`);
        TGR's notification id is not kept (it identifies TGR's message, not the payment, and
        would take `META` over 1 KB in the receipt's steps)."""
        from chalicelib.adapters.debts_repo import DebtRepository

        code, payment_id = payment["municipality"], payment["payment_id"]
        extra: list[dict[str, Any]] = []
        for debt_id in paid_debts:
            extra.append({"update": (table_keys.debt(code, debt_id), "DEBT"),
                          "expression": "SET #s = :paid, paid_by = :pid", "condition": "#s = :open",
                          "names": {"#s": "status"}, "values": {":paid": "paid", ":open": "open", ":pid": payment_id}})
        for debt in new_debts:
            extra.append({"put": DebtRepository.row(code, dict(debt)), "condition": "attribute_not_exists(pk)"})
        extra += counter_updates(code, paid_at[:10], method, payment.get("items", []))
        self.transition(
            code, payment_id, from_status="pending", to_status="paid",
            set_fields={"paid_at": paid_at, "method": method, "authorization_code": authorization_code,
                        "order_id": order_id, "receipt_job": "pending",
                        "gsi3pk": table_keys.outbox(code), "gsi3sk": outbox_due_key},
            event=None, at=at, holds=holds, hold_status="paid", extra=extra)

    @staticmethod
    def receipt_job_is_due(payment: Mapping[str, Any], now_key: str) -> bool:
        """Whether a paid payment's receipt job is due to be sent (again): its outbox mark is
        there and its time has come (a refused send, a crash before the send, an unfinished job)."""
        return payment.get("gsi3pk") == table_keys.outbox(str(payment["municipality"])) \
            and str(payment.get("gsi3sk", "~")) <= now_key

    def make_receipt_job_due(self, code: str, payment_id: str, *, due_key: str) -> None:
        """The receipt job could not be sent: its outbox mark is due at `due_key` (ConditionFailed
        when the e-mail was settled in between: the mark is gone)."""
        self.update_fields(code, payment_id, set_fields={"gsi3sk": due_key},
                           condition="gsi3pk = :outbox", values={":outbox": table_keys.outbox(code)})

    def queue_receipt(self, code: str, payment_id: str, *, recheck_key: str) -> None:
        """The receipt job was sent: its outbox mark moves to the recheck time (ConditionFailed when
        the e-mail was settled in between: the mark is gone)."""
        self.update_fields(code, payment_id, set_fields={"receipt_job": "queued", "gsi3sk": recheck_key},
                           condition="gsi3pk = :outbox", values={":outbox": table_keys.outbox(code)})

    def transition(self, code: str, payment_id: str, *, from_status: str, to_status: str,
                   set_fields: Mapping[str, Any], remove_fields: Sequence[str] = (),
                   event: dict[str, Any] | None, holds: Sequence[HoldRef] = (), hold_status: str | None = None,
                   extra: Sequence[Mapping[str, Any]] = (), at: str | None = None) -> None:
        """Move a payment from `from_status` to `to_status` (ConditionFailed if it is not there any
        more), with the event (None: a step the record's own fields tell, at `at`), the holds' new
        status, and any extra operations, in one transaction."""
        changed_at = at or (event or {})["at"]
        expression, names, values = set_remove_expression(set_fields, remove_fields, leading=["#s = :to"])
        names["#s"] = "status"
        values.update({":from": from_status, ":to": to_status})
        operations: list[Mapping[str, Any]] = [{
            "update": (table_keys.payment(code, payment_id), "META"), "expression": expression,
            "condition": "#s = :from", "names": names, "values": values,
        }]
        groups = hold_items.grouped(holds) if hold_status is not None else []
        operations += [hold_items.change(group, payment_id=payment_id,
                                         fields={"status": hold_status, "updated_at": changed_at})
                       for group in groups]
        if event is not None:
            operations.append({"put": event})
        operations.extend(extra)
        try:
            self._table.transact(operations)
        except ConditionFailed as exc:
            if not groups:
                raise
            raise ConditionFailed(reasons=self._per_hold(exc.reasons, holds, groups, payment_id)) from exc

    def _per_hold(self, reasons: Sequence[str], holds: Sequence[HoldRef], groups: Sequence[Sequence[HoldRef]],
                  payment_id: str) -> list[str]:
        """A cancelled transition's reasons as if each of `holds` were its own operation, in order
        after the record's (what callers read: services/gateway.py). One refused write of a year
        item with several installments is read again to tell which of them another payment has."""
        if len(reasons) < 1 + len(groups):
            return list(reasons)
        per_ref: dict[HoldRef, str] = {}
        for group, reason in zip(groups, reasons[1:1 + len(groups)], strict=True):
            lost = [ref for ref in group if reason == "ConditionalCheckFailed" and len(group) > 1
                    and (self.hold(ref) or {}).get("payment_id") != payment_id] or group
            per_ref.update({ref: reason if ref in lost else "None" for ref in group})
        return [reasons[0], *(per_ref[ref] for ref in holds), *reasons[1 + len(groups):]]

    def reopen_email(self, code: str, payment_id: str, *, requested_by: str, at: str,
                     event: dict[str, Any], new_email: str | None = None,
                     sent_attempt: Mapping[str, Any] | None = None) -> bool:
        """Ask the receipts worker to send the receipt's e-mail again: the settled e-mail step
        (sent or failed) goes back to `retry`; with `new_email`, to that corrected address (the
        hard-bounce mark of the old one is removed). False when it is not settled (a send is under
        way or was never tried): then there is nothing to reopen. `sent_attempt`, the sent attempt
        the settled state stands for (`domain.receipt_state.implied_email_attempt`), is kept as its
        `EMAIL#…` row in the same transaction, before the state that recorded it is replaced."""
        expression = "SET #e.#st = :retry, #e.resend_requested_by = :who, #e.resend_requested_at = :at"
        values: dict[str, Any] = {":retry": "retry", ":who": requested_by, ":at": at, ":sent": "sent",
                                  ":failed": "failed"}
        names = {"#e": "email", "#st": "status"}
        if new_email:
            expression += ", #p.#m = :address REMOVE email_bounce"
            names.update({"#p": "payer", "#m": "email"})
            values[":address"] = new_email
        operations: list[Mapping[str, Any]] = [
            {"update": (table_keys.payment(code, payment_id), "META"), "expression": expression,
             "condition": "#e.#st IN (:sent, :failed)", "names": names, "values": values},
            {"put": event},
        ]
        if sent_attempt is not None:
            sk = f"EMAIL#{sent_attempt['at']}#{int(sent_attempt['attempt']):03d}#sent"  # `at`: a UTC key
            operations.append({"put": {**sent_attempt, "pk": table_keys.payment(code, payment_id), "sk": sk}})
        try:
            self._table.transact(operations)
        except ConditionFailed:
            return False
        return True

    def update_fields(self, code: str, payment_id: str, *, set_fields: Mapping[str, Any],
                      remove_fields: Sequence[str] = (), condition: str | None = None,
                      values: Mapping[str, Any] | None = None, event: dict[str, Any] | None = None) -> None:
        """Change fields that are not the status (order id, receipt job state), conditionally."""
        expression, names, vals = set_remove_expression(set_fields, remove_fields)
        vals.update(values or {})
        if condition and "#s" in condition:
            names["#s"] = "status"
        if event is None:  # one item changes: one conditional write, not a transaction (half the units)
            self._table.update(table_keys.payment(code, payment_id), "META", expression, condition=condition,
                               names=names, values=vals, return_new=False)
            return
        operation: dict[str, Any] = {"update": (table_keys.payment(code, payment_id), "META"), "expression": expression,
                                     "names": names, "values": vals}
        if condition:
            operation["condition"] = condition
        self._table.transact([operation, {"put": event}])


def new_item_row(code: str, payment_id: str, index: int, item: Mapping[str, Any], *,
                 created_key: str) -> dict[str, Any]:
    """Item `index` of a new payment: its description and amount, its breakdown (with the checks,
    4 KB of JSON for a permit) packed to a few hundred bytes, and for a permit item the plate's
    entry in the listing by plate (GSI2, `PAY#<utc>#<id>` like the listing by RUT): the row is
    small, so the index holding it all costs one unit."""
    row = {"pk": table_keys.payment(code, payment_id), "sk": f"{ITEM}{index:02d}", "index": index,
           **{k: v for k, v in item.items() if k not in ("breakdown", "plate")}}
    if "breakdown" in item:
        row[PACKED_BREAKDOWN] = pack(item["breakdown"])
    if item.get("plate"):
        row.update(gsi2pk=table_keys.by_plate(code, str(item["plate"])), gsi2sk=f"PAY#{created_key}#{payment_id}")
    return row


def item_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A payment row as readers know it: an item row's packed breakdown unpacked (rows written
    before it was packed carry it as it is); any other row unchanged."""
    if PACKED_BREAKDOWN not in row:
        return dict(row)
    unpacked = {k: v for k, v in row.items() if k != PACKED_BREAKDOWN}
    unpacked["breakdown"] = unpack(row[PACKED_BREAKDOWN])
    return unpacked


def listing_row(code: str, payment_id: str, *, created_day: str, created_key: str, payer_rut: str) -> dict[str, Any]:
    """The payment's entry in the listings by day (GSI1) and by the payer's RUT (GSI2): written once
    with the payment, small, so that the record's own many writes never touch those indexes."""
    return {"pk": table_keys.payment(code, payment_id), "sk": LISTING, "payment_id": payment_id,
            "gsi1pk": table_keys.payments_by_day(code, created_day), "gsi1sk": f"{created_key}#{payment_id}",
            "gsi2pk": table_keys.by_rut(code, payer_rut), "gsi2sk": f"PAY#{created_key}#{payment_id}"}


def counter_updates(code: str, day: str, method: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The additions of a paid payment to its municipality's day counters
    (`StatsRepository.paid_operations`: cell `<service>#<method>`, amount and items; the
    platform's day is their sum, derived when read)."""
    from chalicelib.adapters.stats_repo import StatsRepository

    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        cells[(str(item["service"]), method)][0] += int(item["amount"])
        cells[(str(item["service"]), method)][1] += 1
    return StatsRepository.paid_operations(code, day, {cell: (amount, n) for cell, (amount, n) in cells.items()})


def _without_keys(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("pk", "sk") and k not in INDEX_FIELDS}


def _payment_id_of(index_item: Mapping[str, Any]) -> str:
    """GSI3 projects keys only: the id is the last part of the payment's partition key."""
    return str(index_item["pk"]).rsplit("#", 1)[-1]


def meta_item_index(meta: Mapping[str, Any], item_keys: Sequence[str]) -> int | None:
    """Which cart item (the first) names one of the refused holds `item_keys`."""
    for i, item in enumerate(meta.get("items", [])):
        if set(item_keys) & set(item.get("holds", [])):
            return i
    return None
