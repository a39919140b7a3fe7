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

from collections.abc import Mapping
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
