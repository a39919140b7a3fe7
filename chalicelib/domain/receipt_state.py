"""A payment's receipt as its record holds it: one reading for every reader, old records included.

The payment record (`META`) keeps the receipt in one small map, `receipt_issue`:

- `{folio, verification_code, issued_at}`, written with the folio (the transaction that moves the
  municipality's counter); the PDF's place and the folio's number and year follow from the folio;
- `signed_at` added once the signed PDF is stored and the receipt record written: from then on the
  receipt is issued (shown to the citizen, verifiable, e-mailed).

Records written before kept `receipt_issue {folio, number, year, verification_code, issued_at, key}`
and, once issued, a copy of four of those fields in `receipt`. Every reader (the payment's status,
the citizen's space, the officials' console, verification, refunds and annulments, exports, the
receipts worker, chaos) reads through `issued_receipt` and `receipt_allocation`, which give the same
view of both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def receipt_pdf_key(folio: str) -> str:
    """Where a receipt's signed PDF is stored in the receipts bucket: `<cut>/receipts/<year>/<folio>.pdf`
    (the folio is `<cut>-<year>-<number>`)."""
    code, year, _ = folio.split("-", 2)
    return f"{code}/receipts/{year}/{folio}.pdf"


def receipt_allocation(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The folio the payment was given, with everything that follows from it: `{folio, number, year,
    verification_code, issued_at, key}`; None before it has one."""
    issue = record.get("receipt_issue")
    if not isinstance(issue, Mapping) or not issue.get("folio"):
        return None
    folio = str(issue["folio"])
    _, year, number = folio.split("-", 2)
    return {"folio": folio, "number": int(number), "year": int(year),
            "verification_code": str(issue.get("verification_code") or ""),
            "issued_at": str(issue.get("issued_at") or ""), "key": str(issue.get("key") or receipt_pdf_key(folio))}


def issued_receipt(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The payment's issued receipt, `{folio, verification_code, key, issued_at}` (and `signed_at` when
    recorded); None while it has none (no folio yet, or its PDF not yet stored and recorded)."""
    old = record.get("receipt")
    if isinstance(old, Mapping) and old.get("folio"):
        folio = str(old["folio"])
        return {"folio": folio, "verification_code": str(old.get("verification_code") or ""),
                "key": str(old.get("key") or receipt_pdf_key(folio)), "issued_at": str(old.get("issued_at") or "")}
    issue = record.get("receipt_issue")
    allocation = receipt_allocation(record)
    if allocation is None or not isinstance(issue, Mapping) or not issue.get("signed_at"):
        return None
    return {"folio": allocation["folio"], "verification_code": allocation["verification_code"],
            "key": allocation["key"], "issued_at": allocation["issued_at"], "signed_at": str(issue["signed_at"])}


def is_issued(record: Mapping[str, Any]) -> bool:
    """Whether the payment's receipt is issued (see `issued_receipt`)."""
    return issued_receipt(record) is not None


def implied_email_attempt(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The e-mail attempt the record's settled `sent` state is (a sent attempt has no `EMAIL#` row of
    its own: the state written when it was settled is its record); None otherwise. The recipient is
    the payer's address, which changes only through an official's resend to a corrected address —
    which first keeps this attempt as a row — or the retention job, which strips rows alike."""
    email = record.get("email")
    if not isinstance(email, Mapping) or email.get("status") != "sent" or not email.get("attempts") \
            or not email.get("at"):
        return None
    payer = record.get("payer")
    allocation = receipt_allocation(record)
    attempt = {"at": str(email.get("at") or ""), "attempt": int(email["attempts"]),
               "to": payer.get("email") if isinstance(payer, Mapping) else None, "kind": "receipt",
               "folio": allocation["folio"] if allocation else None, "outcome": "sent",
               "message_id": email.get("message_id")}
    if email.get("confirmed_by"):
        attempt["confirmed_by"] = email["confirmed_by"]
    return {k: v for k, v in attempt.items() if v is not None}


def email_attempts(rows: Iterable[Mapping[str, Any]], record: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The payment's receipt e-mail attempts for officials and for the payer's access request: the
    `EMAIL#` rows (without their keys) and the sent attempt its record implies, one entry per
    attempt number — a row of that attempt written before it was settled (its outcome then unknown)
    gives way to the settled state, a row that already says `sent` (written by earlier code, or kept
    by a resend) stands — in attempt order."""
    kept = [{k: v for k, v in row.items() if k not in ("pk", "sk")} for row in rows]
    implied = implied_email_attempt(record or {})
    if implied is not None:
        same = [r for r in kept if r.get("attempt") == implied["attempt"]]
        if not any(r.get("outcome") == "sent" for r in same):
            kept = [r for r in kept if r.get("attempt") != implied["attempt"]] + [implied]
    seen: set[tuple[Any, Any]] = set()
    unique = []
    for row in kept:  # a sent attempt kept twice (by earlier code and again by a resend) shows once
        mark = (row.get("attempt"), row.get("outcome")) if row.get("outcome") == "sent" else (id(row), None)
        if mark not in seen:
            seen.add(mark)
            unique.append(row)
    return sorted(unique, key=lambda r: (int(r.get("attempt") or 0), str(r.get("at") or "")))
