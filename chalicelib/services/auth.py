"""Who is calling an admin route: a verified token, matched against the officials table.

Identity comes from the account, never from what its owner can edit: the token's immutable
`sub` finds the official's record, and the municipality, profile, e-mail and name are the
record's. The token's other claims (`email`, `custom:municipality`, `custom:profile`) are
attributes of the user pool that are not trusted here (docs/security.md, identity and sessions).
The path or body never decides them either.

Sessions follow the account: when its profile or status changes, its password is reset or a TOTP
app is enrolled, the record's `sessions_after` moves to the next second and every token
authenticated before it is refused (ID tokens are checked here, offline, so revoking refresh
tokens in Cognito alone would leave them valid until they expire).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.adapters.cognito_tokens import CognitoTokenVerifier
from chalicelib.domain.errors import Forbidden, Unauthenticated
from chalicelib.services.permissions import ALL_PROFILES, CENTRAL_PROFILES, Permission, allowed, requires_totp

PLATFORM = "00000"
_BEARER = re.compile(r"^Bearer ([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)$")
SESSION_ENDED = "Su sesión terminó (cambió su cuenta o su segundo factor); inicie sesión nuevamente."
TOTP_ENROLLED = "Su segundo factor quedó activado: inicie sesión nuevamente, esta vez con el código de su aplicación."


@dataclass(frozen=True)
class Official:
    """An authenticated official: everything here comes from the officials' record."""

    email: str
    municipality: str
    profile: str
    name: str
    sub: str = ""
    totp_noted: bool = False  # the platform has seen this account's TOTP enrolment (and ended older sessions)

    @property
    def central(self) -> bool:
        return self.profile in CENTRAL_PROFILES


class OfficialLookup(Protocol):
    """Officials by account (`OfficialRepository`)."""

    def by_sub(self, sub: str) -> dict[str, Any] | None: ...


def authenticate(authorization: str | None, verifier: CognitoTokenVerifier, officials: OfficialLookup) -> Official:
    """The official behind an `Authorization: Bearer <id token>` header, or 401/403."""
    match = _BEARER.match(authorization or "")
    if not match:
        raise Unauthenticated("Inicie sesión para continuar.", code="missing_token")
    claims = verifier.verify(match.group(1))
    invalid = Unauthenticated("La sesión no es válida; inicie sesión nuevamente.", code="invalid_token")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise invalid
    if claims.get("email_verified") not in (True, "true"):
        raise Unauthenticated("El correo de su cuenta no está verificado; contacte al administrador municipal.",
                              code="email_not_verified")
    record = officials.by_sub(sub)
    if record is None or record.get("status") != "active":
        raise Forbidden("Su cuenta no está habilitada para esta municipalidad o perfil.",
                        code="official_not_active")
    municipality, profile = str(record.get("municipality", "")), str(record.get("profile", ""))
    if profile not in ALL_PROFILES or (profile in CENTRAL_PROFILES) != (municipality == PLATFORM):
        raise Forbidden("Su cuenta no está habilitada para esta municipalidad o perfil.",
                        code="official_not_active")
    if authenticated_at(claims) < int(record.get("sessions_after", 0)):
        raise Unauthenticated(SESSION_ENDED, code="session_ended")
    return Official(email=str(record["email"]), municipality=municipality, profile=profile,
                    name=str(record.get("name", "")), sub=sub, totp_noted=bool(record.get("totp_enrolled_at")))


def authenticated_at(claims: dict[str, Any]) -> int:
    """When the token's session began: `auth_time` (kept by tokens refreshed from it), else `iat`."""
    value = claims.get("auth_time", claims.get("iat"))
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def session_cutoff(now: float | None = None) -> int:
    """The `sessions_after` that ends every session begun up to now: the next whole second
    (token times are whole seconds, so a token of this very second is refused too)."""
    return int(time.time() if now is None else now) + 1


def require(official: Official, permission: Permission, *, municipality: str | None = None) -> None:
    """403 unless the official's profile holds `permission` and, for a municipality's data, the
    official belongs to it."""
    if not allowed(official.profile, permission):
        raise Forbidden("Su perfil no tiene permiso para esta acción.", code="permission_denied")
    if municipality is not None and not official.central and official.municipality != municipality:
        raise Forbidden("No tiene acceso a los datos de otra municipalidad.", code="other_municipality")


