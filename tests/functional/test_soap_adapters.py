"""The real zeep adapters against the SOAP simulator over loopback: outcomes, timeouts, breaker, safety."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import requests

from chalicelib.adapters.circuit_breaker import BreakerState, CircuitBreaker, CircuitOpen
from chalicelib.adapters.soap import (
    AACH,
    AachInsuranceClient,
    MttInspectionClient,
    SoapConfig,
    SoapEndpoint,
    SrceiRegistryClient,
)
from chalicelib.adapters.soap.client import zeep_settings
from chalicelib.domain.errors import DependencyUnavailable, NotFound
from chalicelib.domain.permit_rules import VehicleClass
from chalicelib.domain.permits import Propulsion
from chalicelib.domain.prerequisites import CheckStatus
from chalicelib.services.prerequisites import PrerequisiteChecker
from devstack.ports import free_port
from devstack.simulators.soap import SoapSimulator
from devstack.simulators.soap_fixtures import EXPECTED_PERMIT_YEAR, FIXTURES

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2027, 2, 15)  # inside the window the fixtures' expectations hold for
FAST = SoapConfig(connect_timeout_s=0.5, read_timeout_s=0.5, max_attempts=2, retry_backoff_s=0.01,
                  breaker_threshold=3, breaker_reset_s=30)


@pytest.fixture(scope="module")
def sim():
    with SoapSimulator(free_port()) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _reset_modes(sim):
    sim.reset()
    yield
    sim.reset()


@pytest.fixture
def adapters(sim):
    return (AachInsuranceClient.at(sim.url_for("aach"), FAST), MttInspectionClient.at(sim.url_for("mtt"), FAST),
            SrceiRegistryClient.at(sim.url_for("srcei"), FAST))


@pytest.fixture
def checker(adapters):
    return PrerequisiteChecker(*adapters, timeout_s=3.0)


# -- every fixture plate, through the real adapters and the rules -------------------------------


@pytest.mark.parametrize("plate", sorted(FIXTURES))
def test_each_fixture_plate_gives_its_outcome(checker, plate):
    expected = FIXTURES[plate]["expected"]
    report = checker.check(plate, EXPECTED_PERMIT_YEAR, as_of=AS_OF)
    got = {o.name.value: (o.status.value, o.code) for o in report.checks.outcomes}
    assert got == {name: tuple(expected[name]) for name in ("insurance", "inspection", "emissions", "fines")}
    assert report.payable is all(status == "ok" for status, _ in got.values())
    if expected["vehicle"] == "found":
        assert report.require_vehicle().plate == plate
    else:
        assert isinstance(report.vehicle_error, NotFound)
    for outcome in report.checks.outcomes:
        assert outcome.detail["reference"], "every answer carries the service's reference"
        assert outcome.checked_at.tzinfo is not None
    json.dumps(report.to_json())


def test_the_demo_car_bbbb10(adapters):
    insurance, inspection, registry = adapters
    vehicle = registry.vehicle("bb-bb10")
    assert (vehicle.make, vehicle.model, vehicle.model_year) == ("Toyota", "Yaris", 2019)
    assert vehicle.vehicle_class is VehicleClass.LIGHT
    assert vehicle.propulsion is Propulsion.COMBUSTION
    assert (vehicle.owner_rut, vehicle.owner_name) == ("12345678-5", "María Pérez Soto")
    assert (vehicle.tasacion_code, vehicle.tasacion) == ("TOYYAR19015", 7_460_000)
    assert vehicle.reference.startswith("RC-")
    record = insurance.insurance("BBBB10")
    assert record.reference.startswith("AACH-")
    assert record.source == "aach"
    assert [p.valid_to for p in record.policies] == [date(2027, 3, 31), date(2028, 3, 31)]
    assert inspection.inspection("BBBB10").inspection.valid_until == date(2027, 9, 30)
    assert (datetime.now(UTC) - record.checked_at).total_seconds() < 5


def test_the_electric_heavy_new_and_taxi_vehicles(adapters):
    registry = adapters[2]
    ev = registry.vehicle("HJKL45")
    assert (ev.propulsion, ev.model, ev.model_year) == (Propulsion.ELECTRIC, "Dolphin", 2024)
    truck = registry.vehicle("WXYZ76")
    assert (truck.vehicle_class, truck.capacity_kg, truck.tasacion) == (VehicleClass.TRUCK, 9_000, None)
    new = registry.vehicle("XYZB87")
    assert new.is_first_permit(2026)
    assert new.tasacion is None
    assert new.invoice_net_value == 12_990_000
    assert registry.vehicle("VWXY89").vehicle_class is VehicleClass.TAXI


def test_unpaid_fines_come_with_court_date_and_amount(adapters):
    record = adapters[2].fines("STVW43")
    assert [(f.court, f.issued_on, f.amount) for f in record.fines] == [
        ("1° Juzgado de Policía Local de Santiago", date(2025, 8, 14), 86_800),
        ("Juzgado de Policía Local de Maipú", date(2026, 2, 3), 52_400),
    ]
    assert record.total == 139_200


def test_an_unknown_plate_is_not_registered(adapters):
    with pytest.raises(NotFound) as caught:
        adapters[2].vehicle("TVWX54")
    assert caught.value.code == "vehicle_not_found"
    assert adapters[0].insurance("TVWX54").policies == ()


# -- failures ----------------------------------------------------------------------------------


def state_of(breaker):
    """Untyped on purpose: mypy would narrow ``breaker.state`` between two reads."""
    return breaker.state


def expect_down(call, code: str, *, within_s: float) -> DependencyUnavailable:
    started = time.perf_counter()
    with pytest.raises(DependencyUnavailable) as caught:
        call()
    assert time.perf_counter() - started < within_s
    assert caught.value.code == code, caught.value.message
    return caught.value


def test_a_slow_service_times_out_quickly(sim):
    sim.set_mode("aach", "slow", delay_s=3)
    client = AachInsuranceClient.at(sim.url_for("aach"), SoapConfig(read_timeout_s=0.2, max_attempts=1))
    error = expect_down(lambda: client.insurance("BBBB10"), "aach_timeout", within_s=0.8)
    assert "no respondió a tiempo" in error.message


def test_transport_failures_are_retried_a_bounded_number_of_times(sim, adapters):
    sim.set_mode("mtt", "down")
    before = sim.request_count("mtt")
    expect_down(lambda: adapters[1].inspection("BBBB10"), "mtt_unreachable", within_s=1.0)
    assert sim.request_count("mtt") - before == 2
    sim.set_mode("mtt", "unavailable")
    expect_down(lambda: adapters[1].inspection("BBBB10"), "mtt_unavailable", within_s=1.0)
    assert sim.request_count("mtt") - before == 4


@pytest.mark.parametrize(("mode", "code"), [
    ("fault", "srcei_fault"),
    ("malformed", "srcei_bad_response"),
    ("invalid", "srcei_bad_response"),
])
def test_faults_and_bad_answers_are_mapped_and_not_retried(sim, adapters, mode, code):
    sim.set_mode("srcei", mode)
    before = sim.request_count("srcei")
    error = expect_down(lambda: adapters[2].fines("BBBB10"), code, within_s=1.0)
    assert sim.request_count("srcei") - before == 1
    assert "Registro Civil" in error.message


def test_a_client_fault_does_not_count_against_the_service(sim):
    endpoint = SoapEndpoint(AACH, sim.url_for("aach"), config=FAST)
    for _ in range(5):
        expect_down(lambda: endpoint.call("ConsultarSoapPorPatente", lambda raw, at: raw, patente="bad!!"),
                    "aach_rejected", within_s=1.0)
    assert endpoint.breaker.state is BreakerState.CLOSED


def test_a_dead_port_fails_fast():
    client = SrceiRegistryClient.at(f"http://127.0.0.1:{free_port()}/srcei", FAST)
    expect_down(lambda: client.vehicle("BBBB10"), "srcei_unreachable", within_s=1.0)


def test_the_breaker_opens_and_then_refuses_without_calling_the_service(sim):
    clock = [0.0]
    breaker = CircuitBreaker("aach", failure_threshold=3, reset_after_s=30, clock=lambda: clock[0])
    client = AachInsuranceClient.at(sim.url_for("aach"), SoapConfig(read_timeout_s=0.2, max_attempts=1),
                                    breaker=breaker)
    sim.set_mode("aach", "slow", delay_s=2)
    for _ in range(3):
        expect_down(lambda: client.insurance("BBBB10"), "aach_timeout", within_s=0.8)
    assert state_of(breaker) is BreakerState.OPEN
    before = sim.request_count("aach")
    for _ in range(5):
        with pytest.raises(CircuitOpen):
            client.insurance("BBBB10")
    assert sim.request_count("aach") == before  # nothing reached the service: refused without waiting

    sim.reset()
    clock[0] += 30  # cool-down over: one trial goes through and closes the circuit
    assert client.insurance("BBBB10").policies
    assert state_of(breaker) is BreakerState.CLOSED


def test_with_every_service_down_a_quote_check_answers_without_waiting(sim, adapters):
    checker = PrerequisiteChecker(*adapters, timeout_s=3.0)
    sim.set_mode("all", "down")
    for _ in range(3):
        checker.check("BBBB10", 2027, as_of=AS_OF)  # opens the three breakers
    before = {service: sim.request_count(service) for service in ("aach", "mtt", "srcei")}
    report = checker.check("BBBB10", 2027, as_of=AS_OF)
    # Fast because nothing is waited for: no request reached any of the three services.
    assert {service: sim.request_count(service) for service in before} == before
    assert {o.status for o in report.checks.outcomes} == {CheckStatus.UNAVAILABLE}
    assert report.checks.insurance.detail["error"] == "circuit_open"
    assert not report.payable
    assert isinstance(report.vehicle_error, DependencyUnavailable)


def test_one_service_down_leaves_the_others_answering(sim, checker):
    sim.set_mode("aach", "fault")
    report = checker.check("BBBB10", 2027, as_of=AS_OF)
    assert report.checks.insurance.status is CheckStatus.UNAVAILABLE
    assert report.checks.insurance.reason.startswith("No fue posible consultar el SOAP")
    assert report.checks.inspection.ok
    assert report.checks.fines.ok
    assert not report.payable


# -- XML safety --------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["xml_bomb", "xxe"])
def test_entity_expansion_in_an_answer_is_refused(sim, adapters, mode):
    sim.set_mode("aach", mode)
    error = expect_down(lambda: adapters[0].insurance("BBBB10"), "aach_unsafe_response"
                        if mode == "xxe" else "aach_bad_response", within_s=1.0)
    assert "lol" not in error.message
    assert "&" not in error.message


def test_the_parser_settings_refuse_dtds_and_entities():
    from zeep import exceptions
    from zeep.loader import parse_xml

    small_entity = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e "expanded">]><a>&e;</a>'
    external = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/hostname">]><a>&x;</a>'
    for document in (small_entity, external):
        with pytest.raises((exceptions.DTDForbidden, exceptions.EntitiesForbidden)):
            parse_xml(document.decode(), None, settings=zeep_settings())
    settings = zeep_settings()
    assert (settings.forbid_dtd, settings.forbid_entities, settings.forbid_external, settings.xml_huge_tree) == (
        True, True, True, False)


# -- the simulator itself ----------------------------------------------------------------------


def test_the_simulator_serves_wsdls_health_and_http_switches(sim):
    wsdl = requests.get(f"{sim.url_for('srcei')}?wsdl", timeout=2)
    assert wsdl.status_code == 200
    assert f'location="{sim.url_for("srcei")}"' in wsdl.text
    response = requests.post(f"{sim.url}/simulator/control", json={"service": "mtt", "mode": "down"}, timeout=2)
    assert response.json()["mtt"] == {"mode": "down", "delay_s": 0.0}
    assert requests.get(f"{sim.url}/health", timeout=2).status_code == 200  # health ignores the modes
    bad = requests.post(f"{sim.url}/simulator/control", json={"service": "mtt", "mode": "asleep"}, timeout=2)
    assert bad.status_code == 400
    assert requests.post(f"{sim.url}/simulator/reset", timeout=2).json()["mtt"]["mode"] == "ok"


def test_the_simulator_refuses_a_request_with_a_dtd(sim):
    body = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "BBBB10">]><soapenv:Envelope '
            b'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body/></soapenv:Envelope>')
    response = requests.post(sim.url_for("aach"), data=body, headers={"Content-Type": "text/xml"}, timeout=2)
    assert response.status_code == 500
    assert "faultcode" in response.text
    assert "Client" in response.text


def test_the_simulator_runs_as_make_run_starts_it():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "devstack.simulators.soap", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                assert requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_importing_the_app_does_not_import_zeep():
    code = ("import sys, app, chalicelib.services.prerequisites, chalicelib.adapters.soap; "
            "print(sorted(m for m in ('zeep', 'reportlab', 'pyhanko') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=True)
    assert out.stdout.strip() == "[]"
