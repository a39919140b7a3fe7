"""The second-factor gate of the officials who authorize payments (services/auth.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import DependencyUnavailable, Forbidden
from chalicelib.services.auth import Official, SecondFactor, require_second_factor


class Accounts:
    """A user pool's answers, counted."""

    def __init__(self, mfa: str = "SOFTWARE_TOKEN_MFA") -> None:
        self.mfa = mfa
        self.calls = 0
        self.down = False

    def attributes(self, email: str) -> dict[str, str] | None:
        self.calls += 1
        if self.down:
            raise DependencyUnavailable("no", code="identity_unavailable")
        return None if email == "nobody@x.cl" else {"MFA": self.mfa}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def official(profile: str) -> Official:
    return Official(email="o@muni.cl", municipality="13101", profile=profile, name="O")


def test_an_enrolled_account_is_remembered_for_the_ttl_then_asked_again() -> None:
    accounts, clock = Accounts(), Clock()
    gate = SecondFactor(accounts, ttl_s=60, clock=clock)
    assert gate.enrolled("o@muni.cl")
    assert gate.enrolled("o@muni.cl")
    assert accounts.calls == 1
    clock.now += 61
    accounts.mfa = ""  # reset by an administrator meanwhile
    assert not gate.enrolled("o@muni.cl")
    assert accounts.calls == 2


def test_a_missing_factor_is_never_remembered_and_fresh_skips_the_memory() -> None:
    accounts = Accounts(mfa="")
    gate = SecondFactor(accounts, clock=Clock())
    assert not gate.enrolled("o@muni.cl")
    accounts.mfa = "SMS_MFA,SOFTWARE_TOKEN_MFA"
    assert gate.enrolled("o@muni.cl")  # enrolled a moment ago: counts at once
    accounts.mfa = ""
    assert gate.enrolled("o@muni.cl")
    assert not gate.enrolled("o@muni.cl", fresh=True)
    assert not gate.enrolled("nobody@x.cl")
    assert not SecondFactor(Accounts(mfa="SMS_MFA")).enrolled("o@muni.cl")


@pytest.mark.parametrize("profile", ["alcalde", "director_finanzas", "tesorero", "tesorero_subrogante"])
def test_profiles_that_authorize_payments_need_the_factor(profile: str) -> None:
    with pytest.raises(Forbidden) as refused:
        require_second_factor(official(profile), SecondFactor(Accounts(mfa="")))
    assert refused.value.code == "second_factor_required"
    require_second_factor(official(profile), SecondFactor(Accounts()))


@pytest.mark.parametrize("profile", ["operador_rentas", "administrador_municipal", "soporte"])
def test_other_profiles_are_not_asked_and_the_pool_is_not_called(profile: str) -> None:
    accounts = Accounts(mfa="")
    require_second_factor(official(profile), SecondFactor(accounts))
    assert accounts.calls == 0


def test_a_pool_that_does_not_answer_fails_closed() -> None:
    accounts = Accounts()
    accounts.down = True
    with pytest.raises(DependencyUnavailable):
        require_second_factor(official("tesorero"), SecondFactor(accounts))
