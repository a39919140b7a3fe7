"""ClaveÚnica, the state's OpenID Connect provider, as SEM's citizens sign in with it.

Authlib's OAuth 2.0 client builds the authorization request (authorization code, PKCE S256,
state, nonce) and exchanges the code at the token endpoint with the client's credentials; the ID
token is then verified here against the provider's published keys (JWKS, cached with
`JwksCache`): signature (RS256 only), issuer, audience, expiry and the nonce of this sign-in.
The RUN comes from the verified token's `RolUnico` claim, or, when the provider leaves it out of
the ID token, from the userinfo answer for the same subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.cognito_tokens import JwksCache
from chalicelib.domain.errors import DependencyUnavailable, Unauthenticated
from chalicelib.domain.rut import Rut, parse_rut

SCOPES = "openid run name"
ALLOWED_ALGORITHMS = ("RS256",)


@dataclass(frozen=True)
class VerifiedCitizen:
    """Who ClaveÚnica says signed in."""

    run: Rut
    name: str


def _refused(message: str, code: str) -> Unauthenticated:
    return Unauthenticated(message, code=code)


class ClaveUnicaClient:
    """One relying party registered with ClaveÚnica (client id, secret, redirect URI)."""

    def __init__(self, *, issuer: str, client_id: str, client_secret: str, redirect_uri: str,
                 jwks: JwksCache | None = None, timeout_s: float = 5.0, leeway_s: int = 30) -> None:
        self.issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self._jwks = jwks or JwksCache(f"{self.issuer}/jwks", timeout_s=timeout_s)
        self._timeout_s = timeout_s
        self._leeway_s = leeway_s

    def _session(self) -> Any:
        from authlib.integrations.requests_client import OAuth2Session

        return OAuth2Session(self._client_id, self._client_secret, scope=SCOPES, redirect_uri=self.redirect_uri,
                             code_challenge_method="S256", token_endpoint_auth_method="client_secret_post")  # noqa: S106 (a method name)

    def authorization_url(self, *, state: str, nonce: str, code_verifier: str) -> str:
        """Where to send the citizen: ClaveÚnica's authorize endpoint with PKCE, state and nonce."""
        url, _ = self._session().create_authorization_url(
            f"{self.issuer}/authorize", state=state, nonce=nonce, code_verifier=code_verifier)
        return str(url)

    def sign_in(self, *, code: str, code_verifier: str, nonce: str) -> VerifiedCitizen:
        """Exchange the code (with the PKCE verifier) and verify the ID token; the citizen."""
        from authlib.integrations.base_client.errors import OAuthError
        from requests import RequestException

        session = self._session()
        try:
            token = session.fetch_token(f"{self.issuer}/token", code=code, code_verifier=code_verifier,
                                        timeout=self._timeout_s)
        except OAuthError as exc:
            raise _refused("ClaveÚnica no aceptó el ingreso; intente ingresar nuevamente.",
                           "oidc_code_refused") from exc
        except (RequestException, ValueError) as exc:
            raise DependencyUnavailable("ClaveÚnica no responde; intente en unos minutos.",
                                        code="claveunica_unavailable") from exc
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise _refused("ClaveÚnica no entregó un token de identidad.", "invalid_id_token")
        claims = self.verify_id_token(id_token, nonce=nonce)
        rol = claims.get("RolUnico")
        name = claims.get("name")
        if not isinstance(rol, dict) or not isinstance(name, dict):
            info = self._userinfo(session, token)
            if str(info.get("sub")) != str(claims.get("sub")):
                raise _refused("La identidad entregada por ClaveÚnica no coincide.", "invalid_id_token")
            rol = rol if isinstance(rol, dict) else info.get("RolUnico")
            name = name if isinstance(name, dict) else info.get("name")
        return VerifiedCitizen(run=run_of(rol), name=full_name(name))

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The ID token's claims once its signature, issuer, audience, expiry and nonce hold."""
        import hmac

        import jwt

        invalid = _refused("El token de identidad de ClaveÚnica no es válido.", "invalid_id_token")
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as exc:
            raise invalid from exc
        if header.get("alg") not in ALLOWED_ALGORITHMS or not isinstance(header.get("kid"), str):
            raise invalid
        try:
            key = self._jwks.key(header["kid"])
        except Unauthenticated as exc:
            raise invalid from exc
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token, key=key, algorithms=list(ALLOWED_ALGORITHMS), audience=self._client_id,
                issuer=self.issuer, leeway=self._leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]})
        except jwt.ExpiredSignatureError as exc:
            raise _refused("El token de identidad de ClaveÚnica expiró; ingrese nuevamente.",
                           "id_token_expired") from exc
        except jwt.PyJWTError as exc:
            raise invalid from exc
        if not hmac.compare_digest(str(claims.get("nonce")), nonce):
            raise _refused("El ingreso no corresponde a esta sesión (nonce); ingrese nuevamente.", "nonce_mismatch")
        return claims

    def _userinfo(self, session: Any, token: dict[str, Any]) -> dict[str, Any]:
        from requests import RequestException

        try:
            response = session.get(f"{self.issuer}/userinfo", timeout=self._timeout_s)
            response.raise_for_status()
            info = response.json()
        except (RequestException, ValueError) as exc:
            raise DependencyUnavailable("ClaveÚnica no responde; intente en unos minutos.",
                                        code="claveunica_unavailable") from exc
        return info if isinstance(info, dict) else {}


def run_of(rol: object) -> Rut:
    """The RUN of ClaveÚnica's `RolUnico` claim (`{"numero": 44444444, "DV": "4", "tipo": "RUN"}`)."""
    from chalicelib.domain.errors import InvalidInput

    if not isinstance(rol, dict) or rol.get("tipo", "RUN") != "RUN" or "numero" not in rol or "DV" not in rol:
        raise _refused("ClaveÚnica no entregó un RUN.", "invalid_id_token")
    try:
        return parse_rut(f"{rol['numero']}-{rol['DV']}")
    except InvalidInput as exc:
        raise _refused("ClaveÚnica entregó un RUN inválido.", "invalid_id_token") from exc


def full_name(name: object) -> str:
    """ "Nombres Apellidos" from ClaveÚnica's `name` claim (lists of given names and surnames)."""
    if not isinstance(name, dict):
        return ""
    parts = [str(p) for key in ("nombres", "apellidos") for p in (name.get(key) or []) if isinstance(p, str)]
    return " ".join(parts)[:120]
