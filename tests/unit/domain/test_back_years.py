"""Owed earlier permits from the national record (chalicelib/domain/back_years.py)."""

from __future__ import annotations

from chalicelib.domain.back_years import LOOKBACK_YEARS, owed_years, window, years_text


def test_the_years_after_the_latest_recorded_payment_are_owed() -> None:
    assert owed_years(2027, [2024], first_registration_year=2019) == (2025, 2026)
    assert owed_years(2027, [2022, 2025], first_registration_year=None) == (2026,)


def test_paid_last_year_or_no_record_in_the_window_owes_nothing() -> None:
    assert owed_years(2027, [2026, 2024], first_registration_year=2019) == ()
    # no record: the platform cannot tell (paid elsewhere, before the platform, or a new car)
    assert owed_years(2027, [], first_registration_year=2010) == ()
    assert owed_years(2027, [2027 - LOOKBACK_YEARS - 1], first_registration_year=2010) == ()


def test_never_a_year_before_the_first_registration() -> None:
    assert owed_years(2027, [2022], first_registration_year=2025) == (2025, 2026)


def test_the_window_is_bounded_and_newest_first() -> None:
    assert list(window(2027)) == [2026, 2025, 2024, 2023, 2022]
    assert years_text([2026]) == "2026"
    assert years_text([2024, 2025, 2026]) == "2024, 2025 y 2026"
