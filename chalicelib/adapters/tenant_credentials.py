"""Per-municipality AWS credentials: a role assumed with the session tag `municipality=<cut>`.

The role (infra/resources.yaml: TenantDataRole) lets its sessions read and write only table items
whose partition key begins with `${aws:PrincipalTag/municipality}#` (`dynamodb:LeadingKeys`), so
a function that works for one municipality at a time cannot touch another's rows even through a
bug. Credentials are cached per municipality until shortly before they expire: one STS call per
municipality per warm process and refresh, not one per message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.aws_errors import translated

TAG_KEY = "municipality"


@dataclass(frozen=True)
class ScopedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: float  # the clock's seconds


class TenantCredentials:
    """Assumes `role_arn` tagged with one municipality's code; caches the session per code."""

    def __init__(self, sts: Any, role_arn: str, *, duration_s: int = 900, refresh_margin_s: float = 120,
                 clock: Callable[[], float] = time.time) -> None:
        self._sts = sts
        self._role_arn = role_arn
        self._duration_s = duration_s
        self._margin_s = refresh_margin_s
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, ScopedCredentials] = {}

    def for_municipality(self, code: str) -> ScopedCredentials:
        """Credentials fenced to municipality `code` (validated: 5 digits, never the platform's
        own `00000`, whose rows no tenant session may reach; the role refuses that tag too)."""
        code = table_keys.tenant(code)
        if code == table_keys.PLATFORM:
            raise ValueError("the platform partition 00000 is no municipality code for a tenant session")
        with self._lock:
            cached = self._cache.get(code)
            if cached is not None and cached.expires_at - self._margin_s > self._clock():
                return cached
            fresh = self._assume(code)
            self._cache[code] = fresh
            return fresh

    def _assume(self, code: str) -> ScopedCredentials:
        from botocore.exceptions import BotoCoreError, ClientError

        started = self._clock()
        try:
            response = self._sts.assume_role(
                RoleArn=self._role_arn, RoleSessionName=f"sem-tenant-{code}", DurationSeconds=self._duration_s,
                Tags=[{"Key": TAG_KEY, "Value": code}])
        except (ClientError, BotoCoreError) as exc:
            raise translated(exc, message="No fue posible obtener credenciales de la municipalidad.",
                             code="tenant_credentials_unavailable",
                             refused=("No se concedieron credenciales de la municipalidad ({code}).",
                                      "tenant_credentials_refused")) from exc
        creds = response["Credentials"]
        return ScopedCredentials(access_key_id=creds["AccessKeyId"], secret_access_key=creds["SecretAccessKey"],
                                 session_token=creds["SessionToken"], expires_at=started + self._duration_s)
