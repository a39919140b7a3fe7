"""The circuit breaker: opens after N consecutive failures, fails fast, half-opens after a cool-down."""

from __future__ import annotations

import threading

import pytest

from chalicelib.adapters.circuit_breaker import BreakerState, CircuitBreaker, CircuitOpen
from chalicelib.domain.errors import DependencyUnavailable
from tests.support.clocks import EpochClock


@pytest.fixture
def clock():
    return EpochClock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker("aach", failure_threshold=3, reset_after_s=30, clock=clock)


def state(breaker):
    """The state, read through an untyped helper so mypy does not narrow it between reads."""
    return breaker.state


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.before_call()
        breaker.record_failure()


def test_a_closed_breaker_lets_calls_through(breaker):
    breaker.before_call()
    breaker.record_success()
    assert state(breaker) is BreakerState.CLOSED


def test_it_opens_after_the_threshold_of_consecutive_failures(breaker):
    fail(breaker, 2)
    assert state(breaker) is BreakerState.CLOSED
    fail(breaker, 1)
    assert state(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpen) as caught:
        breaker.before_call()
    assert isinstance(caught.value, DependencyUnavailable)
    assert caught.value.code == "circuit_open"
    assert caught.value.retry_after == 30
    assert "intente nuevamente" in caught.value.message


def test_a_success_resets_the_count_of_consecutive_failures(breaker):
    fail(breaker, 2)
    breaker.before_call()
    breaker.record_success()
    fail(breaker, 2)
    assert state(breaker) is BreakerState.CLOSED


def test_retry_after_counts_down_while_open(breaker, clock):
    fail(breaker, 3)
    clock.advance(20.5)
    with pytest.raises(CircuitOpen) as caught:
        breaker.before_call()
    assert caught.value.retry_after == 10


def test_after_the_cool_down_one_trial_call_goes_through(breaker, clock):
    fail(breaker, 3)
    clock.advance(30)
    assert state(breaker) is BreakerState.HALF_OPEN
    breaker.before_call()  # the trial
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # others keep failing fast while the trial runs
    breaker.record_success()
    assert state(breaker) is BreakerState.CLOSED
    breaker.before_call()


def test_a_failed_trial_opens_the_circuit_for_another_cool_down(breaker, clock):
    fail(breaker, 3)
    clock.advance(31)
    breaker.before_call()
    breaker.record_failure()
    assert state(breaker) is BreakerState.OPEN
    clock.advance(29)
    with pytest.raises(CircuitOpen):
        breaker.before_call()
    clock.advance(1)
    breaker.before_call()


def test_release_frees_the_trial_without_changing_the_state(breaker, clock):
    fail(breaker, 3)
    clock.advance(30)
    breaker.before_call()
    breaker.release()
    assert state(breaker) is BreakerState.HALF_OPEN
    breaker.before_call()  # a new trial may go


def test_call_counts_only_the_failures_it_is_told_to(breaker):
    def boom():
        raise KeyError("caller's own mistake")

    for _ in range(5):
        with pytest.raises(KeyError):
            breaker.call(boom, is_failure=lambda exc: not isinstance(exc, KeyError))
    assert state(breaker) is BreakerState.CLOSED
    for _ in range(3):
        with pytest.raises(KeyError):
            breaker.call(boom)
    assert state(breaker) is BreakerState.OPEN
    with pytest.raises(CircuitOpen):
        breaker.call(lambda: "never called")


def test_call_returns_the_value_and_closes(breaker):
    assert breaker.call(lambda: 42) == 42
    assert state(breaker) is BreakerState.CLOSED


def test_it_is_thread_safe(clock):
    breaker = CircuitBreaker("mtt", failure_threshold=1000, reset_after_s=5, clock=clock)
    barrier = threading.Barrier(8)

    def hammer():
        barrier.wait()
        for _ in range(125):
            breaker.record_failure()

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state(breaker) is BreakerState.OPEN  # exactly 1000 failures counted

    clock.advance(5)
    allowed = []

    def try_call():
        try:
            breaker.before_call()
            allowed.append(1)
        except CircuitOpen:
            pass

    threads = [threading.Thread(target=try_call) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 1  # one trial only in half-open


@pytest.mark.parametrize(("threshold", "reset"), [(0, 30), (3, 0)])
def test_it_refuses_nonsense_settings(threshold, reset):
    with pytest.raises(ValueError, match="must be"):
        CircuitBreaker("x", failure_threshold=threshold, reset_after_s=reset)
