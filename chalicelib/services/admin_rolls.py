"""Rolls (patentes, aseo): a CSV uploaded straight to S3 through a presigned URL, then processed.

Processing validates EVERY line (RUT mod 11, amount, due date, type, debt id unique in the file
and new in the municipality), writes the good lines as debts and reports the others by line
number, without losing the good ones. It is idempotent per upload and resumable: progress
(`next`, the index of the next good line to write) moves in the same transaction as each batch of
debts, so a request that runs out of time, or a twin request, continues where the last batch
ended. Validation is a pure function of the file, so every run finds the same lines.

Line numbers are the file's own (the header is line 1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.adapters.rolls_repo import RollRepository
from chalicelib.domain.errors import ConditionFailed, InvalidInput, NotFound, RuleRefused
from chalicelib.domain.rut import parse_rut
from chalicelib.services.auth import Official

MAX_ROLL_BYTES = 5 * 1024 * 1024
MAX_DATA_LINES = 50_000
MAX_STORED_ERRORS = 5_000
UPLOAD_URL_TTL_S = 600
MAX_AMOUNT = 999_999_999
BATCH = 90  # debts per transaction, leaving room for error rows and the progress update
REQUIRED_COLUMNS = ("debt_id", "rut", "type", "description", "due_date", "amount")
OPTIONAL_COLUMNS = ("period",)
UPLOAD_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{8}$")
_DEBT_ID = re.compile(r"^[A-Za-z0-9_-]{1,60}$")
_AMOUNT = re.compile(r"^(\d{1,3}(\.\d{3})+|\d+)$")


@dataclass
class RollsAdminContext:
    rolls: RollRepository
    uploads: ObjectStore
    audit: AuditLog
    clock: Callable[[], datetime]
    deadline: Callable[[], bool] = field(default=lambda: False)
    """True when the request should stop and let the next call continue."""


@dataclass(frozen=True)
class LineError:
    line: int
    field: str | None
    message: str


@dataclass(frozen=True)
class ParsedRoll:
    debts: list[tuple[int, dict[str, Any]]]
    errors: list[LineError]
    data_lines: int


# -- validation (pure) --------------------------------------------------------------------------

def parse_roll(raw: bytes) -> ParsedRoll:
    """Every data line of a roll, validated: the good ones as debts (with their line number) and
    the others as errors by line. A file that cannot be read at all is an `InvalidInput`."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("El archivo no está en UTF-8; guárdelo como CSV UTF-8.", code="roll_not_utf8") from exc
    try:
        return _parse_roll_text(text)
    except csv.Error as exc:  # e.g. a cell over the csv module's field limit (an unclosed quote)
        raise InvalidInput("El archivo no es un CSV válido (revise las comillas de cada celda).",
                           code="roll_malformed") from exc


def _parse_roll_text(text: str) -> ParsedRoll:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InvalidInput("El archivo está vacío o no tiene encabezado.", code="roll_no_header")
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise InvalidInput("El encabezado debe tener las columnas " + ";".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
                           + (f" (faltan: {', '.join(missing)})" if missing else "")
                           + (f" (desconocidas: {', '.join(unknown)})" if unknown else "") + ".",
                           code="roll_bad_header")
    debts: list[tuple[int, dict[str, Any]]] = []
    errors: list[LineError] = []
    seen: dict[str, int] = {}
    data_lines = 0
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        data_lines += 1
        if data_lines > MAX_DATA_LINES:
            raise InvalidInput(f"El archivo supera {MAX_DATA_LINES} líneas; divídalo en varios.",
                               code="roll_too_many_lines")
        if len(cells) != len(header):
            errors.append(LineError(line, None, f"La línea tiene {len(cells)} columnas; se esperaban {len(header)}."))
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        try:
            debt = _debt_of(row)
        except InvalidInput as exc:
            errors.append(LineError(line, exc.field, exc.message))
            continue
        first = seen.get(debt["debt_id"])
        if first is not None:
            errors.append(LineError(line, "debt_id", f"El debt_id se repite (ya aparece en la línea {first})."))
            continue
        seen[debt["debt_id"]] = line
        debts.append((line, debt))
    return ParsedRoll(debts, errors, data_lines)


def _debt_of(row: dict[str, str]) -> dict[str, Any]:
    debt_id = row["debt_id"]
    if not _DEBT_ID.match(debt_id):
        raise InvalidInput("debt_id debe tener de 1 a 60 caracteres A-Z, a-z, 0-9, guion o guion bajo.",
                           field="debt_id")
    rut = parse_rut(row["rut"], field="rut").compact
    kind = row["type"].lower()
    if kind not in ("patente", "aseo"):
        raise InvalidInput("type debe ser patente o aseo.", field="type")
    description = row["description"]
    if not 3 <= len(description) <= 200:
        raise InvalidInput("description debe tener entre 3 y 200 caracteres.", field="description")
    if not _AMOUNT.match(row["amount"]):
        raise InvalidInput("amount debe ser un monto entero en pesos, sin decimales (p. ej. 186250).",
                           field="amount")
    amount = int(row["amount"].replace(".", ""))
    if not 1 <= amount <= MAX_AMOUNT:
        raise InvalidInput("amount debe ser mayor que 0 y menor que mil millones.", field="amount")
    due = _date(row["due_date"])
    period = row.get("period", "")
    if len(period) > 20:
        raise InvalidInput("period puede tener como máximo 20 caracteres.", field="period")
    debt: dict[str, Any] = {"debt_id": debt_id, "type": kind, "rut": rut, "description": description,
                            "due_date": due.isoformat(), "amount": amount}
    if period:
        debt["period"] = period
    return debt


