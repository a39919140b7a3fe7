"""Local stand-in for ClaveÚnica, the Chilean state's OpenID Connect provider (dev only, loopback).

It mirrors the contract of accounts.claveunica.gob.cl that SEM uses (docs/citizens.md):

    GET  /openid/.well-known/openid-configuration   discovery document
    GET  /openid/jwks                               the provider's public keys (RS256)
    GET  /openid/authorize                          response_type=code, client_id, redirect_uri,
                                                    scope ("openid run name"), state, nonce,
                                                    code_challenge, code_challenge_method=S256:
                                                    a page (es-CL) listing the demo citizens
    POST /openid/authorize                          form (the same parameters + run): 303 to
                                                    redirect_uri?code=…&state=…
    POST /openid/token                              grant_type=authorization_code, code,
                                                    redirect_uri, code_verifier; client
                                                    credentials in the body or Basic auth
    GET|POST /openid/userinfo                       Bearer access token: sub, RolUnico, name
    GET  /health                                    200 while the process runs

The RUN travels as ClaveÚnica shapes it: ``{"RolUnico": {"numero": 44444444, "DV": "4",
"tipo": "RUN"}}``, in the userinfo answer and, here, also as a claim of the ID token. Codes are
single-use and live 60 s; ID tokens 5 minutes.

Switches for tests (``POST /simulator/control``, ``{"id_token": "valid"|"expired"|"forged"|
"wrong_nonce"|"wrong_audience", "reset": true}``) make the next ID tokens bad in that way.

    SEM_CLAVEUNICA_CLIENT_ID=… SEM_CLAVEUNICA_CLIENT_SECRET=… python -m devstack.simulators.claveunica --port 8103

In-process (tests): ``with ClaveUnicaSimulator("client", "secret", port=0) as sim: sim.url …``
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import html
import json
import os
import secrets
import threading
import time
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from devstack.simulators.base import BackgroundServer, JsonHandler

# Invented demo citizens (valid check digits, nobody known). The first is the demo payer of
# devstack/demo_data.py; the second owns a vehicle and a debt in other municipalities; the third is
# the representative of the demo fleet company.
DEMO_CITIZENS: list[dict[str, Any]] = [
    {"numero": 12345678, "DV": "5", "nombres": ["María"], "apellidos": ["Pérez", "Soto"]},
    {"numero": 12678579, "DV": "8", "nombres": ["Juan"], "apellidos": ["Soto", "Rojas"]},
    {"numero": 11111111, "DV": "1", "nombres": ["Ana"], "apellidos": ["Díaz", "Fuentes"]},
]
CODE_TTL_S = 60
ID_TOKEN_TTL_S = 300
BAD_TOKENS = ("valid", "expired", "forged", "wrong_nonce", "wrong_audience")


class ClaveUnicaSimulator(BackgroundServer):
    """The provider's state: its signing key, issued codes and access tokens, the switches."""

    def __init__(self, client_id: str, client_secret: str, *, port: int = 0, host: str = "127.0.0.1") -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.mode = "valid"
        self.lock = threading.Lock()
        server = ThreadingHTTPServer((host, port), _handler_for(self))
        server.daemon_threads = True
        super().__init__(server, host=host, name="claveunica-simulator")

    @property
    def issuer(self) -> str:
        return f"{self.url}/openid"

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def id_token(self, citizen: dict[str, Any], nonce: str) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer, "aud": self.client_id, "sub": str(citizen["numero"]), "iat": now,
            "exp": now + ID_TOKEN_TTL_S, "nonce": nonce, "RolUnico": rol_unico(citizen)}
        key = self.key
        if self.mode == "expired":
            claims.update(iat=now - 3600, exp=now - 1800)
        elif self.mode == "forged":
            key = self.forger
        elif self.mode == "wrong_nonce":
            claims["nonce"] = secrets.token_urlsafe(16)
        elif self.mode == "wrong_audience":
            claims["aud"] = "another-client"
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid})


def rol_unico(citizen: dict[str, Any]) -> dict[str, Any]:
    return {"numero": citizen["numero"], "DV": citizen["DV"], "tipo": "RUN"}


def _citizen(run: str) -> dict[str, Any] | None:
    return next((c for c in DEMO_CITIZENS if f"{c['numero']}-{c['DV']}" == run), None)


