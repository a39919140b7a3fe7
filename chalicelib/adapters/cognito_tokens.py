"""Verifies officials' Cognito ID tokens: signature against the pool's JWKS, issuer, audience,
token use, expiry, and an algorithm allow-list.

API Gateway's Cognito authorizer is not enforced by `chalice local` nor by the test client, so
the app verifies every token itself. The JWKS is fetched with a short timeout and cached; an
unknown key id triggers at most one refetch per minute (key rotation) — never one per request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from chalicelib.domain.errors import DependencyUnavailable, Unauthenticated

ALLOWED_ALGORITHMS = ("RS256",)
JWKS_TTL_S = 3600.0
REFETCH_MIN_INTERVAL_S = 60.0


class JwksCache:
    """The pool's public keys by key id."""

    def __init__(self, url: str, *, timeout_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def key(self, kid: str) -> Any:
        """The public key for `kid`; refetches when stale or when a new kid appears."""
        now = self._clock()
        with self._lock:
            stale = now - self._fetched_at > JWKS_TTL_S
            unknown = kid not in self._keys and now - self._fetched_at > REFETCH_MIN_INTERVAL_S
            if stale or unknown:
                self._keys = self._fetch()
                self._fetched_at = now
            found = self._keys.get(kid)
        if found is None:
            raise Unauthenticated("La sesión no es válida; inicie sesión nuevamente.", code="invalid_token")
        return found

    def _fetch(self) -> dict[str, Any]:
        import jwt
        import requests

        try:
            response = requests.get(self._url, timeout=self._timeout_s)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise DependencyUnavailable("No se pudo validar la sesión en este momento; intente nuevamente.",
                                        code="identity_unavailable") from exc
        keys = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[jwk["kid"]] = jwt.PyJWK.from_json(json.dumps(jwk), algorithm="RS256").key
        return keys


class CognitoTokenVerifier:
    """Checks an ID token from one user pool and one app client; returns its claims."""

    def __init__(self, *, issuer: str, client_id: str, jwks: JwksCache, leeway_s: int = 30) -> None:
        self._issuer = issuer
        self._client_id = client_id
        self._jwks = jwks
        self._leeway_s = leeway_s

    def verify(self, token: str) -> dict[str, Any]:
        """The verified claims, or `Unauthenticated` saying the session is not valid."""
        import jwt

        invalid = Unauthenticated("La sesión no es válida; inicie sesión nuevamente.", code="invalid_token")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise invalid from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS or not isinstance(header.get("kid"), str):
            raise invalid
        key = self._jwks.key(header["kid"])
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key=key, algorithms=list(ALLOWED_ALGORITHMS), audience=self._client_id,
                issuer=self._issuer, leeway=self._leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "token_use"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("La sesión expiró; inicie sesión nuevamente.", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise invalid from exc
        if claims.get("token_use") != "id":
            raise invalid
        return claims
