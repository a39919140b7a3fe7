"""Who is calling an admin route: a verified token, matched against the officials table.

The municipality and profile come from the token's claims AND must agree with the official's
record (active, same profile); the path or body never decides them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.adapters.cognito_tokens import CognitoTokenVerifier
from chalicelib.adapters.officials_repo import OfficialRepository
from chalicelib.domain.errors import Forbidden, Unauthenticated
from chalicelib.services.permissions import ALL_PROFILES, CENTRAL_PROFILES, Permission, allowed

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
    if not email or profile not in ALL_PROFILES or not re.fullmatch(r"\d{5}", municipality):
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