def _handler_for(sim: ClaveUnicaSimulator) -> type[JsonHandler]:
    class Handler(JsonHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/health":
                self.send_json(200, {"status": "ok"})
            elif parts.path == "/openid/.well-known/openid-configuration":
                self.send_json(200, {
                    "issuer": sim.issuer, "authorization_endpoint": f"{sim.issuer}/authorize",
                    "token_endpoint": f"{sim.issuer}/token", "userinfo_endpoint": f"{sim.issuer}/userinfo",
                    "jwks_uri": f"{sim.issuer}/jwks", "scopes_supported": ["openid", "run", "name"],
                    "response_types_supported": ["code"], "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"]})
            elif parts.path == "/openid/jwks":
                self.send_json(200, sim.jwks())
            elif parts.path == "/openid/authorize":
                self._authorize_page(query)
            elif parts.path == "/openid/userinfo":
                self._userinfo()
            elif parts.path == "/simulator/control":
                self.send_json(200, {"id_token": sim.mode})
            else:
                self.send_json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            path = urlsplit(self.path).path
            raw = self.read_body()
            if path == "/openid/authorize":
                self._authorize(_form(raw))
            elif path == "/openid/token":
                self._token(_form(raw))
            elif path == "/openid/userinfo":
                self._userinfo()
            elif path == "/simulator/control":
                body = json.loads(raw or b"{}")
                mode = "valid" if body.get("reset") else body.get("id_token", sim.mode)
                if mode not in BAD_TOKENS:
                    self.send_json(400, {"error": "unknown id_token mode"})
                    return
                sim.mode = mode
                self.send_json(200, {"id_token": sim.mode})
            else:
                self.send_json(404, {"error": "not_found"})

        # -- authorize -------------------------------------------------------------------------

        def _check_request(self, params: dict[str, str]) -> str | None:
            if params.get("client_id") != sim.client_id:
                return "client_id desconocido"
            if params.get("response_type") != "code":
                return "response_type debe ser code"
            if "openid" not in params.get("scope", "").split():
                return "falta el scope openid"
            if not params.get("redirect_uri", "").startswith(("http://127.0.0.1", "http://localhost")):
                return "redirect_uri no registrada"
            if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
                return "se requiere PKCE (S256)"
            if not params.get("state") or not params.get("nonce"):
                return "faltan state o nonce"
            return None

        def _authorize_page(self, params: dict[str, str]) -> None:
            problem = self._check_request(params)
            if problem:
                self._html(400, f"<p>Solicitud inválida: {html.escape(problem)}</p>")
                return
            hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                             for k, v in params.items())
            buttons = "".join(
                f'<button name="run" value="{c["numero"]}-{c["DV"]}">'
                f'{html.escape(" ".join(c["nombres"] + c["apellidos"]))} ({c["numero"]}-{c["DV"]})</button>'
                for c in DEMO_CITIZENS)
            self._html(200, "<h1>ClaveÚnica (simulador local)</h1><p>Elija con quién ingresar:</p>"
                            f'<form method="post" action="/openid/authorize">{hidden}{buttons}</form>')

        def _authorize(self, params: dict[str, str]) -> None:
            problem = self._check_request(params)
            citizen = _citizen(params.get("run", ""))
            if problem or citizen is None:
                self._html(400, f"<p>Solicitud inválida: {html.escape(problem or 'RUN desconocido')}</p>")
                return
            code = secrets.token_urlsafe(24)
            with sim.lock:
                sim.codes[code] = {"citizen": citizen, "redirect_uri": params["redirect_uri"],
                                   "nonce": params["nonce"], "challenge": params["code_challenge"],
                                   "expires": time.time() + CODE_TTL_S}
            self.send_response(303)
            query = urlencode({"code": code, "state": params["state"]})
            self.send_header("Location", f"{params['redirect_uri']}?{query}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        # -- token and userinfo ----------------------------------------------------------------

        def _token(self, params: dict[str, str]) -> None:
            client_id, client_secret = params.get("client_id"), params.get("client_secret")
            basic = self.headers.get("Authorization", "")
            if basic.startswith("Basic "):
                client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
            if client_id != sim.client_id or not hmac.compare_digest(client_secret or "", sim.client_secret):
                self.send_json(401, {"error": "invalid_client"})
                return
            with sim.lock:
                grant = sim.codes.pop(params.get("code", ""), None)  # single use
            if params.get("grant_type") != "authorization_code" or grant is None or grant["expires"] < time.time():
                self.send_json(400, {"error": "invalid_grant"})
                return
            verifier = params.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            if grant["redirect_uri"] != params.get("redirect_uri") or not hmac.compare_digest(challenge,
                                                                                                grant["challenge"]):
                self.send_json(400, {"error": "invalid_grant", "error_description": "PKCE o redirect_uri"})
                return
            access = secrets.token_urlsafe(24)
            with sim.lock:
                sim.access_tokens[access] = grant["citizen"]
            self.send_json(200, {"access_token": access, "token_type": "bearer", "expires_in": 3600,
                                 "id_token": sim.id_token(grant["citizen"], grant["nonce"])})

        def _userinfo(self) -> None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            citizen = sim.access_tokens.get(token)
            if citizen is None:
                self.send_json(401, {"error": "invalid_token"})
                return
            self.send_json(200, {"sub": str(citizen["numero"]), "RolUnico": rol_unico(citizen),
                                 "name": {"nombres": citizen["nombres"], "apellidos": citizen["apellidos"]}})

        def _html(self, status: int, body: str) -> None:
            page = ('<!doctype html><html lang="es-CL"><head><meta charset="utf-8">'
                    '<meta name="viewport" content="width=device-width, initial-scale=1">'
                    f"<title>ClaveÚnica (simulador)</title></head><body>{body}</body></html>").encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    return Handler


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("SEM_CLAVEUNICA_PORT", "8103")))
    args = parser.parse_args()
    sim = ClaveUnicaSimulator(os.environ.get("SEM_CLAVEUNICA_CLIENT_ID", "sem-local"),
                              os.environ.get("SEM_CLAVEUNICA_CLIENT_SECRET", ""), port=args.port)
    print(f"ClaveÚnica simulator listening on {sim.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sim.serve_forever()


if __name__ == "__main__":
    main()
