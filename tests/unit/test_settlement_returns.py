"""Refund and reversal lines of TGR's settlement file (docs/settlement.md, "Refunds and
reversals"): parsed, refused when malformed, and matched with the platform's closed returns."""

from __future__ import annotations

import pytest

from chalicelib.domain.reconciliation import (
    DiscrepancyKind,
    InvalidSettlement,
    PlatformPayment,
    SettlementLine,
    format_settlement,
    parse_settlement,
    reconcile,
)

AT = "2027-03-20T10:00:00-03:00"
PAID = PlatformPayment("13101-P1", "TGR-1", 10_000, "credito", AT)
REFUND = PlatformPayment("13101-P1", "RF-01", -4_000, "devolucion", AT)
REVERSAL = PlatformPayment("13101-P2", "CC-9", -7_000, "contracargo", AT)


def lines(*extra: SettlementLine) -> list[SettlementLine]:
    return [SettlementLine("TGR-1", "13101-P1", 10_000, "credito", "123456", AT), *extra]


def test_return_lines_round_trip_with_a_net_total():
    body = format_settlement("13101", "2027-03-20", AT, lines(
        SettlementLine("TGRR-1", "13101-P1", -4_000, "devolucion", "RF-01", AT),
        SettlementLine("TGR-2", "13101-P2", -7_000, "contracargo", "CC-9", AT)))
    parsed = parse_settlement(body)
    assert parsed.total == -1_000
    assert [line.amount for line in parsed.lines] == [10_000, -4_000, -7_000]


@pytest.mark.parametrize("bad", [
    SettlementLine("TGRR-1", "13101-P1", 4_000, "devolucion", "RF-01", AT),  # a return is negative
    SettlementLine("TGRR-1", "13101-P1", -4_000, "devolucion", "", AT),  # and names its reference
    SettlementLine("TGR-3", "13101-P3", -5, "credito", "1", AT),  # a collection is never negative
])
def test_malformed_return_lines_are_refused(bad):
    with pytest.raises(InvalidSettlement):
        parse_settlement(format_settlement("13101", "2027-03-20", AT, lines(bad)))


def test_returns_match_by_reference_and_every_difference_is_named():
    refund_line = SettlementLine("TGRR-1", "13101-P1", -4_000, "devolucion", "RF-01", AT)
    matching = reconcile([PAID], lines(refund_line), [REFUND])
    assert matching.discrepancies == ()
    assert matching.platform_total == matching.settlement_total == 6_000

    missing = reconcile([PAID], lines(), [REFUND, REVERSAL])
    assert sorted((d.kind, d.order_id) for d in missing.discrepancies) == [
        (DiscrepancyKind.MISSING_IN_SETTLEMENT, "CC-9"), (DiscrepancyKind.MISSING_IN_SETTLEMENT, "RF-01")]

    other = SettlementLine("TGRR-1", "13101-P1", -3_000, "devolucion", "RF-01", AT)
    [mismatch] = reconcile([PAID], lines(other), [REFUND]).discrepancies
    assert mismatch.kind is DiscrepancyKind.AMOUNT_MISMATCH

    unknown = SettlementLine("TGRR-7", "13101-P7", -1_000, "devolucion", "RF-77", AT)
    [extra] = reconcile([PAID], lines(unknown), []).discrepancies
    assert extra.kind is DiscrepancyKind.NOT_IN_PLATFORM

    twice = reconcile([PAID], lines(refund_line, refund_line), [REFUND]).discrepancies
    assert [d.kind for d in twice] == [DiscrepancyKind.DUPLICATE_IN_SETTLEMENT]
