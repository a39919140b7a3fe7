"""Ministerio de Transportes: the latest revisión técnica and gas emissions check of a plate."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from chalicelib.adapters.circuit_breaker import CircuitBreaker
from chalicelib.adapters.soap.client import (
    SoapConfig,
    SoapEndpoint,
    SoapServiceSpec,
    day,
    optional_day,
    reference_of,
    same_plate,
    text,
)
from chalicelib.domain.plates import Plate, normalize_plate
from chalicelib.domain.prerequisites import SOURCE_MTT, InspectionControl, InspectionRecord, InspectionResult

MTT: Final = SoapServiceSpec(
    source=SOURCE_MTT,
    wsdl_file="mtt.wsdl",
    binding="{urn:cl:mtt:revisiones-tecnicas:v1}ConsultaRevisionesBinding",
    label="revisiones técnicas del Ministerio de Transportes",
)

_RESULTS: Final = {
    "APROBADA": InspectionResult.APPROVED,
    "RECHAZADA": InspectionResult.REJECTED,
    "EXENTA": InspectionResult.EXEMPT,
}


class MttInspectionClient:
    """Asks the Ministerio de Transportes for a plate's revisión técnica and gas check."""

    source = SOURCE_MTT

    def __init__(self, endpoint: SoapEndpoint) -> None:
        self._endpoint = endpoint

    @classmethod
    def at(cls, address: str, config: SoapConfig | None = None, *,
           breaker: CircuitBreaker | None = None) -> MttInspectionClient:
        """The client of the service at ``address`` (from settings)."""
        return cls(SoapEndpoint(MTT, address, config=config, breaker=breaker))

    def inspection(self, plate: str | Plate) -> InspectionRecord:
        """Both controls of the plate (each None when the ministry has none on record)."""
        value = plate.value if isinstance(plate, Plate) else normalize_plate(plate)

        def parse(answer: Any, answered_at: datetime) -> InspectionRecord:
            same_plate(answer, value)
            return InspectionRecord(
                plate=value, reference=reference_of(answer), checked_at=answered_at,
                inspection=_control(getattr(answer, "revisionTecnica", None)),
                emissions=_control(getattr(answer, "emisionGases", None)),
            )

        return self._endpoint.call("ConsultarRevisionesPorPatente", parse, patente=value)


def _control(node: Any) -> InspectionControl | None:
    if node is None:
        return None
    return InspectionControl(
        result=_RESULTS[text(node, "resultado")],
        plant_code=text(node, "codigoPlanta"),
        plant=text(node, "planta"),
        inspected_on=day(node, "fechaRevision"),
        valid_until=optional_day(node, "vigenteHasta"),
    )
