"""A municipality's logo upload sessions (`<cut>#LOGOS`, sk `LOGO#<id>`, kept 24 h by TTL): the
staging key an official's browser uploads to, until `POST …/settings/logo` checks and applies it."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable

SESSION_TTL_S = 24 * 3600


class LogoUploads:
    """Logo upload sessions of the municipalities."""

    def __init__(self, table: DynamoTable) -> None:
        self._table = table

    def start(self, code: str, upload_id: str, *, object_key: str, content_length: int, created_by: str,
              created_at: str, now_epoch: int) -> None:
        """Record a new session (its id must be new)."""
        self._table.put_new({"pk": table_keys.logo_uploads(code), "sk": f"LOGO#{upload_id}", "upload_id": upload_id,
                             "object_key": object_key, "content_length": content_length, "created_by": created_by,
                             "created_at": created_at, "ttl": now_epoch + SESSION_TTL_S})

    def get(self, code: str, upload_id: str) -> dict[str, Any] | None:
        """A session of the municipality, or None."""
        return self._table.get(table_keys.logo_uploads(code), f"LOGO#{upload_id}", consistent=True)
