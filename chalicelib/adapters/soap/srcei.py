"""Registro Civil (SRCeI): unpaid traffic fines (RMNP) and vehicle data (RVM) of a plate."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from chalicelib.adapters.circuit_breaker import CircuitBreaker
from chalicelib.adapters.soap.client import (
    BadResponse,
    SoapConfig,
    SoapEndpoint,
    SoapServiceSpec,
    day,
    element,
    many,
    optional_whole,
    reference_of,
    same_plate,
    text,
    whole,
)
from chalicelib.domain.errors import NotFound
from chalicelib.domain.permit_rules import VehicleClass
from chalicelib.domain.permits import Propulsion
from chalicelib.domain.plates import Plate, normalize_plate
from chalicelib.domain.prerequisites import SOURCE_SRCEI, Fine, FinesRecord, VehicleRecord
from chalicelib.domain.rut import parse_rut

SRCEI: Final = SoapServiceSpec(
    source=SOURCE_SRCEI,
    wsdl_file="srcei.wsdl",
    binding="{urn:cl:srcei:rvm-rmnp:v1}ConsultaVehiculosBinding",
    label="Registro Civil",
)

LIGHT_TRAILER_MAX_KG: Final = 1_750
"""Trailers up to this capacity pay as light trailers (docs/domain.md: deadlines per class)."""

_CLASSES: Final[dict[str, VehicleClass | None]] = {
    "AUTOMOVIL": VehicleClass.LIGHT,
    "STATION_WAGON": VehicleClass.LIGHT,
    "CAMIONETA": VehicleClass.LIGHT,
    "JEEP": VehicleClass.LIGHT,
    "FURGON": VehicleClass.LIGHT,
    "MOTOCICLETA": VehicleClass.MOTORCYCLE,
    "TAXI": VehicleClass.TAXI,
    "BUS": VehicleClass.BUS,
    "CAMION": VehicleClass.TRUCK,
    "TRACTOCAMION": VehicleClass.TRACTOR_TRUCK,
    "REMOLQUE": None,  # light or heavy by capacity, below
    "SEMIRREMOLQUE": None,
    "TRACTOR": VehicleClass.TRACTOR,
    "MAQUINARIA": VehicleClass.MACHINERY,
}
_PROPULSION: Final = {
    "GASOLINA": Propulsion.COMBUSTION,
    "DIESEL": Propulsion.COMBUSTION,
    "GAS": Propulsion.COMBUSTION,
    "HIBRIDO": Propulsion.COMBUSTION,
    "HIBRIDO_ENCHUFABLE": Propulsion.PLUGIN_HYBRID,
    "ELECTRICO": Propulsion.ELECTRIC,
}


class SrceiRegistryClient:
    """Asks the Registro Civil for a plate's unpaid fines and for the vehicle's data."""

    source = SOURCE_SRCEI

    def __init__(self, endpoint: SoapEndpoint) -> None:
        self._endpoint = endpoint

    @classmethod
    def at(cls, address: str, config: SoapConfig | None = None, *,
           breaker: CircuitBreaker | None = None) -> SrceiRegistryClient:
        """The client of the service at ``address`` (from settings)."""
        return cls(SoapEndpoint(SRCEI, address, config=config, breaker=breaker))

    def fines(self, plate: str | Plate) -> FinesRecord:
        """The plate's unpaid fines in the RMNP (an unknown plate has none)."""
        value = _plate(plate)

        def parse(answer: Any, answered_at: datetime) -> FinesRecord:
            same_plate(answer, value)
            fines = tuple(
                Fine(case_number=text(f, "rolCausa"), court=text(f, "juzgado"), issued_on=day(f, "fecha"),
                     amount=whole(f, "montoPesos", minimum=1))
                for f in many(answer, "multa")
            )
            return FinesRecord(plate=value, reference=reference_of(answer), checked_at=answered_at, fines=fines)

        return self._endpoint.call("ConsultarMultasPorPatente", parse, patente=value)

    def vehicle(self, plate: str | Plate) -> VehicleRecord:
        """The vehicle registered under the plate; NotFound(vehicle_not_found) when there is none."""
        value = _plate(plate)

        def parse(answer: Any, answered_at: datetime) -> VehicleRecord | None:
            same_plate(answer, value)
            node = getattr(answer, "vehiculo", None)
            return None if node is None else _vehicle(value, reference_of(answer), answered_at, node)

        record = self._endpoint.call("ConsultarVehiculoPorPatente", parse, patente=value)
        if record is None:
            raise NotFound("La patente no está inscrita en el Registro de Vehículos Motorizados; "
                           "revise la patente ingresada.", code="vehicle_not_found", field="plate")
        return record


def _plate(plate: str | Plate) -> str:
    return plate.value if isinstance(plate, Plate) else normalize_plate(plate)


def _vehicle(plate: str, reference: str, answered_at: datetime, node: Any) -> VehicleRecord:
    registry_class = text(node, "clase")
    if registry_class not in _CLASSES:
        raise BadResponse("unknown vehicle class")
    fuel = text(node, "combustible")
    if fuel not in _PROPULSION:
        raise BadResponse("unknown fuel")
    capacity = optional_whole(node, "capacidadCargaKg", minimum=1)
    vehicle_class = _CLASSES[registry_class]
    if registry_class in ("REMOLQUE", "SEMIRREMOLQUE") and capacity is not None:
        light = capacity <= LIGHT_TRAILER_MAX_KG
        vehicle_class = VehicleClass.TRAILER_LIGHT if light else VehicleClass.TRAILER_HEAVY
    owner = element(node, "propietario")
    appraisal = getattr(node, "tasacion", None)
    return VehicleRecord(
        plate=plate,
        reference=reference,
        checked_at=answered_at,
        registry_class=registry_class,
        vehicle_class=vehicle_class,
        make=text(node, "marca"),
        model=text(node, "modelo"),
        model_year=whole(node, "anioFabricacion", minimum=1900),
        fuel=fuel,
        propulsion=_PROPULSION[fuel],
        owner_rut=parse_rut(text(owner, "rut")).compact,
        owner_name=text(owner, "nombre"),
        first_registration=day(node, "fechaPrimeraInscripcion"),
        tasacion_code=None if appraisal is None else text(appraisal, "codigoSii"),
        tasacion_year=None if appraisal is None else whole(appraisal, "anio", minimum=1900),
        tasacion=None if appraisal is None else whole(appraisal, "valorPesos", minimum=1),
        capacity_kg=capacity,
        invoice_net_value=optional_whole(node, "valorFacturaNetoPesos", minimum=1),
    )
