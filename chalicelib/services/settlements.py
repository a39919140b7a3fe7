"""Ingestion of TGR's settlement files (rendiciones): each distinct file recorded once, archived
under its content's hash, given the day's next version number, and the day reconciled.

Idempotent per file: the same bytes again (a second S3 event, the poller seeing it again, the same
file under another name) change nothing. A different file for the same day (a correction) is a
new version; which version is in force is decided by TGR's generation time, so a stale file that
arrives late does not replace its correction. Nothing is overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.domain.errors import SemError
from chalicelib.domain.reconciliation import InvalidSettlement, digest, parse_key, parse_settlement
from chalicelib.observability import logger
from chalicelib.services.reconciliation import ReconciliationContext, reconcile_day


def archive_key(code: str, day: str, sha: str) -> str:
    """Where a file's bytes are kept (outside `settlements/`, so it triggers nothing)."""
    return f"{code}/settlement-archive/{day}/{sha}"


def ingest_settlement(bucket_key: str, ctx: ReconciliationContext) -> dict[str, Any]:
    """Ingest the settlement file at `bucket_key` (`<cut>/settlements/<day>/<name>.csv`)."""
    ref = parse_key(bucket_key)
    if ref is None:
        return {"result": "ignored", "key": bucket_key, "reason": "no es una rendición (<cut>/settlements/<día>/…csv)"}
    code, day = ref.municipality, ref.day
    logger.append_keys(municipality=code)
    raw = ctx.inbox.get(bucket_key)
    sha = digest(raw)
    now = ctx.clock().isoformat(timespec="seconds")
    error: str | None = None
    try:
        settlement = parse_settlement(raw)
    except InvalidSettlement as exc:
        settlement, error = None, exc.message
    if settlement is not None and (settlement.municipality, settlement.day) != (code, day):
        error = (f"El encabezado indica municipio {settlement.municipality} y fecha {settlement.day}, pero el "
                 f"archivo está en {code}/settlements/{day}/.")
    existing = ctx.recon.claim_file(code, day, sha, {"key": bucket_key, "received_at": now, "status": "received",
                                                     "size": len(raw)})
    if existing is not None and (existing.get("status") == "rejected" or
                                 (existing.get("status") == "ingested" and existing.get("reconciled"))):
        logger.info("settlement file seen before", extra={"day": day, "version": existing.get("version")})
        return {"result": "duplicate", "key": bucket_key, "first_key": existing.get("key"),
                "version": existing.get("version"), "status": existing.get("status")}
    if error is not None or settlement is None:
        ctx.recon.update_file(code, day, sha, {"status": "rejected", "reason": error or "archivo inválido"})
        logger.warning("settlement file rejected", extra={"day": day, "reason": error})
        return {"result": "rejected", "key": bucket_key, "reason": error}
    stored = archive_key(code, day, sha)
    ctx.inbox.archive(stored, raw)
    version = int(existing["version"]) if existing and existing.get("version") else ctx.recon.next_version(code, day)
    ctx.recon.update_file(code, day, sha, {
        "status": "ingested", "reconciled": False, "version": version, "archive_key": stored,
        "generated_at": settlement.generated_at, "lines": len(settlement.lines), "total": settlement.total})
    summary = reconcile_day(code, day, ctx, trigger=f"rendición versión {version}")
    ctx.recon.update_file(code, day, sha, {"reconciled": True})
    logger.info("settlement file ingested", extra={"day": day, "version": version, "status": summary["status"]})
    return {"result": "ingested", "key": bucket_key, "version": version, "reconciliation": summary}


def poll_new_settlements(ctx: ReconciliationContext, codes: Iterable[str]) -> dict[str, Any]:
    """Ingest the settlement files that appeared since the last poll (the local stand-in for the S3
    notification). A per-municipality marker holds the last-modified time reached; objects at the
    marker's second are looked at again, which ingestion's idempotency makes harmless."""
    totals: dict[str, Any] = {"seen": 0, "ingested": 0, "duplicate": 0, "rejected": 0, "ignored": 0, "failed": 0}
    for code in codes:
        marker = ctx.recon.poll_marker(code)
        objects = sorted((o for o in ctx.inbox.list(f"{code}/settlements/") if o.last_modified >= marker),
                         key=lambda o: (o.last_modified, o.key))
        reached, failed_at = marker, None
        for obj in objects:
            totals["seen"] += 1
            try:
                result = ingest_settlement(obj.key, ctx)
            except SemError:
                logger.exception("settlement file could not be ingested; it is retried next poll")
                totals["failed"] += 1
                failed_at = failed_at or obj.last_modified
                continue
            totals[result["result"]] += 1
            reached = max(reached, obj.last_modified)
        new_marker = min(failed_at, reached) if failed_at else reached
        if new_marker and new_marker != marker:
            ctx.recon.set_poll_marker(code, new_marker)
    return totals
