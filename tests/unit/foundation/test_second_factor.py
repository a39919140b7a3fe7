"""The second-factor gate of the officials who authorize payments, and sessions that follow
the enrolment (services/auth.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import DependencyUnavailable, Forbidden, Unauthenticated
from chalicelib.services.auth import Official, SecondFactor, Sessions, require_second_factor
from tests.support.clocks import EpochClock

SUB = "0b7e3f0c-6a51-4d7e-9a39-3c1f2b4d5e6f"


class Accounts:
    """A user pool's answers, counted."""

    def __init__(self, mfa: str = "SOFTWARE_TOKEN_MFA") -> None:
        self.mfa = mfa
        self.calls = 0
        self.down = False

    def attributes(self, account: str) -> dict[str, str] | None:
        self.calls += 1
        if self.down:
            raise DependencyUnavailable("no", code="identity_unavailable")
        return None if account == "nobody" else {"MFA": self.mfa}


class Ledger:
    """The officials' records and the user pool's sign-outs, written down."""

    def __init__(self) -> None:
        self.ended: list[tuple[str, str, int, str | None]] = []
        self.noted = False
        self.forgotten: list[str] = []
        self.signed_out: list[str] = []

    def end_sessions(self, municipality: str, email: str, *, after: int, totp_enrolled_at: str | None = None) -> bool:
        if totp_enrolled_at is not None and self.noted:
            return False
        self.noted = self.noted or totp_enrolled_at is not None
        self.ended.append((municipality, email, after, totp_enrolled_at))
        return True

    def forget_totp(self, municipality: str, email: str) -> None:
        self.noted = False
        self.forgotten.append(email)

    def sign_out_everywhere(self, account: str) -> None:
        self.signed_out.append(account)


def sessions(ledger: Ledger | None = None) -> Sessions:
    ledger = ledger or Ledger()
    return Sessions(ledger, ledger, clock=lambda: 1_800_000_000.4)


def official(profile: str, *, noted: bool = True) -> Official:
    return Official(email="o@muni.cl", municipality="13101", profile=profile, name="O", sub=SUB, totp_noted=noted)


def test_an_enrolled_account_is_remembered_for_the_ttl_then_asked_again() -> None:
    accounts, clock = Accounts(), EpochClock()
    gate = SecondFactor(accounts, ttl_s=60, clock=clock)
    assert gate.enrolled(SUB)
    assert gate.enrolled(SUB)
    assert accounts.calls == 1
    clock.now += 61
    accounts.mfa = ""  # reset by an administrator meanwhile
    assert not gate.enrolled(SUB)
    assert accounts.calls == 2


def test_a_missing_factor_is_never_remembered_and_fresh_skips_the_memory() -> None:
    accounts = Accounts(mfa="")
    gate = SecondFactor(accounts, clock=EpochClock())
    assert not gate.enrolled(SUB)
    accounts.mfa = "SMS_MFA,SOFTWARE_TOKEN_MFA"
    assert gate.enrolled(SUB)  # enrolled a moment ago: counts at once
    accounts.mfa = ""
    assert gate.enrolled(SUB)
    assert not gate.enrolled(SUB, fresh=True)
    assert not gate.enrolled("nobody")
    assert not SecondFactor(Accounts(mfa="SMS_MFA")).enrolled(SUB)


@pytest.mark.parametrize("profile", ["alcalde", "director_finanzas", "tesorero", "tesorero_subrogante"])
def test_profiles_that_authorize_payments_need_the_factor(profile: str) -> None:
    with pytest.raises(Forbidden) as refused:
        require_second_factor(official(profile), SecondFactor(Accounts(mfa="")), sessions())
    assert refused.value.code == "second_factor_required"
    require_second_factor(official(profile), SecondFactor(Accounts()), sessions())


@pytest.mark.parametrize("profile", ["operador_rentas", "administrador_municipal", "soporte"])
def test_other_profiles_are_not_asked_and_the_pool_is_not_called(profile: str) -> None:
    accounts = Accounts(mfa="")
    require_second_factor(official(profile), SecondFactor(accounts), sessions())
    assert accounts.calls == 0


def test_a_pool_that_does_not_answer_fails_closed() -> None:
    accounts = Accounts()
    accounts.down = True
    with pytest.raises(DependencyUnavailable):
        require_second_factor(official("tesorero"), SecondFactor(accounts), sessions())


def test_the_first_request_after_an_enrolment_ends_every_session_once() -> None:
    ledger = Ledger()
    gate = SecondFactor(Accounts())
    with pytest.raises(Unauthenticated) as ended:
        require_second_factor(official("tesorero", noted=False), gate, sessions(ledger))
    assert ended.value.code == "session_ended"
    # The record refuses every token begun up to this second; Cognito revokes the refresh tokens.
    assert ledger.ended == [("13101", "o@muni.cl", 1_800_000_001, "2027-01-15T08:00:00Z")]
    assert ledger.signed_out == [SUB]
    with pytest.raises(Unauthenticated):  # a concurrent request with an old token: refused, no second sign-out
        require_second_factor(official("tesorero", noted=False), gate, sessions(ledger))
    assert ledger.signed_out == [SUB]
    require_second_factor(official("tesorero", noted=True), gate, sessions(ledger))  # a session begun after it


def test_a_removed_app_is_forgotten_so_the_next_enrolment_ends_the_sessions_again() -> None:
    ledger = Ledger()
    ledger.noted = True
    with pytest.raises(Forbidden):
        require_second_factor(official("tesorero", noted=True), SecondFactor(Accounts(mfa="")), sessions(ledger))
    assert ledger.forgotten == ["o@muni.cl"]
    with pytest.raises(Unauthenticated):
        require_second_factor(official("tesorero", noted=False), SecondFactor(Accounts()), sessions(ledger))
    assert ledger.signed_out == [SUB]
