"""Who is calling an admin route: a verified token, matched against the officials table.

The municipality and profile come from the token's claims AND must agree with the official's
record (active, same profile); the path or body never decides them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from chalicelib.adapters.cognito_tokens import CognitoTokenVerifier
from chalicelib.adapters.officials_repo import OfficialRepository
from chalicelib.domain.errors import Forbidden, Unauthenticated
from chalicelib.services.permissions import ALL_PROFILES, CENTRAL_PROFILES, Permission, allowed, requires_totp

PLATFORM = "00000"
_BEARER = re.compile(r"^Bearer ([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)$")


@dataclass(frozen=True)
class Official:
    """An authenticated official."""

    email: str
    municipality: str
    profile: str
    name: str

    @property
    def central(self) -> bool:
        return self.profile in CENTRAL_PROFILES


def authenticate(authorization: str | None, verifier: CognitoTokenVerifier,
                 officials: OfficialRepository) -> Official:
    """The official behind an `Authorization: Bearer <id token>` header, or 401."""
    match = _BEARER.match(authorization or "")
    if not match:
        raise Unauthenticated("Inicie sesión para continuar.", code="missing_token")
    claims = verifier.verify(match.group(1))
    email = str(claims.get("email", "")).lower()
    municipality = str(claims.get("custom:municipality", ""))
    profile = str(claims.get("custom:profile", ""))
    if not email or profile not in ALL_PROFILES or not re.fullmatch(r"[0-9]{5}", municipality):
        raise Unauthenticated("La sesión no es válida; inicie sesión nuevamente.", code="invalid_token")
    if (profile in CENTRAL_PROFILES) != (municipality == PLATFORM):
        raise Unauthenticated("La sesión no es válida; inicie sesión nuevamente.", code="invalid_token")
    record = officials.get(municipality, email)
    if record is None or record.get("status") != "active" or record.get("profile") != profile:
        raise Forbidden("Su cuenta no está habilitada para esta municipalidad o perfil.",
                        code="official_not_active")
    return Official(email=email, municipality=municipality, profile=profile, name=str(record.get("name", "")))


def require(official: Official, permission: Permission, *, municipality: str | None = None) -> None:
    """403 unless the official's profile holds `permission` and, for a municipality's data, the
    official belongs to it."""
    if not allowed(official.profile, permission):
        raise Forbidden("Su perfil no tiene permiso para esta acción.", code="permission_denied")
    if municipality is not None and not official.central and official.municipality != municipality:
        raise Forbidden("No tiene acceso a los datos de otra municipalidad.", code="other_municipality")


class AccountLookup(Protocol):
    """Reads an official's account in the user pool (`CognitoUsers.attributes`)."""

    def attributes(self, email: str) -> dict[str, str] | None: ...


class SecondFactor:
    """Whether an official's account has a TOTP app enrolled in the user pool.

    Once enrolled, Cognito asks for the code at every sign-in, so an enrolled account's tokens
    were earned with the second factor. A positive answer is remembered for `ttl_s` (sparing the
    user pool a call per request); a negative one never is, so an official who has just enrolled
    is let in at once, and a reset takes effect within `ttl_s`."""

    def __init__(self, accounts: AccountLookup, ttl_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._accounts = accounts
        self._ttl_s = ttl_s
        self._clock = clock
        self._enrolled_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def enrolled(self, email: str, *, fresh: bool = False) -> bool:
        """True when the account has SOFTWARE_TOKEN_MFA; `fresh` skips the remembered answer.
        A user pool that does not answer raises `DependencyUnavailable` (the caller fails closed)."""
        now = self._clock()
        if not fresh:
            with self._lock:
                if self._enrolled_until.get(email, 0.0) > now:
                    return True
        account = self._accounts.attributes(email)
        enrolled = account is not None and "SOFTWARE_TOKEN_MFA" in account.get("MFA", "").split(",")
        with self._lock:
            if enrolled:
                self._enrolled_until[email] = now + self._ttl_s
            else:
                self._enrolled_until.pop(email, None)
        return enrolled


def require_second_factor(official: Official, second_factor: SecondFactor) -> None:
    """403 for an official whose profile authorizes payments and who has not enrolled a TOTP app
    yet: until then only `/v1/admin/me` answers (the console then leads to the enrolment)."""
    if requires_totp(official.profile) and not second_factor.enrolled(official.email):
        raise Forbidden("Su perfil autoriza pagos y debe ingresar con segundo factor: configure su aplicación "
                        "de códigos (TOTP) en «Segundo factor» antes de continuar.", code="second_factor_required")
