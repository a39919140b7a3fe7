"""One S3 bucket, addressed by keys that always start with the municipality's code."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.aws_errors import error_code, translated
from chalicelib.domain.errors import DependencyUnavailable, NotFound


class ObjectStore:
    """Put, get and presign objects in one bucket; server-side encryption on every write."""

    def __init__(self, client: Any, bucket: str, *, kms_key_id: str | None = None) -> None:
        self._client = client
        self.bucket = bucket
        self._kms_key_id = kms_key_id

    def put(self, key: str, body: bytes, *, content_type: str,
            metadata: dict[str, str] | None = None) -> None:
        """Store `body` at `key`, encrypted at rest (KMS when a key is configured, else SSE-S3)."""
        kwargs: dict[str, Any] = {
            "Bucket": self.bucket, "Key": key, "Body": body, "ContentType": content_type,
            "Metadata": metadata or {},
        }
        if self._kms_key_id:
            kwargs.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=self._kms_key_id)
        else:
            kwargs["ServerSideEncryption"] = "AES256"
        self._call("put_object", **kwargs)

    def get(self, key: str) -> bytes:
        """The object's bytes; `NotFound` when it does not exist."""
        response = self._call("get_object", Bucket=self.bucket, Key=key)
        body: bytes = response["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        """Whether an object is at `key`."""
        try:
            self._call("head_object", Bucket=self.bucket, Key=key)
        except NotFound:
            return False
        return True

    def presign_get(self, key: str, *, expires_in: int, filename: str | None = None) -> str:
        """A short-lived download link for one object (at most `presigned_url_max_s`)."""
        _check_lifetime(expires_in)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        url: str = self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        return url

    def presign_put(self, key: str, *, expires_in: int, content_type: str, content_length: int) -> str:
        """A short-lived (at most 15 min) upload link for one object. The content type and the exact
        length are part of the signature: S3 refuses an upload that sends other values, which is
        how an upload's size is limited without passing through the API."""
        if not 0 < expires_in <= 900:
            raise ValueError("a presigned upload lives at most 15 minutes")
        _check_lifetime(expires_in)
        params = {"Bucket": self.bucket, "Key": key, "ContentType": content_type, "ContentLength": content_length}
        url: str = self._client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in,
                                                       HttpMethod="PUT")
        return url

    def size(self, key: str) -> int:
        """The stored object's length in bytes; `NotFound` when it does not exist."""
        response = self._call("head_object", Bucket=self.bucket, Key=key)
        return int(response["ContentLength"])

    def ping(self) -> None:
        """Raise unless the bucket answers (for the health route)."""
        self._call("head_bucket", Bucket=self.bucket)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, operation)(**kwargs)
        except ClientError as exc:
            if error_code(exc) in {"NoSuchKey", "404", "NotFound"}:
                raise NotFound("El archivo no existe.", code="object_not_found") from exc
            error = translated(exc, message="El almacenamiento no está disponible.", code="storage_unavailable")
            if error is None:  # a malformed request or a missing permission: a bug of ours, surfaced as it is
                raise
            raise error from exc
        except BotoCoreError as exc:
            raise DependencyUnavailable("El almacenamiento no está disponible.",
                                        code="storage_unavailable") from exc


def _check_lifetime(expires_in: int) -> None:
    """Every presigned link is short-lived: at most the `presigned_url_max_s` setting."""
    from chalicelib.settings import get_settings

    if not 0 < expires_in <= get_settings().presigned_url_max_s:
        raise ValueError(f"a presigned link lives at most {get_settings().presigned_url_max_s} s")