def _date(text: str) -> date:
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            parsed = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if 2000 <= parsed.year <= 2100:
            return parsed
    raise InvalidInput("due_date debe ser una fecha AAAA-MM-DD (o DD-MM-AAAA) entre 2000 y 2100.", field="due_date")


# -- uploads ------------------------------------------------------------------------------------

def object_key(code: str, upload_id: str) -> str:
    return f"{code}/rolls/{upload_id}.csv"


def start_upload(code: str, filename: str, content_length: int, official: Official, ctx: RollsAdminContext
                 ) -> dict[str, Any]:
    """A new upload and the presigned URL to PUT the CSV to (exact length, text/csv, 10 minutes)."""
    if not 0 < content_length <= MAX_ROLL_BYTES:
        raise InvalidInput(f"El archivo debe pesar entre 1 byte y {MAX_ROLL_BYTES // (1024 * 1024)} MB.",
                           code="roll_too_large", field="content_length")
    now = ctx.clock()
    upload_id = f"{_utc_stamp(now)}-{secrets.token_hex(4)}"
    record = {"upload_id": upload_id, "status": "awaiting_file", "filename": filename,
              "content_length": content_length, "object_key": object_key(code, upload_id),
              "created_by": official.email, "created_at": now.isoformat(timespec="seconds"),
              "updated_at": now.isoformat(timespec="seconds"), "next": 0, "written": 0, "error_count": 0}
    ctx.rolls.create(code, record)
    ctx.audit.record(code, actor=official.email, profile=official.profile, action="roll.upload.create",
                     target=upload_id, after={"filename": filename, "content_length": content_length})
    url = ctx.uploads.presign_put(object_key(code, upload_id), expires_in=UPLOAD_URL_TTL_S, content_type="text/csv",
                                  content_length=content_length)
    return {"upload": public(record), "upload_url": url, "method": "PUT",
            "headers": {"Content-Type": "text/csv"},
            "expires_at": (now + timedelta(seconds=UPLOAD_URL_TTL_S)).isoformat(timespec="seconds")}


def _utc_stamp(moment: datetime) -> str:
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _require(code: str, upload_id: str, ctx: RollsAdminContext) -> dict[str, Any]:
    record = ctx.rolls.get(code, upload_id) if UPLOAD_ID.match(upload_id or "") else None
    if record is None:
        raise NotFound("No existe esa carga de rol en esta municipalidad.", code="upload_not_found",
                       field="upload_id")
    return record


def process_upload(code: str, upload_id: str, official: Official, ctx: RollsAdminContext) -> dict[str, Any]:
    """Validate and load the uploaded file (or continue loading it); returns the upload's state.
    `status` is `processing` when time ran out: call again to continue."""
    record = _require(code, upload_id, ctx)
    if record["status"] in ("done", "failed"):
        return public(record)
    raw = _read(code, record, ctx)
    digest = hashlib.sha256(raw).hexdigest()
    if record.get("sha256") not in (None, digest):
        # The presigned URL was used again after processing began: the line numbers of the
        # progress no longer describe this file.
        failed = ctx.rolls.update(code, upload_id, {"status": "failed", "updated_at": _now(ctx), "failure":
                                  "El archivo cambió durante el proceso; súbalo en una carga nueva."},
                                  expect_status=record["status"])
        return public(failed)
    try:
        parsed = parse_roll(raw)
    except InvalidInput as exc:
        failed = ctx.rolls.update(code, upload_id, {"status": "failed", "failure": exc.message,
                                                    "updated_at": _now(ctx)}, expect_status=record["status"])
        ctx.audit.record(code, actor=official.email, profile=official.profile, action="roll.upload.failed",
                         target=upload_id, after={"failure": exc.message})
        return public(failed)
    if record["status"] == "awaiting_file":
        record = _begin(code, upload_id, record, parsed, digest, official, ctx)
    while record["status"] == "processing":
        if ctx.deadline():
            return public(record)
        record = _next_batch(code, upload_id, record, parsed, ctx)
    if record["status"] == "done":
        ctx.audit.record(code, actor=official.email, profile=official.profile, action="roll.upload.processed",
                         target=upload_id, after={k: record.get(k) for k in ("data_lines", "written", "error_count")})
    return public(record)


def _read(code: str, record: dict[str, Any], ctx: RollsAdminContext) -> bytes:
    key = str(record["object_key"])
    try:
        size = ctx.uploads.size(key)
    except NotFound as exc:
        raise RuleRefused("Todavía no se ha subido el archivo de esta carga.", code="roll_not_uploaded") from exc
    if size > MAX_ROLL_BYTES:
        raise RuleRefused("El archivo subido supera el tamaño permitido.", code="roll_too_large")
    return ctx.uploads.get(key)


