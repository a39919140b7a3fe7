"""Receipt tokens: what a receipt's QR carries besides its URL, so it can be checked offline.

A token is a compact JWS (RFC 7515) signed ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4) by the
municipality's token key, an EC P-256 key held in KMS behind `alias/sem/<code>/receipt-token`
(created on first use, like the receipt signer's RSA key; the private half never leaves KMS).
The header names the key (`kid`); the platform publishes every municipality's public key as a
JWKS (`GET /v1/trust/jwks.json`), so any verifier that has fetched the keys once checks a token
with no further network (the static page `console/verificar.html` does it with WebCrypto).

The claims are short-named to keep the QR small (docs/verification.md lists them):
``f`` folio, ``m`` municipality code, ``d`` issue date, ``a`` amount in pesos, and ``p``, one
``[plate, year, installment, valid_until]`` per permit item (empty for patentes and aseo).

KMS returns DER-encoded ECDSA signatures; JWS wants the raw ``r || s`` (64 bytes): PyJWT's
`der_to_raw_signature` converts. Verification uses PyJWT too. Both imported inside functions.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.municipality_codes import tenant
from chalicelib.signing.signing_keys import EC_KEY_SPEC, EC_SIGNING_ALGORITHM, SigningKeys
from chalicelib.ttl_cache import TtlCache

MAX_TOKEN_CHARS = 2000


def token_key_alias(code: str) -> str:
    """The KMS alias of a municipality's receipt-token key."""
    return f"alias/sem/{tenant(code)}/receipt-token"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def public_jwk(public_key_der: bytes, code: str) -> dict[str, str]:
    """The public key (DER SubjectPublicKeyInfo) as a JWK with its `kid`: the municipality code and
    the start of its RFC 7638 thumbprint (a new key gets a new kid)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from jwt.algorithms import ECAlgorithm

    public_key = load_der_public_key(public_key_der)
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ValueError("a receipt-token key must be an EC key")
    jwk: dict[str, str] = json.loads(ECAlgorithm.to_jwk(public_key))
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    thumbprint = b64url(hashlib.sha256(_compact_json(members)).digest())
    return {**members, "kid": f"{tenant(code)}-{thumbprint[:10]}", "alg": "ES256", "use": "sig"}


class ReceiptTokenSigner:
    """Signs receipt tokens with a municipality's KMS key; its JWK is cached for the process."""

    def __init__(self, kms: SigningKeys, *, cache_ttl_s: float = 3600) -> None:
        self._kms = kms
        self._jwks: TtlCache[dict[str, str]] = TtlCache(cache_ttl_s)

    def jwk(self, code: str, *, create: bool = True) -> dict[str, str]:
        """The municipality's public JWK; the key is created when missing and `create` is set,
        else `NotFound`."""
        alias = token_key_alias(code)

        def load() -> dict[str, str]:
            if create:
                self._kms.ensure_key(alias, f"SEM receipt tokens {code}", key_spec=EC_KEY_SPEC,
                                     tags={"sem:purpose": "signing", "sem:municipality": code})  # IAM: signing keys
            elif self._kms.find(alias) is None:
                raise NotFound("La municipalidad aún no tiene llave de comprobantes.", code="token_key_not_found")
            return public_jwk(self._kms.public_key_der(alias), code)

        return self._jwks.get_or_load(code, load)

    def sign(self, code: str, claims: Mapping[str, Any]) -> str:
        """The compact JWS of `claims` (one KMS `Sign`)."""
        from cryptography.hazmat.primitives.asymmetric import ec
        from jwt.utils import der_to_raw_signature

        header = {"alg": "ES256", "kid": self.jwk(code)["kid"]}
        signing_input = f"{b64url(_compact_json(header))}.{b64url(_compact_json(dict(claims)))}"
        der = self._kms.sign(token_key_alias(code), signing_input.encode("ascii"), algorithm=EC_SIGNING_ALGORITHM)
        return f"{signing_input}.{b64url(der_to_raw_signature(der, ec.SECP256R1()))}"


def receipt_claims(*, folio: str, municipality: str, issued_on: str, amount: int,
                   permits: list[tuple[str, int, str, str]]) -> dict[str, Any]:
    """The token's claims (short names: see the module docstring)."""
    return {"f": folio, "m": municipality, "d": issued_on, "a": amount, "p": [list(p) for p in permits]}


def verify_token(token: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """The claims of `token` when its signature verifies with the key its `kid` names in `jwks`;
    `InvalidInput` (`invalid_receipt_token`) for anything else (unknown key, tampered, malformed)."""
    import jwt

    refused = InvalidInput("El código no es un comprobante firmado válido.", code="invalid_receipt_token",
                           field="token")
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise refused
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = next((k for k in jwks.get("keys", []) if k.get("kid") == kid), None)
        if key is None:
            raise refused
        claims: dict[str, Any] = jwt.decode(token, jwt.PyJWK(dict(key)).key, algorithms=["ES256"],
                                            options={"verify_aud": False, "verify_exp": False,
                                                     "verify_iat": False, "verify_nbf": False})
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as exc:
        raise refused from exc
    if not str(kid).startswith(f"{claims.get('m')}-"):
        raise refused  # a municipality's key vouches only for its own receipts
    return claims
