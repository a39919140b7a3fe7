"""A plate's permit state and validity from the halves paid (domain/verification.py)."""

from datetime import date

import pytest

from chalicelib.domain.verification import PermitStatus, installment_valid_until, permit_status, permit_valid_until


@pytest.mark.parametrize(("halves", "expected"), [
    ({"1": "paid", "2": "paid"}, PermitStatus.PAID),
    ({"1": "paid"}, PermitStatus.PARTIALLY_PAID),
    ({"1": "paid", "2": "pending"}, PermitStatus.PARTIALLY_PAID),
    ({}, PermitStatus.NOT_PAID),
    ({"1": "pending", "2": "released"}, PermitStatus.NOT_PAID),
    ({"1": "annulled", "2": "annulled"}, PermitStatus.ANNULLED),
    ({"1": "paid", "2": "annulled"}, PermitStatus.PARTIALLY_PAID),
])
def test_permit_status(halves, expected):
    assert permit_status(halves) is expected


def test_validity_follows_the_halves_paid():
    assert permit_valid_until(2027, ["1", "2"]) == date(2028, 3, 31)
    assert permit_valid_until(2027, ["1"]) == date(2027, 8, 31)
    assert permit_valid_until(2027, ["2"]) is None
    assert permit_valid_until(2027, []) is None
    assert installment_valid_until(2027, "full") == installment_valid_until(2027, "second") == date(2028, 3, 31)
    assert installment_valid_until(2027, "first") == date(2027, 8, 31)
    assert installment_valid_until(2027, "other") is None
