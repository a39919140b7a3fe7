"""Which addresses a municipality may send from (issue 15.4): chalicelib/domain/senders.py."""

from __future__ import annotations

import pytest

from chalicelib.domain.senders import sender_allowed

IDENTITIES = ["no-responder@munistgo.cl", "valpo.cl"]


@pytest.mark.parametrize("address", ["no-responder@munistgo.cl", "No-Responder@MuniStgo.cl ",
                                     "alcalde@valpo.cl", "x@VALPO.CL"])
def test_an_address_under_a_verified_identity_is_allowed(address):
    assert sender_allowed(address, IDENTITIES)


@pytest.mark.parametrize("address", ["alcalde@munistgo.cl", "no-responder@munistgo.cl.evil.example",
                                     "x@sub.valpo.cl", "x@evilvalpo.cl", "valpo.cl", "@valpo.cl", "",
                                     "no-responder@sem.gob.cl"])
def test_any_other_address_is_refused(address):
    assert not sender_allowed(address, IDENTITIES)


def test_no_identity_allows_nothing():
    assert not sender_allowed("no-responder@munistgo.cl", [])
    assert not sender_allowed("no-responder@munistgo.cl", [""])
