"""The one error hierarchy of the platform.

Every error a caller can cause, or a dependency can raise, is one of these. Each carries a
stable machine code (English, snake_case), a message a person can act on (Spanish, es-CL: it is
shown to citizens and officials), and, where it applies, the offending field. The HTTP status is
not known here: the API layer maps each class to a status in one place
(`chalicelib/api/errors.py`).
"""

from __future__ import annotations

from collections.abc import Sequence


class SemError(Exception):
    """Base of every expected error. Never raised directly."""

    default_code = "error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, field={self.field!r})"


class InvalidInput(SemError):
    """The input is malformed: wrong type, bad RUT, bad plate, out-of-range number (HTTP 400)."""

    default_code = "invalid_input"


class Unauthenticated(SemError):
    """No credentials, or credentials that do not verify (HTTP 401)."""

    default_code = "unauthenticated"


class Forbidden(SemError):
    """Authenticated, but not allowed: another municipality, a profile without the permission,
    a municipality without an agreement in force, a service not enabled (HTTP 403)."""

    default_code = "forbidden"


class NotFound(SemError):
    """The thing asked for does not exist, or is not visible to the caller (HTTP 404)."""

    default_code = "not_found"


class Conflict(SemError):
    """The request clashes with the current state: an idempotency key reused with another body,
    an item already paid or held, a state transition that no longer applies (HTTP 409)."""

    default_code = "conflict"


class ConditionFailed(SemError):
    """A conditional write found the item in another state (the caller decides what that means;
    HTTP 409 when nobody does). Raised by the storage adapters, caught by the services."""

    default_code = "condition_failed"

    def __init__(self, message: str = "condition failed", *, reasons: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reasons = list(reasons)


class RuleRefused(SemError):
    """Valid input that the rules refuse: a failed prerequisite, a year with no UTM loaded,
    a second installment without the first (HTTP 422)."""

    default_code = "rule_refused"


class RateLimited(SemError):
    """Too many attempts (HTTP 429)."""

    default_code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int = 60, code: str | None = None,
                 field: str | None = None) -> None:
        super().__init__(message, code=code, field=field)
        self.retry_after = retry_after


class DependencyUnavailable(SemError):
    """A dependency (database, queue, external service) is down or too slow; retry later
    (HTTP 503 with Retry-After)."""

    default_code = "dependency_unavailable"

    def __init__(self, message: str, *, retry_after: int = 30, code: str | None = None,
                 field: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, code=code, field=field)
        self.retry_after = retry_after
        self.retryable = retryable