def _begin(code: str, upload_id: str, record: dict[str, Any], parsed: ParsedRoll, digest: str,
           official: Official, ctx: RollsAdminContext) -> dict[str, Any]:
    rows = [RollRepository.error_row(code, upload_id, e.line, e.field, e.message)
            for e in parsed.errors[:MAX_STORED_ERRORS]]
    ctx.rolls.put_rows(rows)
    try:
        started = ctx.rolls.update(code, upload_id, {
            "status": "processing", "data_lines": parsed.data_lines, "valid_lines": len(parsed.debts),
            "error_count": len(parsed.errors), "started_by": official.email, "updated_at": _now(ctx),
            "sha256": digest},
            expect_status="awaiting_file")
    except ConditionFailed:
        return _require(code, upload_id, ctx)  # a twin request started it first
    ctx.audit.record(code, actor=official.email, profile=official.profile, action="roll.upload.process",
                     target=upload_id, after={"data_lines": parsed.data_lines, "format_errors": len(parsed.errors)})
    return started


def _next_batch(code: str, upload_id: str, record: dict[str, Any], parsed: ParsedRoll, ctx: RollsAdminContext
                ) -> dict[str, Any]:
    start = int(record["next"])
    batch = parsed.debts[start:start + BATCH]
    loaded_at = _now(ctx)
    rows = {line: DebtRepository.row(code, {**debt, "status": "open", "roll_upload": upload_id,
                                            "loaded_at": loaded_at})
            for line, debt in batch}
    conflicts: list[LineError] = []
    stored_errors = int(record.get("error_count", 0))
    while True:
        end = start + len(batch)
        error_rows = [RollRepository.error_row(code, upload_id, e.line, e.field, e.message)
                      for n, e in enumerate(conflicts) if stored_errors + n < MAX_STORED_ERRORS]
        progress: dict[str, Any] = {"next": end, "written": int(record.get("written", 0)) + len(rows),
                                    "error_count": stored_errors + len(conflicts), "updated_at": loaded_at}
        if end >= len(parsed.debts):
            progress.update(status="done", finished_at=loaded_at)
        try:
            ctx.rolls.write_batch(code, upload_id, list(rows.values()), error_rows, expect_next=start,
                                  progress=progress)
        except ConditionFailed as exc:
            reasons = exc.reasons
            if not reasons or reasons[-1] == "ConditionalCheckFailed":
                return _require(code, upload_id, ctx)  # a twin request wrote this batch: continue from its state
            for position, (line, row) in enumerate(list(rows.items())):
                if position < len(reasons) and reasons[position] == "ConditionalCheckFailed":
                    conflicts.append(_conflict(code, line, row, ctx))
                    del rows[line]
            continue
        return {**record, **progress}


def _conflict(code: str, line: int, row: dict[str, Any], ctx: RollsAdminContext) -> LineError:
    existing = ctx.rolls.debt(code, str(row["debt_id"]))
    where = f" (cargada por la carga {existing.get('roll_upload')})" if existing and existing.get("roll_upload") else ""
    return LineError(line, "debt_id", f"Ya existe una deuda con este debt_id en la municipalidad{where}; "
                                      "las correcciones se cargan con un debt_id nuevo.")


def _now(ctx: RollsAdminContext) -> str:
    return ctx.clock().isoformat(timespec="seconds")


# -- reading ------------------------------------------------------------------------------------

_PUBLIC = ("upload_id", "status", "filename", "content_length", "created_by", "created_at", "updated_at",
           "finished_at", "data_lines", "valid_lines", "written", "error_count", "failure")


def public(record: dict[str, Any]) -> dict[str, Any]:
    """An upload as officials see it, with its progress in percent."""
    body = {k: record.get(k) for k in _PUBLIC}
    valid = int(record.get("valid_lines") or 0)
    done = int(record.get("next") or 0)
    status = record.get("status")
    body["progress_percent"] = 100 if status in ("done", "failed") else (
        0 if not valid else min(99, done * 100 // valid))
    body["errors_truncated"] = int(record.get("error_count") or 0) > MAX_STORED_ERRORS
    return body


def upload_status(code: str, upload_id: str, ctx: RollsAdminContext, *, limit: int, cursor: str | None
                  ) -> dict[str, Any]:
    """An upload with one page of its rejected lines (by line number)."""
    record = _require(code, upload_id, ctx)
    page = ctx.rolls.error_lines(code, upload_id, limit=limit, cursor=cursor)
    errors = [{"line": e["line"], "field": e.get("field"), "message": e["message"]} for e in page.items]
    return {"upload": public(record), "errors": errors, "cursor": page.cursor}


def list_uploads(code: str, ctx: RollsAdminContext, *, limit: int, cursor: str | None) -> dict[str, Any]:
    page = ctx.rolls.page(code, limit=limit, cursor=cursor)
    return {"items": [public(r) for r in page.items], "cursor": page.cursor}

