"""The settlement file format, matching, versions in force and the consolidation, as pure rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain.reconciliation import (
    Cell,
    DiscrepancyKind,
    InvalidSettlement,
    PlatformPayment,
    SettlementLine,
    consolidate,
    current_version,
    format_settlement,
    parse_key,
    parse_settlement,
    reconcile,
)
from chalicelib.services.reports import change_percent, same_date_previous_year

DAY = "2027-03-20"
AT = "2027-03-20T10:05:00-03:00"


def payment(n: int, amount: int = 10_000) -> PlatformPayment:
    return PlatformPayment(f"13101-P{n}", f"TGR-{n}", amount, "credito", AT)


def line(n: int, amount: int = 10_000) -> SettlementLine:
    return SettlementLine(f"TGR-{n}", f"13101-P{n}", amount, "credito", "123456", AT)


def test_a_file_round_trips_and_checks_its_totals():
    raw = format_settlement("13101", DAY, "2027-03-21T06:00:00-03:00", [line(1), line(2, 34_876)])
    assert raw.decode().splitlines()[0] == "RENDICION;13101;2027-03-20;2027-03-21T06:00:00-03:00;2;44876"
    parsed = parse_settlement(b"\xef\xbb\xbf" + raw)  # a BOM is tolerated
    assert (parsed.municipality, parsed.day, parsed.total) == ("13101", DAY, 44_876)
    assert parsed.lines[1] == line(2, 34_876)


@pytest.mark.parametrize(("text", "message"), [
    ("RENDICION;13101;2027-03-20;2027-03-21T06:00:00-03:00;1;500\norden;pago;monto;medio;autorizacion;pagado_en\n"
     "TGR-1;13101-P1;400;credito;1;2027-03-20T10:00:00-03:00\n", "total"),
    ("RENDICION;13101;2027-03-20;2027-03-21T06:00:00-03:00;2;400\norden;pago;monto;medio;autorizacion;pagado_en\n"
     "TGR-1;13101-P1;400;credito;1;2027-03-20T10:00:00-03:00\n", "líneas"),
    ("RENDICION;13101;2027-03-20;2027-03-21T06:00:00;0;0\norden;pago;monto;medio;autorizacion;pagado_en\n", "huso"),
    ("RENDICION;13101;2027-03-20;2027-03-21T06:00:00-03:00;1;400\norden;pago;monto;medio;autorizacion;pagado_en\n"
     "TGR-1;13101-P1;4.000;credito;1;2027-03-20T10:00:00-03:00\n", "Línea 3"),
    ("hola", "encabezado"),
])
def test_a_malformed_file_is_refused_saying_where(text, message):
    with pytest.raises(InvalidSettlement, match=message):
        parse_settlement(text.encode())


def test_keys_outside_the_settlements_prefix_are_not_settlements():
    ref = parse_key("13101/settlements/2027-03-20/rendicion.csv")
    assert ref is not None
    assert ref.municipality == "13101"
    for key in ("13101/settlement-archive/2027-03-20/abc", "13101/settlements/2027-02-30/a.csv",
                "13101/rolls/2027-03-20/a.csv", "1310/settlements/2027-03-20/a.csv"):
        assert parse_key(key) is None


def test_each_kind_of_difference_is_named_once():
    payments = [payment(1), payment(2), payment(3, 20_000), payment(4)]
    lines = [line(1), line(3, 19_900), line(4), line(4), line(9)]
    result = reconcile(payments, lines)
    kinds = sorted((d.kind.value, d.payment_id) for d in result.discrepancies)
    assert kinds == [("amount_mismatch", "13101-P3"), ("duplicate_in_settlement", "13101-P4"),
                     ("missing_in_settlement", "13101-P2"), ("not_in_platform", "13101-P9")]
    assert [p.payment_id for p, _ in result.matched] == ["13101-P1", "13101-P4"]
    mismatch = next(d for d in result.discrepancies if d.kind is DiscrepancyKind.AMOUNT_MISMATCH)
    assert "$20.000" in mismatch.detail
    assert "$19.900" in mismatch.detail
    assert "-$100" in mismatch.detail
    # ids are stable from one run to the next
    assert {d.id for d in reconcile(payments, lines).discrepancies} == {d.id for d in result.discrepancies}


def test_a_line_is_matched_by_order_when_the_reference_differs():
    other = SettlementLine("TGR-1", "REF-DESCONOCIDA", 10_000, "debito", "1", AT)
    assert len(reconcile([payment(1)], [other]).matched) == 1


def test_the_version_in_force_is_the_last_generated_not_the_last_arrived():
    files = [{"status": "ingested", "version": 1, "generated_at": "2027-03-21T06:00:00-03:00"},
             {"status": "ingested", "version": 2, "generated_at": "2027-03-22T06:00:00-03:00"},
             {"status": "ingested", "version": 3, "generated_at": "2027-03-21T05:00:00-03:00"},
             {"status": "rejected", "version": 4, "generated_at": "2027-03-23T06:00:00-03:00"}]
    current = current_version(files)
    assert current is not None
    assert current["version"] == 2
    assert current_version([]) is None


def test_consolidation_computes_the_fcm_share_of_permits_once():
    cells = [Cell("permisos", "credito", 100_001, 2, 2), Cell("permisos", "debito", 34_876, 1, 1),
             Cell("aseo", "debito", 21_480, 1, 1)]
    result = consolidate(cells, Decimal("0.625")).as_dict()
    distribution = result["distribution"]
    assert distribution["permits_amount"] == 134_877
    assert distribution["fcm"] == 84_298  # 84.298,125 → half up
    assert distribution["municipal_permits"] == 134_877 - 84_298
    assert distribution["municipal_total"] == 156_357 - 84_298
    assert result["totals"] == {"amount": 156_357, "payments": 4, "items": 4, "average_ticket": 39_089}
    assert [m["method"] for m in result["by_method"]] == ["credito", "debito"]


def test_year_over_year_figures():
    assert change_percent(238_185, 172_486) == 38
    assert change_percent(25_688_029_028, 19_050_000_000) == 35
    assert change_percent(5, 0) is None
    assert same_date_previous_year(date(2028, 2, 29)) == date(2027, 2, 28)
