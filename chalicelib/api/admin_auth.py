"""The signed-in official of an admin request, and the one gate every admin route passes."""

from __future__ import annotations

from chalice.app import Request

from chalicelib import wiring
from chalicelib.api.http import header
from chalicelib.api.models import municipality_code
from chalicelib.observability import logger
from chalicelib.services.auth import Official, authenticate, require, require_second_factor
from chalicelib.services.permissions import Permission, allowed


def current_official(request: Request, *, second_factor: bool = True) -> Official:
    """Verify the request's bearer token and find the official (401/403 otherwise). An official
    whose profile authorizes payments must have a TOTP app enrolled (403 until then), except
    where `second_factor` is False: only `/v1/admin/me`, which the console reads to lead there."""
    official = authenticate(header(request, "authorization"), wiring.token_verifier(), wiring.officials())
    logger.append_keys(official_profile=official.profile, official_municipality=official.municipality)
    if second_factor:
        require_second_factor(official, wiring.second_factor(), wiring.sessions())
    return official


def authorized(request: Request, permission: Permission, code: str | None = None) -> Official:
    """The official, if the profile holds `permission` and — for a route about municipality
    `code` — the official belongs to it (or is central and the permission lets central see it).

    Runs before the body or query is read, so a foreign municipality is a 403 whatever was sent.
    The path's code never decides whose data this is: it is compared with the official's."""
    official = current_official(request)
    require(official, permission, municipality=code)
    if code is not None:
        municipality_code(code)  # only central officials get here with a code that is not theirs
    return official


def authorized_any(request: Request, permissions: tuple[Permission, ...], code: str) -> Official:
    """`authorized` for a route that more than one permission opens (the route then checks the
    one its request needs, e.g. branding-only changes against the rest of the settings)."""
    official = current_official(request)
    holder = next((p for p in permissions if allowed(official.profile, p)), permissions[0])
    require(official, holder, municipality=code)
    municipality_code(code)
    return official
