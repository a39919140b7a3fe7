"""Everything SEM holds for one municipality, as one ZIP of JSON Lines files.

For a municipality that leaves the platform, a transparency or judicial request, or an audit:
its configuration, officials, agreements, audit log, roll uploads (with the CSV files as they
were uploaded), payments (each with its items, events and checks), receipt records (and,
optionally, the signed PDFs), settlements, reconciliations and signed batches, for a range of
days. `manifest.json` lists every file with its line count and SHA-256.

Everything is read by key, partition by partition, never with a Scan: the day partitions of the
range (payments by day, settlements, reconciliations, batches) and the month partitions of the
audit log. Every row is checked to belong to the municipality before it is written, and what is
a secret or a secret's stand-in (portal key hashes, payment status-token hashes, receipt
verification-code hashes, sealed signing-code secrets) is left out. The receipts' verification
codes stay: they are printed on the receipts themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import IO, Any, Protocol

from chalicelib.adapters.municipality_rows import INDEX_FIELDS, MunicipalityRows, Rows
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.receipt_state import issued_receipt

MAX_DAYS = 400
"""The longest range one export covers (a year and a bit); longer periods are several exports."""

# Fields that are secrets even hashed or encrypted: never leave the platform.
SECRET_FIELDS = frozenset({
    "hash",               # a portal API key's SHA-256
    "access_token_hash",  # a payment's status-token hash
    "code_hash",          # a receipt's verification-code hash (the code itself is printed on the
                          # receipt, and goes with it: the municipality answers verifications)
    "otp_secret",         # an official's sealed signing-code secret
})

class Objects(Protocol):
    """A bucket's reads (`ObjectStore`)."""

    def get(self, key: str) -> bytes: ...


@dataclass
class ExportContext:
    """Where a municipality's data lives."""

    table: Rows
    uploads: Objects
    receipts: Objects
    clock: Callable[[], datetime]


@dataclass
class _Collection:
    lines: list[str] = field(default_factory=list)

    def add(self, row: Mapping[str, Any]) -> None:
        self.lines.append(json.dumps(row, ensure_ascii=False, sort_keys=True, default=str))

    def body(self) -> bytes:
        return "".join(line + "\n" for line in self.lines).encode()


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _months(start: date, end: date) -> Iterator[str]:
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        yield f"{year:04d}-{month:02d}"
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def check_range(start: date, end: date) -> None:
    """400 for a range that is reversed or longer than `MAX_DAYS`."""
    if end < start:
        raise InvalidInput("La fecha final es anterior a la inicial.", field="to")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"Una exportación cubre a lo más {MAX_DAYS} días; divida el período.", field="to")


class _Writer:
    """Rows of one municipality into named collections, fenced and cleaned."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.collections: dict[str, _Collection] = {}

    def add(self, collection: str, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        kept = []
        target = self.collections.setdefault(collection, _Collection())
        for row in rows:
            if not str(row.get("pk", "")).startswith(f"{self.code}#"):
                raise RuntimeError(f"a row outside municipality {self.code} reached its export")  # a key bug
            clean = {k: v for k, v in row.items() if k not in SECRET_FIELDS and k not in INDEX_FIELDS}
            target.add(clean)
            kept.append(clean)
        return kept


def export_municipality(code: str, start: date, end: date, sources: ExportContext, out: IO[bytes], *,
                        with_receipt_pdfs: bool = False) -> dict[str, Any]:
    """Write the export of municipality `code` for days `start`…`end` (inclusive) as a ZIP to
    `out`; returns the manifest (also inside the ZIP). `NotFound` for an unknown municipality."""
    check_range(start, end)
    rows = MunicipalityRows(sources.table, code)
    writer = _Writer(code)
    config = rows.config()
    if config is None:
        raise NotFound("La municipalidad no existe en la plataforma.", code="municipality_not_found")

    writer.add("municipality", rows.municipality())
    officials = writer.add("officials", rows.officials())
    writer.add("signers", (row for official in officials if official.get("sk") for row in rows.signer(official)))
    writer.add("agreements", rows.agreements())
    writer.add("official_proposals", rows.official_proposals())
    for month in _months(start, end):
        writer.add("audit", rows.audit(month))

    files: dict[str, bytes] = {}
    uploads = writer.add("roll_uploads", rows.roll_uploads())
    for upload in uploads:
        writer.add("roll_errors", rows.roll_errors(str(upload["upload_id"])))
        object_key = upload.get("object_key")
        # An upload announced whose file never arrived has no object: its record says so.
        with contextlib.suppress(NotFound):
            if object_key:
                files[f"rolls/{upload['upload_id']}.csv"] = sources.uploads.get(str(object_key))

    for day in _days(start, end):
        iso = day.isoformat()
        for payment_id in rows.payments_created_on(iso):
            payment_rows = writer.add("payments", rows.payment(payment_id))
            meta = next((r for r in payment_rows if r.get("sk") == "META"), {})
            receipt = issued_receipt(meta)
            if receipt and receipt.get("folio"):
                record = rows.receipt(str(receipt["folio"]))
                writer.add("receipts", [record] if record else [])
                if with_receipt_pdfs and receipt.get("key"):
                    files[f"receipts/{receipt['folio']}.pdf"] = sources.receipts.get(str(receipt["key"]))
        writer.add("settlements", rows.settlements(iso))
        writer.add("reconciliation", rows.reconciliation(iso))
        writer.add("batches", rows.batches(iso))

    entries = {f"{name}.jsonl": collection.body() for name, collection in sorted(writer.collections.items())}
    entries.update(files)
    manifest = {
        "municipality": code, "name": config.get("name"), "from": start.isoformat(), "to": end.isoformat(),
        "generated_at": sources.clock().isoformat(timespec="seconds"),
        "files": {name: {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
                         **({"lines": body.count(b"\n")} if name.endswith(".jsonl") else {})}
                  for name, body in sorted(entries.items())},
        "left_out": sorted(SECRET_FIELDS | INDEX_FIELDS),
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in sorted(entries.items()):
            archive.writestr(name, body)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest

