"""Audit entries as rows, for writing inside another transaction, and reading them back.

`AuditLog.record` writes an entry on its own; a change that is itself one DynamoDB transaction
(settings, officials, municipalities) puts `audit_row(...)` in that same transaction instead, so
the change and its audit entry exist together or not at all. The row has exactly the layout
`AuditLog.record` writes (`<cut>#AUDIT#YYYY-MM`, sk `<utc time>#<id>`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters import table_keys


def audit_row(municipality: str, *, actor: str, profile: str, action: str, target: str, before: Any = None,
              after: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """One append-only audit entry (put it with `attribute_not_exists(pk)`)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "pk": table_keys.audit(municipality, moment.strftime("%Y-%m")),
        "sk": f"{moment.isoformat(timespec='milliseconds')}#{uuid.uuid4().hex[:12]}",
        "at": moment.isoformat(timespec="seconds"), "actor": actor, "profile": profile,
        "action": action, "target": target, "before": before, "after": after,
    }
