"""What a failed AWS call means to the rest of the platform: one translator for every adapter.

botocore raises `BotoCoreError` when no answer came (a timeout, a refused connection) and
`ClientError` when the service answered with an error code. The platform knows one error for a
dependency that failed, `DependencyUnavailable`; whether it is worth retrying is decided here,
once, from one set of codes (throttling and the services' own trouble) plus the rule that a 5xx
answer is the service's fault. Each adapter keeps only what is its own: the codes that mean
something else to it (a missing object, a failed condition, an account that exists) and the words
a citizen or an official reads.
"""

from __future__ import annotations

from typing import Any, Final, overload

from chalicelib.domain.errors import DependencyUnavailable

RETRYABLE_CODES: Final = frozenset({
    # throttled: the same call passes a moment later
    "Throttling", "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "TooManyRequestsException", "LimitExceededException", "SlowDown",
    # the service's own trouble
    "InternalError", "InternalFailure", "InternalServerError", "KMSInternalException", "ServiceUnavailable",
    "DependencyTimeoutException", "KeyUnavailableException", "RequestTimeout", "RequestTimeoutException",
    # a DynamoDB transaction met another one on the same item: retrying it is what AWS advises
    "TransactionConflictException",
})
"""The error codes of DynamoDB, S3, SES, SQS, KMS, STS and Cognito that a retry can cure."""


def error_code(exc: Any) -> str:
    """The service's error code of a `ClientError` (``""`` for anything else)."""
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Code", ""))


def error_detail(exc: Any) -> str:
    """The service's error message of a `ClientError` (``""`` for anything else)."""
    return str((getattr(exc, "response", None) or {}).get("Error", {}).get("Message", ""))


def is_retryable(exc: Any) -> bool:
    """Whether a failed call may pass when retried: no answer at all (`BotoCoreError`), a code of
    `RETRYABLE_CODES`, or any code answered with a 5xx (the service's fault, not a bug of ours)."""
    from botocore.exceptions import BotoCoreError

    if isinstance(exc, BotoCoreError):
        return True
    status = int((getattr(exc, "response", None) or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return error_code(exc) in RETRYABLE_CODES or status >= 500


@overload
def translated(exc: Any, *, message: str, code: str, refused: tuple[str, str]) -> DependencyUnavailable: ...


@overload
def translated(exc: Any, *, message: str, code: str, refused: None = None) -> DependencyUnavailable | None: ...


def translated(exc: Any, *, message: str, code: str, refused: tuple[str, str] | None = None
               ) -> DependencyUnavailable | None:
    """The `DependencyUnavailable` an adapter raises for the failed call `exc`:

    - retryable (`is_retryable`): `message`/`code`, retried;
    - otherwise, with `refused` = (message template, code): a permanent refusal (not retried); the
      template may name the service's ``{code}`` and ``{detail}``;
    - otherwise None: not a dependency's failure but a bad request of ours (a malformed call, a
      missing permission); the caller re-raises `exc` as it is, so it surfaces as the bug it is.
    """
    if is_retryable(exc):
        return DependencyUnavailable(message, code=code)
    if refused is not None:
        template, refused_code = refused
        text = template.format(code=error_code(exc), detail=error_detail(exc))[:300]
        return DependencyUnavailable(text, code=refused_code, retryable=False)
    return None
