"""The prerequisite rules (pure), the checker's parallel, bounded run, and its in-memory fake."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.errors import DependencyUnavailable, InvalidInput, NotFound
from chalicelib.domain.permit_rules import VehicleClass
from chalicelib.domain.permits import Propulsion
from chalicelib.domain.prerequisites import (
    CheckName,
    CheckStatus,
    Fine,
    FinesRecord,
    InspectionControl,
    InspectionRecord,
    InspectionResult,
    InsurancePolicy,
    InsuranceRecord,
    PermitPeriod,
    PrerequisiteChecks,
    Unavailable,
    VehicleRecord,
    evaluate_prerequisites,
    needs_recheck,
    stale_checks,
)
from chalicelib.services.prerequisites import FakePrerequisiteChecker, PrerequisiteChecker, chile_today

AT = datetime(2027, 2, 15, 13, 0, tzinfo=UTC)
AS_OF = date(2027, 2, 15)
PERIOD = PermitPeriod.for_year(2027)
PLATE = "BBBB10"


def policy(valid_from: str, valid_to: str, insurer: str = "HDI Seguros S.A.", number: str = "P-1"):
    return InsurancePolicy(insurer, number, date.fromisoformat(valid_from), date.fromisoformat(valid_to))


def insurance(*policies: InsurancePolicy) -> InsuranceRecord:
    return InsuranceRecord(PLATE, "AACH-1", AT, tuple(policies))


def control(result: str = "aprobada", until: str | None = "2027-09-30", on: str = "2026-09-14"):
    return InspectionControl(InspectionResult(result), "PRT-1301", "PRT Santiago Centro", date.fromisoformat(on),
                             date.fromisoformat(until) if until else None)


def inspection(rt: InspectionControl | None = None, gases: InspectionControl | None = None, *, default=True):
    return InspectionRecord(PLATE, "PRT-1", AT, rt or (control() if default else None),
                            gases or (control() if default else None))


def fines(*amounts: int) -> FinesRecord:
    items = tuple(Fine(f"{i}-2026", f"Juzgado de Policía Local N° {i}", date(2026, 1, i), amount)
                  for i, amount in enumerate(amounts, start=1))
    return FinesRecord(PLATE, "RC-1", AT, items)


GOOD_INSURANCE = insurance(policy("2026-04-01", "2027-03-31", number="A"),
                           policy("2027-04-01", "2028-03-31", number="B"))


def evaluate(ins=GOOD_INSURANCE, insp=None, fin=None, *, as_of=AS_OF) -> PrerequisiteChecks:
    return evaluate_prerequisites(ins, insp or inspection(), fin or fines(), period=PERIOD, as_of=as_of)


# -- the period ------------------------------------------------------------------------------


def test_the_permit_period_runs_from_april_to_march_of_the_next_year():
    assert PermitPeriod(2027, date(2027, 4, 1), date(2028, 3, 31)) == PERIOD


@pytest.mark.parametrize(("vehicle_class", "start", "end"), [
    (VehicleClass.LIGHT, date(2027, 4, 1), date(2028, 3, 31)),
    (None, date(2027, 4, 1), date(2028, 3, 31)),
    (VehicleClass.TAXI, date(2027, 6, 1), date(2028, 5, 31)),
    (VehicleClass.BUS, date(2027, 6, 1), date(2028, 5, 31)),
    (VehicleClass.TRUCK, date(2027, 10, 1), date(2028, 9, 30)),
    (VehicleClass.MOPED, date(2027, 10, 1), date(2028, 9, 30)),
])
def test_the_soap_must_cover_the_period_of_the_class(vehicle_class, start, end):
    assert PermitPeriod.for_class(2027, vehicle_class) == PermitPeriod(2027, start, end)


def test_a_taxi_policy_ending_in_march_does_not_cover_its_permit_to_31_may():
    period = PermitPeriod.for_class(2027, VehicleClass.TAXI)
    checks = evaluate_prerequisites(insurance(policy("2027-04-01", "2028-03-31")), inspection(), fines(),
                                    period=period, as_of=date(2027, 5, 20))
    assert checks.insurance.code == "insurance_ends_within_period"
    assert "31-05-2028" in str(checks.insurance.reason)


# -- all ok ----------------------------------------------------------------------------------


def test_everything_in_force_is_payable_with_reasons_for_people():
    checks = evaluate()
    assert checks.payable
    assert checks.reasons == []
    assert [o.status for o in checks.outcomes] == [CheckStatus.OK] * 4
    assert checks.insurance.reason == "SOAP vigente hasta el 31-03-2028 (HDI Seguros S.A.)."
    assert checks.inspection.reason == ("Revisión técnica aprobada, vigente hasta el 30-09-2027 "
                                        "(planta PRT Santiago Centro).")
    assert checks.emissions.reason.startswith("Control de emisiones de gases aprobado, vigente hasta el 30-09-2027")
    assert checks.fines.reason == "Sin multas de tránsito impagas en el Registro Civil."


def test_detail_keeps_source_reference_and_time_and_is_json():
    checks = evaluate()
    body = json.loads(json.dumps(checks.to_json()))
    assert body["payable"] is True
    insurance_detail = body["checks"]["insurance"]["detail"]
    assert insurance_detail["source"] == "aach"
    assert insurance_detail["reference"] == "AACH-1"
    assert insurance_detail["checked_at"] == "2027-02-15T13:00:00+00:00"
    assert insurance_detail["covered_until"] == "2028-03-31"
    assert insurance_detail["required_from"] == "2027-04-01"
    assert body["checks"]["inspection"]["detail"]["control"]["valid_until"] == "2027-09-30"
    assert body["checks"]["fines"]["detail"] == {**body["checks"]["fines"]["detail"], "fines": [], "total": 0}


def test_recorded_checks_read_back_the_same():
    checks = evaluate(fin=fines(1000))
    again = PrerequisiteChecks.from_json(json.loads(json.dumps(checks.to_json())))
    assert again == checks


# -- insurance -------------------------------------------------------------------------------


def test_no_policy_at_all_fails():
    outcome = evaluate(insurance()).insurance
    assert outcome.status is CheckStatus.FAILED
    assert outcome.code == "insurance_not_found"
    assert outcome.reason.startswith("No se encontró un SOAP para esta patente")


def test_an_expired_policy_fails_saying_when_it_expired():
    outcome = evaluate(insurance(policy("2025-04-01", "2026-03-31"))).insurance
    assert outcome.code == "insurance_expired"
    assert outcome.reason == ("El SOAP venció el 31-03-2026; contrate un SOAP vigente para el período del "
                              "permiso (01-04-2027 al 31-03-2028).")


def test_a_policy_expiring_inside_the_period_fails():
    outcome = evaluate(insurance(policy("2027-03-16", "2028-03-15"))).insurance
    assert outcome.status is CheckStatus.FAILED
    assert outcome.code == "insurance_ends_within_period"
    assert outcome.reason == ("El SOAP vence el 15-03-2028, antes del fin del período del permiso "
                              "(31-03-2028).")


def test_a_policy_in_force_today_that_ends_before_the_period_fails():
    outcome = evaluate(insurance(policy("2026-04-01", "2027-03-31"))).insurance
    assert outcome.code == "insurance_ends_before_period"
    assert outcome.reason.startswith("El SOAP vence el 31-03-2027, antes del inicio del período del permiso")


def test_a_policy_starting_after_the_day_it_is_needed_fails():
    outcome = evaluate(insurance(policy("2027-05-01", "2028-04-30"))).insurance
    assert outcome.code == "insurance_not_yet_in_force"
    assert outcome.reason == "El SOAP rige desde el 01-05-2027; debe estar vigente desde el 01-04-2027."


def test_a_gap_between_policies_breaks_the_cover():
    outcome = evaluate(insurance(policy("2027-04-01", "2027-09-30", number="A"),
                                 policy("2027-10-02", "2028-03-31", number="B"))).insurance
    assert outcome.code == "insurance_ends_within_period"
    assert "vence el 30-09-2027" in outcome.reason


def test_paid_after_the_period_started_the_cover_is_needed_from_that_day():
    late = date(2027, 6, 10)
    ok = evaluate(insurance(policy("2027-06-01", "2028-05-31")), as_of=late).insurance
    assert ok.status is CheckStatus.OK
    assert ok.detail["required_from"] == "2027-06-10"
    gap = evaluate(insurance(policy("2027-06-11", "2028-06-10")), as_of=late).insurance
    assert gap.code == "insurance_not_yet_in_force"


# -- inspection and emissions --------------------------------------------------------------


def test_a_rejected_inspection_fails_with_date_and_plant():
    outcome = evaluate(insp=inspection(control("rechazada", None, on="2026-11-02"))).inspection
    assert outcome.status is CheckStatus.FAILED
    assert outcome.code == "inspection_rejected"
    assert outcome.reason == ("La revisión técnica fue rechazada el 02-11-2026 en la planta PRT Santiago Centro; "
                              "debe aprobarla antes de pagar el permiso.")


def test_an_expired_inspection_fails():
    outcome = evaluate(insp=inspection(control(until="2026-08-31"))).inspection
    assert outcome.code == "inspection_expired"
    assert outcome.reason == "La revisión técnica venció el 31-08-2026; debe renovarla antes de pagar el permiso."


def test_an_inspection_valid_through_today_is_ok():
    assert evaluate(insp=inspection(control(until="2027-02-15"))).inspection.ok


def test_expired_emissions_fail_in_their_own_words():
    checks = evaluate(insp=inspection(gases=control(until="2026-10-31")))
    assert checks.inspection.ok
    assert checks.emissions.code == "emissions_expired"
    assert checks.emissions.reason == ("El control de emisiones de gases venció el 31-10-2026; debe renovarlo "
                                       "antes de pagar el permiso.")


def test_rejected_emissions_fail():
    outcome = evaluate(insp=inspection(gases=control("rechazada", None))).emissions
    assert outcome.code == "emissions_rejected"
    assert "fue rechazado el 14-09-2026" in outcome.reason


def test_exempt_emissions_of_an_electric_car_are_ok():
    outcome = evaluate(insp=inspection(gases=control("exenta", "2027-08-31"))).emissions
    assert outcome.ok
    assert outcome.code == "emissions_exempt"
    assert outcome.reason.startswith("Vehículo exento de control de emisiones de gases hasta el 31-08-2027")


def test_no_inspection_on_record_fails_both():
    checks = evaluate(insp=inspection(default=False))
    assert checks.inspection.code == "inspection_not_found"
    assert checks.emissions.code == "emissions_not_found"
    assert "Ministerio de Transportes" in checks.inspection.reason


def test_an_approved_control_must_say_until_when():
    with pytest.raises(ValueError, match="valid"):
        control("aprobada", None)
    with pytest.raises(ValueError, match="ends before"):
        policy("2027-04-01", "2027-03-31")


# -- fines -----------------------------------------------------------------------------------


def test_one_unpaid_fine_fails():
    outcome = evaluate(fin=fines(86_800)).fines
    assert outcome.status is CheckStatus.FAILED
    assert outcome.code == "fines_unpaid"
    assert outcome.reason.startswith("Registra 1 multa de tránsito impaga en el Registro de Multas No Pagadas "
                                     "por un total de $86.800 (Juzgado de Policía Local N° 1, 01-01-2026, $86.800)")


def test_several_fines_are_listed_with_their_total():
    outcome = evaluate(fin=fines(86_800, 52_400)).fines
    assert "Registra 2 multas de tránsito impagas" in outcome.reason
    assert "por un total de $139.200" in outcome.reason
    assert outcome.detail["total"] == 139_200
    assert [f["amount"] for f in outcome.detail["fines"]] == [86_800, 52_400]
    assert outcome.detail["fines"][0]["court"] == "Juzgado de Policía Local N° 1"


# -- unavailable -----------------------------------------------------------------------------


def down(source: str) -> Unavailable:
    return Unavailable(source, f"{source}_timeout", AT, retry_after=45)


@pytest.mark.parametrize(("what", "names"), [
    ("insurance", [CheckName.INSURANCE]),
    ("inspection", [CheckName.INSPECTION, CheckName.EMISSIONS]),
    ("fines", [CheckName.FINES]),
])
def test_an_unavailable_service_is_never_ok_and_never_payable(what, names):
    args = {"ins": GOOD_INSURANCE, "insp": inspection(), "fin": fines()}
    source = {"insurance": "aach", "inspection": "mtt", "fines": "srcei"}[what]
    key = {"insurance": "ins", "inspection": "insp", "fines": "fin"}[what]
    args[key] = down(source)
    checks = evaluate(**args)
    assert not checks.payable
    assert checks.unavailable == tuple(names)
    assert checks.retry_after == 45
    for name in names:
        outcome = getattr(checks, name.value)
        assert outcome.status is CheckStatus.UNAVAILABLE
        assert outcome.reason.startswith("No fue posible consultar")
        assert outcome.reason.endswith("intente nuevamente en unos minutos.")
        assert outcome.detail["reference"] is None
        assert outcome.detail["error"] == f"{source}_timeout"


def test_not_payable_lists_every_reason_in_check_order():
    checks = evaluate(insurance(), inspection(control(until="2026-08-31")), fines(1000))
    assert not checks.payable
    assert [r[:20] for r in checks.reasons] == ["No se encontró un SO", "La revisión técnica ", "Registra 1 multa de "]
    assert checks.retry_after is None


# -- freshness -------------------------------------------------------------------------------


def test_fresh_ok_checks_need_no_recheck():
    checks = evaluate()
    assert not needs_recheck(checks, now=AT + timedelta(minutes=10), max_age=timedelta(minutes=30))


def test_old_checks_must_be_rechecked():
    checks = evaluate()
    assert stale_checks(checks, now=AT + timedelta(minutes=31), max_age=timedelta(minutes=30)) == tuple(CheckName)
    assert needs_recheck(checks, now=AT + timedelta(minutes=31), max_age=timedelta(minutes=30))


def test_failed_or_unavailable_checks_are_always_rechecked():
    checks = evaluate(down("aach"), fin=fines(1000))
    assert stale_checks(checks, now=AT, max_age=timedelta(hours=1)) == (CheckName.INSURANCE, CheckName.FINES)


def test_checks_from_the_future_are_not_trusted():
    checks = evaluate()
    assert needs_recheck(checks, now=AT - timedelta(minutes=5), max_age=timedelta(hours=1))


def test_recorded_checks_work_with_naive_now():
    checks = PrerequisiteChecks.from_json(evaluate().to_json())
    assert not needs_recheck(checks, now=datetime(2027, 2, 15, 13, 5), max_age=timedelta(minutes=30))


# -- the checker (parallel, bounded) ----------------------------------------------------------


def vehicle_record(plate: str = PLATE) -> VehicleRecord:
    return VehicleRecord(plate, "RC-9", AT, "AUTOMOVIL", VehicleClass.LIGHT, "Toyota", "Yaris", 2019, "GASOLINA",
                         Propulsion.COMBUSTION, "12345678-5", "María Pérez Soto", date(2019, 3, 12),
                         "TOYYAR19015", 2027, 7_460_000)


class StubInsurance:
    def __init__(self, behaviour=None):
        self.behaviour = behaviour

    def insurance(self, plate):
        if self.behaviour:
            return self.behaviour()
        return InsuranceRecord(plate, "AACH-1", AT, GOOD_INSURANCE.policies)


class StubInspection:
    def inspection(self, plate):
        return InspectionRecord(plate, "PRT-1", AT, control(), control())


class StubRegistry:
    def __init__(self, vehicle_error=None):
        self.vehicle_error = vehicle_error
        # Both calls wait for each other: they only get through if they run at the same time.
        self.together = threading.Barrier(2, timeout=1)

    def fines(self, plate):
        self.together.wait()
        return FinesRecord(plate, "RC-1", AT)

    def vehicle(self, plate):
        self.together.wait()
        if self.vehicle_error:
            raise self.vehicle_error
        return vehicle_record(plate)


def checker(insurance=None, registry=None, timeout_s=2.0):
    return PrerequisiteChecker(insurance or StubInsurance(), StubInspection(), registry or StubRegistry(),
                               timeout_s=timeout_s, now=lambda: AT)


def test_the_checker_returns_the_four_outcomes_and_the_vehicle():
    report = checker().check("bb-bb10", 2027)
    assert report.plate == "BBBB10"
    assert report.as_of == AS_OF
    assert report.payable
    assert report.require_vehicle().tasacion == 7_460_000
    assert report.checks.fines.ok  # fines and vehicle were asked at once (see StubRegistry)
    assert report.to_json()["period"] == {"year": 2027, "start": "2027-04-01", "end": "2028-03-31"}


def test_a_slow_service_is_cut_at_the_overall_timeout():
    def slow():
        time.sleep(2)
        raise AssertionError("should not be waited for")

    started = time.perf_counter()
    report = checker(StubInsurance(slow), timeout_s=0.2).check(PLATE, 2027)
    assert time.perf_counter() - started < 1.0
    assert report.checks.insurance.status is CheckStatus.UNAVAILABLE
    assert report.checks.insurance.detail["error"] == "aach_timeout"
    assert report.checks.inspection.ok
    assert not report.payable


def test_a_service_error_becomes_unavailable_with_its_code():
    def fault():
        raise DependencyUnavailable("caído", code="aach_fault", retry_after=60)

    report = checker(StubInsurance(fault)).check(PLATE, 2027)
    assert report.checks.insurance.detail["error"] == "aach_fault"
    assert report.checks.retry_after == 60


def test_an_unexpected_error_is_unavailable_too():
    def bug():
        raise RuntimeError("adapter bug")

    report = checker(StubInsurance(bug)).check(PLATE, 2027)
    assert report.checks.insurance.status is CheckStatus.UNAVAILABLE


def test_an_unregistered_vehicle_is_reported_as_not_found():
    report = checker(registry=StubRegistry(NotFound("no inscrita", code="vehicle_not_found"))).check(PLATE, 2027)
    assert report.vehicle is None
    with pytest.raises(NotFound):
        report.require_vehicle()


def test_the_vehicle_can_be_left_out():
    registry = StubRegistry()
    registry.together = threading.Barrier(1)
    report = checker(registry=registry).check(PLATE, 2027, with_vehicle=False)
    assert report.vehicle is None
    assert report.vehicle_error is None


def test_a_malformed_plate_is_the_callers_error():
    with pytest.raises(InvalidInput):
        checker().check("no es patente", 2027)


def test_today_is_counted_in_chile():
    assert chile_today(datetime(2027, 3, 1, 2, 0, tzinfo=UTC)) == date(2027, 2, 28)


# -- the fake --------------------------------------------------------------------------------


def test_the_fake_answers_like_the_services():
    fake = FakePrerequisiteChecker(insurance={PLATE: GOOD_INSURANCE}, inspections={PLATE: inspection()},
                                   vehicles={PLATE: vehicle_record()}, now=lambda: AT)
    assert fake.check(PLATE, 2027).payable
    unknown = fake.check("CDFG23", 2027)
    assert unknown.checks.insurance.code == "insurance_not_found"
    assert isinstance(unknown.vehicle_error, NotFound)
    fake.down.add("mtt")
    report = fake.check(PLATE, 2027)
    assert report.checks.unavailable == (CheckName.INSPECTION, CheckName.EMISSIONS)
    assert fake.calls == [(PLATE, 2027), ("CDFG23", 2027), (PLATE, 2027)]


def test_the_vehicle_as_json_is_flat_and_keeps_the_evidence():
    body = json.loads(json.dumps(vehicle_record().to_json()))
    assert {k: body[k] for k in ("plate", "vehicle_class", "propulsion", "tasacion", "owner_rut", "owner_name")} == {
        "plate": PLATE, "vehicle_class": "light", "propulsion": "combustion", "tasacion": 7_460_000,
        "owner_rut": "12345678-5", "owner_name": "María Pérez Soto"}
    assert (body["source"], body["reference"], body["tasacion_code"]) == ("srcei", "RC-9", "TOYYAR19015")
    assert vehicle_record().is_first_permit(2019)
