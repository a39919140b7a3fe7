"""A small thread-safe circuit breaker, so a dead dependency fails fast instead of hanging requests.

States:

- ``closed``: calls go through; ``failure_threshold`` consecutive failures open the circuit.
- ``open``: calls fail at once with :class:`CircuitOpen` (a retryable ``DependencyUnavailable``
  whose ``retry_after`` is the time left) until ``reset_after_s`` has passed.
- ``half_open``: after the cool-down, one trial call goes through (the others keep failing fast);
  its success closes the circuit, its failure opens it for another cool-down.

The caller says what a failure is: it calls :meth:`CircuitBreaker.before_call`, then
:meth:`record_success` or :meth:`record_failure` (or uses :meth:`call`). The state lives in the
process (one Lambda container), which is what a breaker needs: it protects this process's requests.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from chalicelib.domain.errors import DependencyUnavailable

T = TypeVar("T")


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(DependencyUnavailable):
    """Refused without calling: the dependency failed repeatedly and is cooling down."""

    default_code = "circuit_open"


class CircuitBreaker:
    """Counts consecutive failures of one dependency and short-circuits calls while it is down."""

    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        reset_after_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        message: str = "El servicio no está disponible; intente nuevamente en unos minutos.",
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        if reset_after_s <= 0:
            raise ValueError("reset_after_s must be positive")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._message = message
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        """The state now (an open circuit whose cool-down is over reads as half-open)."""
        with self._lock:
            if self._state is BreakerState.OPEN and self._cooled_down():
                return BreakerState.HALF_OPEN
            return self._state

    def before_call(self) -> None:
        """Let a call through, or raise :class:`CircuitOpen` at once."""
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return
            if self._state is BreakerState.OPEN and self._cooled_down():
                self._state = BreakerState.HALF_OPEN
                self._trial_in_flight = False
            if self._state is BreakerState.HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return
            raise CircuitOpen(self._message, retry_after=self._retry_after())

    def record_success(self) -> None:
        """The call worked: close the circuit and forget past failures."""
        with self._lock:
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._trial_in_flight = False

    def record_failure(self) -> None:
        """The call failed because of the dependency: count it, and open when due."""
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
                self._state = BreakerState.OPEN
                self._opened_at = self._clock()
                self._trial_in_flight = False

    def release(self) -> None:
        """The call ended without saying anything about the dependency's health (e.g. the caller's
        own bad request): free the half-open trial slot without changing the state."""
        with self._lock:
            self._trial_in_flight = False

    def call(self, fn: Callable[[], T], *, is_failure: Callable[[BaseException], bool] = lambda _: True) -> T:
        """Run ``fn`` through the breaker; exceptions for which ``is_failure`` is true count."""
        self.before_call()
        try:
            result = fn()
        except BaseException as exc:
            if is_failure(exc):
                self.record_failure()
            else:
                self.release()
            raise
        self.record_success()
        return result

    def _cooled_down(self) -> bool:
        return self._clock() - self._opened_at >= self.reset_after_s

    def _retry_after(self) -> int:
        left = self.reset_after_s - (self._clock() - self._opened_at)
        return max(1, math.ceil(left))
