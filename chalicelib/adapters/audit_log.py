"""The append-only audit log: who changed what, when, and the value before and after."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.dynamo import DynamoTable


class AuditLog:
    """Audit entries by municipality and month (`<cut>#AUDIT#YYYY-MM`, sk = time#id), never updated."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def record(self, municipality: str, *, actor: str, profile: str, action: str, target: str,
               before: Any = None, after: Any = None) -> dict[str, Any]:
        now = datetime.now(UTC)
        entry = {
            "pk": keys.audit(municipality, now.strftime("%Y-%m")),
            "sk": f"{now.isoformat(timespec='milliseconds')}#{uuid.uuid4().hex[:12]}",
            "at": now.isoformat(timespec="seconds"), "actor": actor, "profile": profile,
            "action": action, "target": target, "before": before, "after": after,
        }
        self._table.put_new(entry)
        return entry
