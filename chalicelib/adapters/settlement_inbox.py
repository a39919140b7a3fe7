"""The settlement files in the uploads bucket: listed by prefix (the local poller), read, and
archived under a key of their content so that a later file at the same key never loses one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.aws_errors import translated
from chalicelib.adapters.object_store import ObjectStore


@dataclass(frozen=True)
class StoredObject:
    key: str
    last_modified: str  # UTC, ISO 8601
    size: int


class SettlementInbox:
    """Reads and lists one bucket (the uploads bucket); writes only the archive copies."""

    def __init__(self, client: Any, bucket: str) -> None:
        self._client = client
        self.bucket = bucket
        self.store = ObjectStore(client, bucket)

    def list(self, prefix: str) -> list[StoredObject]:
        """Every object under `prefix` (paginated by S3; the caller bounds the prefix)."""
        from botocore.exceptions import BotoCoreError, ClientError

        found: list[StoredObject] = []
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        try:
            while True:
                page = self._client.list_objects_v2(**kwargs)
                for obj in page.get("Contents", []):
                    found.append(StoredObject(obj["Key"], obj["LastModified"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                                              int(obj.get("Size", 0))))
                if not page.get("IsTruncated"):
                    return found
                kwargs["ContinuationToken"] = page["NextContinuationToken"]
        except (ClientError, BotoCoreError) as exc:
            raise translated(exc, message="El almacenamiento no está disponible.", code="storage_unavailable",
                             refused=("El almacenamiento rechazó la consulta ({code}).", "storage_refused")) from exc

    def get(self, key: str) -> bytes:
        return self.store.get(key)

    def archive(self, key: str, body: bytes) -> None:
        """Keep a copy of a file's bytes (idempotent: the key is derived from the content)."""
        if not self.store.exists(key):
            self.store.put(key, body, content_type="text/csv; charset=utf-8")