class AccountLookup(Protocol):
    """Reads an official's account in the user pool (`CognitoUsers.attributes`)."""

    def attributes(self, account: str) -> dict[str, str] | None: ...


class SecondFactor:
    """Whether an official's account (its `sub`) has a TOTP app enrolled in the user pool.

    Once enrolled, Cognito asks for the code at every sign-in, so an account's tokens earned
    after the enrolment was noted (`Sessions.totp_enrolled`) were earned with the second factor.
    A positive answer is remembered for `ttl_s` (sparing the user pool a call per request); a
    negative one never is, so an enrolment is seen at once, and a reset within `ttl_s`."""

    def __init__(self, accounts: AccountLookup, ttl_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._accounts = accounts
        self._ttl_s = ttl_s
        self._clock = clock
        self._enrolled_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def enrolled(self, sub: str, *, fresh: bool = False) -> bool:
        """True when the account has SOFTWARE_TOKEN_MFA; `fresh` skips the remembered answer.
        A user pool that does not answer raises `DependencyUnavailable` (the caller fails closed)."""
        if not sub:
            return False
        now = self._clock()
        if not fresh:
            with self._lock:
                if self._enrolled_until.get(sub, 0.0) > now:
                    return True
        account = self._accounts.attributes(sub)
        enrolled = account is not None and "SOFTWARE_TOKEN_MFA" in account.get("MFA", "").split(",")
        with self._lock:
            if enrolled:
                self._enrolled_until[sub] = now + self._ttl_s
            else:
                self._enrolled_until.pop(sub, None)
        return enrolled


class SessionRecords(Protocol):
    """Where an official's sessions are cut (`OfficialRepository`)."""

    def end_sessions(self, municipality: str, email: str, *, after: int,
                     totp_enrolled_at: str | None = None) -> bool: ...

    def forget_totp(self, municipality: str, email: str) -> None: ...


class AccountSignOut(Protocol):
    """Ends an account's sessions in the user pool (`CognitoUsers.sign_out_everywhere`)."""

    def sign_out_everywhere(self, account: str) -> None: ...


class Sessions:
    """Ends an official's sessions everywhere: first in the record (the API refuses the older
    tokens at once), then in Cognito (AdminUserGlobalSignOut: their refresh tokens die)."""

    def __init__(self, records: SessionRecords, accounts: AccountSignOut,
                 clock: Callable[[], float] = time.time) -> None:
        self._records = records
        self._accounts = accounts
        self._clock = clock

    def totp_enrolled(self, official: Official) -> None:
        """Note a new TOTP enrolment and end every session begun before it (once: a concurrent
        request that noted it first has already done so)."""
        now = self._clock()
        noted_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        if self._records.end_sessions(official.municipality, official.email, after=session_cutoff(now),
                                      totp_enrolled_at=noted_at):
            self._accounts.sign_out_everywhere(official.sub)

    def totp_removed(self, official: Official) -> None:
        self._records.forget_totp(official.municipality, official.email)


def follow_enrolment(official: Official, enrolled: bool, sessions: Sessions) -> None:
    """Sessions follow enrolment: the first request that sees a TOTP app the platform has not
    noted yet ends every session of the account — this request's included (401 `session_ended`),
    so the official signs in again, now with the code. A removed app is forgotten, so that the
    next enrolment ends the sessions again."""
    if enrolled and not official.totp_noted:
        sessions.totp_enrolled(official)
        raise Unauthenticated(TOTP_ENROLLED, code="session_ended")
    if not enrolled and official.totp_noted:
        sessions.totp_removed(official)


def require_second_factor(official: Official, second_factor: SecondFactor, sessions: Sessions) -> None:
    """403 for an official whose profile authorizes payments and who has not enrolled a TOTP app
    yet: until then only `/v1/admin/me` answers (the console then leads to the enrolment). A
    session begun before the enrolment ends (`follow_enrolment`)."""
    if not requires_totp(official.profile):
        return
    enrolled = second_factor.enrolled(official.sub)
    follow_enrolment(official, enrolled, sessions)
    if not enrolled:
        raise Forbidden("Su perfil autoriza pagos y debe ingresar con segundo factor: configure su aplicación "
                        "de códigos (TOTP) en «Segundo factor» antes de continuar.", code="second_factor_required")
