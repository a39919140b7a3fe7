"""Rate limits on values an attacker could guess by trying (a payment's access token, a receipt's
verification code, an official's one-time signing codes over a day): failures are counted per
fixed window, and once a subject reaches its limit further attempts are refused with 429 and
`Retry-After` until the window ends (the payment status route serves a right token regardless:
see `services/payments.payment_status`).

Counters live in DynamoDB (`adapters/rate_limit_repo.py`), keyed by the municipality the guessed
value belongs to, so no tenant's counters touch another's. An attempt takes its slot *before* it
is judged, with one conditional ADD per limit (`hits < limit`), never a read and a later write:
concurrent guesses cannot slip past a limit between a check and a count. An attempt that turns
out right gives its slot back, so only failures stay counted: a citizen who holds the right token
is never slowed down by their own polling."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.errors import RateLimited

MESSAGE = "Demasiados intentos fallidos; espere antes de intentar de nuevo."


class Counters(Protocol):
    def take(self, code: str, scope: str, subject: str, window_start: int, expires_at: int, limit: int) -> bool: ...

    def give_back(self, code: str, scope: str, subject: str, window_start: int) -> None: ...


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

    def attempt_otp(self, code: str, email: str) -> Attempt:
        """One one-time code of an official (signing/otp.py); 429 once the window's wrong ones are used up."""
        return self.attempt(code, self._otp_limits(email))

    def _otp_limits(self, email: str) -> list[Limit]:
        return [Limit("otp-official", source_subject(email.lower()), self.limits.per_official_otp)]

    def receipt_code_limits(self, source: str | None) -> list[Limit]:
        """Wrong folio/verification-code pairs from one source address."""
        return [Limit("receipt-code-source", source_subject(source), self.limits.per_source)]

    def _window(self) -> tuple[int, int]:
        now = int(self._now())
        start = now - now % self._window_s
        return start, start + self._window_s

    def attempt(self, code: str, limits: Sequence[Limit]) -> Attempt:
        """Take one attempt from each of `limits` before the guess is judged; 429 (nothing taken)
        when any of them is used up in the current window. The caller gives it back with
        `Attempt.succeeded` when the guess was right; otherwise it stays counted as a failure."""
        start, end = self._window()
        taken: list[Limit] = []
        for limit in limits:
            if not self._counters.take(code, limit.scope, limit.subject, start, end + self._window_s, limit.failures):
                for done in taken:
                    self._counters.give_back(code, done.scope, done.subject, start)
                raise RateLimited(MESSAGE, code="too_many_attempts", retry_after=max(1, end - int(self._now())))
            taken.append(limit)
        return Attempt(self._counters, code, tuple(taken), start)


@dataclass
class Attempt:
    """Slots taken by one attempt in one window; counted as a failure unless given back."""

    _counters: Counters
    code: str
    limits: tuple[Limit, ...]
    window_start: int
    _settled: bool = False

    def succeeded(self) -> None:
        """The guess was right: it is not a failure, give its slots back (once)."""
        if self._settled:
            return
        self._settled = True
        for limit in self.limits:
            self._counters.give_back(self.code, limit.scope, limit.subject, self.window_start)
