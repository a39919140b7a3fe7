"""Rate limits on values an attacker could guess by trying (a payment's access token, a receipt's
verification code, an official's one-time signing codes over a day): failures are counted per
fixed window, and once a subject reaches its limit further attempts are refused with 429 and
`Retry-After` until the window ends (the payment status route serves a right token regardless:
see `services/payments.payment_status`).

Counters live in DynamoDB (`adapters/rate_limit_repo.py`), keyed by the municipality the guessed
value belongs to, so no tenant's counters touch another's. Only failures are counted: a citizen
who holds the right token is never slowed down by their own polling."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.errors import RateLimited

MESSAGE = "Demasiados intentos fallidos; espere antes de intentar de nuevo."


class Counters(Protocol):
    def count(self, code: str, scope: str, subject: str, window_start: int) -> int: ...

    def add(self, code: str, scope: str, subject: str, window_start: int, expires_at: int) -> int: ...


@dataclass(frozen=True)
class Limit:
    """At most `failures` failed attempts of `scope` against `subject` per window."""

    scope: str
    subject: str
    failures: int


def source_subject(source: str | None) -> str:
    """A caller's address (or an official's e-mail) as a counter subject: hashed (both are
    personal data, and it ends up in a table key), `unknown` when the gateway gave none."""
    if not source:
        return "unknown"
    return hashlib.sha256(source.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class FailureLimits:
    """How many failures a window allows (settings `rate_limit_*`)."""

    per_payment: int = 10
    per_source: int = 50
    per_official_otp: int = 20


class RateLimiter:
    """Checks and counts failed attempts, per municipality, in fixed windows."""

    def __init__(self, counters: Counters, *, window_s: int, now: Callable[[], float],
                 limits: FailureLimits | None = None) -> None:
        self._counters = counters
        self._window_s = window_s
        self._now = now
        self.limits = limits or FailureLimits()

    def payment_token_limits(self, payment_id: str, source: str | None) -> list[Limit]:
        """Wrong access tokens for one payment, and from one source address."""
        return [Limit("payment-token", payment_id, self.limits.per_payment),
                Limit("payment-token-source", source_subject(source), self.limits.per_source)]

    def check_otp(self, code: str, email: str) -> None:
        """429 once an official has used up the window's wrong one-time codes (signing/otp.py)."""
        self.check(code, self._otp_limits(email))

    def failed_otp(self, code: str, email: str) -> None:
        self.failed(code, self._otp_limits(email))

    def _otp_limits(self, email: str) -> list[Limit]:
        return [Limit("otp-official", source_subject(email.lower()), self.limits.per_official_otp)]

    def receipt_code_limits(self, source: str | None) -> list[Limit]:
        """Wrong folio/verification-code pairs from one source address."""
        return [Limit("receipt-code-source", source_subject(source), self.limits.per_source)]

    def _window(self) -> tuple[int, int]:
        now = int(self._now())
        start = now - now % self._window_s
        return start, start + self._window_s

    def check(self, code: str, limits: Sequence[Limit]) -> None:
        """429 when any of `limits` is already used up in the current window."""
        start, end = self._window()
        for limit in limits:
            if self._counters.count(code, limit.scope, limit.subject, start) >= limit.failures:
                raise RateLimited(MESSAGE, code="too_many_attempts", retry_after=max(1, end - int(self._now())))

    def failed(self, code: str, limits: Sequence[Limit]) -> None:
        """Count one failure against each of `limits`."""
        start, end = self._window()
        for limit in limits:
            self._counters.add(code, limit.scope, limit.subject, start, end + self._window_s)
