"""One-time codes for attended signatures: TOTP (RFC 6238, pyotp: 6 digits, 30 s, SHA-1 — what
authenticator apps use), secrets encrypted by KMS, ±1 time step, each code accepted once, and a
lock after repeated wrong codes.

The secret is encrypted with a symmetric KMS key (`SEM_SIGNING_OTP_KEY_ALIAS`) under an
encryption context naming the municipality and the official, so a ciphertext copied onto another
official's record does not decrypt; the plaintext exists only in memory while a code is checked
and is never logged. Cognito's own TOTP (sign-in) cannot serve here: Cognito never reveals the
secret, so a separate signing secret is enrolled.
"""

from __future__ import annotations

import base64
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from chalicelib.domain.errors import ConditionFailed, Forbidden, InvalidInput, RateLimited

STEP_S = 30
ISSUER = "SEM Firma"
_CODE = re.compile(r"^\d{6}$")


class OtpState(Protocol):
    """Where attempts are counted (the enrollment record)."""

    def otp_success(self, code: str, email: str, step: int) -> None: ...

    def otp_failure(self, code: str, email: str) -> int: ...

    def otp_lock(self, code: str, email: str, until: str) -> None: ...


class SecretBox(Protocol):
    def encrypt(self, alias: str, plaintext: bytes, context: dict[str, str]) -> bytes: ...

    def decrypt(self, alias: str, ciphertext: bytes, context: dict[str, str]) -> bytes: ...


class AttemptCounter(Protocol):
    """A longer-horizon cap on wrong codes per official (services/rate_limit.py: a day's window),
    on top of the lock: the lock alone still allows `max_failures` guesses every `lock`."""

    def attempt_otp(self, code: str, email: str) -> SettledAttempt: ...


class SettledAttempt(Protocol):
    """One code's slot in the counter, taken before the code is judged; given back if it was right."""

    def succeeded(self) -> None: ...


@dataclass(frozen=True)
class OtpPolicy:
    key_alias: str = "alias/sem/signing-otp"
    max_failures: int = 5
    lock: timedelta = timedelta(minutes=15)
    attempts: AttemptCounter | None = None


def new_secret() -> str:
    import pyotp

    return str(pyotp.random_base32())


def provisioning_uri(secret: str, *, account: str) -> str:
    import pyotp

    return str(pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER))


def _context(code: str, email: str) -> dict[str, str]:
    return {"sem:municipality": code, "sem:official": email.lower(), "sem:use": "signing-otp"}


def seal(box: SecretBox, policy: OtpPolicy, code: str, email: str, secret: str) -> str:
    """The secret, encrypted, as text for the record."""
    return base64.b64encode(box.encrypt(policy.key_alias, secret.encode(), _context(code, email))).decode()


def unseal(box: SecretBox, policy: OtpPolicy, code: str, email: str, sealed: str) -> str:
    return box.decrypt(policy.key_alias, base64.b64decode(sealed), _context(code, email)).decode()


def matching_step(secret: str, otp: str, now: datetime, last_step: int) -> int | None:
    """The time step (now ±1) whose code is `otp` and that is newer than `last_step`, or None."""
    import pyotp

    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_S
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.at(step * STEP_S), otp):
            return step
    return None


def check_code(record: dict[str, Any], otp: str | None, *, box: SecretBox, state: OtpState, policy: OtpPolicy,
               now: datetime) -> None:
    """Accept `otp` for the enrollment `record` or raise: 400 malformed, 403 wrong (counted), 429
    while locked (with Retry-After) and on the wrong code that reaches the limit."""
    code, email = str(record["municipality"]), str(record["email"])
    locked_until = record.get("otp_locked_until")
    if locked_until:
        left = (datetime.fromisoformat(str(locked_until)) - now).total_seconds()
        if left > 0:
            raise RateLimited("Demasiados códigos incorrectos; espere antes de intentar de nuevo.",
                              code="otp_locked", retry_after=int(left) + 1)
    if otp is None or not _CODE.match(otp):
        raise InvalidInput("El código de un solo uso debe tener 6 dígitos.", code="otp_invalid_format", field="otp")
    attempt = policy.attempts.attempt_otp(code, email) if policy.attempts is not None else None
    secret = unseal(box, policy, code, email, str(record["otp_secret"]))
    step = matching_step(secret, otp, now, int(record.get("otp_last_step", 0)))
    if step is not None:
        try:
            state.otp_success(code, email, step)
            if attempt is not None:
                attempt.succeeded()
            return
        except ConditionFailed:
            pass  # the same code (or a newer one) was used meanwhile: a replay is a wrong code
    failures = state.otp_failure(code, email)
    if failures >= policy.max_failures:
        until = now.astimezone(UTC) + policy.lock
        state.otp_lock(code, email, until.isoformat(timespec="seconds"))
        minutes = int(policy.lock.total_seconds() // 60)
        raise RateLimited(f"Demasiados códigos incorrectos; la firma queda bloqueada por {minutes} minutos.",
                          code="otp_locked", retry_after=int(policy.lock.total_seconds()))
    raise Forbidden("El código de un solo uso no es correcto o ya fue usado.", code="otp_invalid", field="otp")
