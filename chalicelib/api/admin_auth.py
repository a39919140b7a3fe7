"""The signed-in official of an admin request."""

from __future__ import annotations

from chalice.app import Request

from chalicelib import wiring
from chalicelib.observability import logger
from chalicelib.services.auth import Official, authenticate


def current_official(request: Request) -> Official:
    """Verify the request's bearer token and find the official (401/403 otherwise)."""
    official = authenticate(request.headers.get("authorization"), wiring.token_verifier(), wiring.officials())
    logger.append_keys(official_profile=official.profile, official_municipality=official.municipality)
    return official
