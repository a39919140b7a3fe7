"""Which changes to an official take a second approval (four eyes): those that give an account
payment authority — a promotion to a profile that authorizes payments, or reactivating an account
that has one — and no other."""

from __future__ import annotations

import pytest

from chalicelib.services.official_approvals import kind_of_change, needs_approval
from chalicelib.services.permissions import MUNICIPAL_PROFILES, TOTP_PROFILES

OPERATOR = {"profile": "operador_rentas", "status": "active"}
TREASURER = {"profile": "tesorero", "status": "active"}


def test_the_profiles_that_need_approval_are_those_that_authorize_payments():
    assert {p for p in MUNICIPAL_PROFILES if needs_approval(p)} == set(TOTP_PROFILES)
    assert {"alcalde", "director_finanzas", "tesorero", "tesorero_subrogante"} == TOTP_PROFILES


@pytest.mark.parametrize(("record", "changes", "kind"), [
    (OPERATOR, {"profile": "tesorero"}, "promote"),
    (TREASURER, {"profile": "director_finanzas"}, "promote"),  # another payment-authorizing profile
    ({**OPERATOR, "status": "inactive"}, {"profile": "alcalde", "status": "active"}, "promote"),
    ({**TREASURER, "status": "inactive"}, {"status": "active"}, "reactivate"),
    ({**OPERATOR, "status": "inactive"}, {"status": "active"}, None),
    (TREASURER, {"status": "inactive"}, None),  # taking authority away needs no second approval
    (TREASURER, {"profile": "operador_rentas"}, None),
    (TREASURER, {"name": "Otro Nombre"}, None),
    (TREASURER, {"profile": "tesorero"}, None),
    (TREASURER, {"status": "active"}, None),
])
def test_only_changes_that_give_payment_authority_take_a_second_approval(record, changes, kind):
    assert kind_of_change(record, changes) == kind
