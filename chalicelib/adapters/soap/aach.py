"""AACH (Asociación de Aseguradores de Chile): the SOAP insurance policies of a plate."""

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
    many,
    reference_of,
    same_plate,
    text,
)
from chalicelib.domain.plates import Plate, normalize_plate
from chalicelib.domain.prerequisites import SOURCE_AACH, InsurancePolicy, InsuranceRecord

AACH: Final = SoapServiceSpec(
    source=SOURCE_AACH,
    wsdl_file="aach.wsdl",
    binding="{urn:cl:aach:consulta-soap:v1}ConsultaSoapBinding",
    label="la Asociación de Aseguradores (SOAP)",
)


class AachInsuranceClient:
    """Asks AACH which SOAP policies a plate has."""

    source = SOURCE_AACH

    def __init__(self, endpoint: SoapEndpoint) -> None:
        self._endpoint = endpoint

    @classmethod
    def at(cls, address: str, config: SoapConfig | None = None, *,
           breaker: CircuitBreaker | None = None) -> AachInsuranceClient:
        """The client of the service at ``address`` (from settings)."""
        return cls(SoapEndpoint(AACH, address, config=config, breaker=breaker))

    def insurance(self, plate: str | Plate) -> InsuranceRecord:
        """The plate's policies; raises InvalidInput (bad plate) or DependencyUnavailable."""
        value = plate.value if isinstance(plate, Plate) else normalize_plate(plate)

        def parse(answer: Any, answered_at: datetime) -> InsuranceRecord:
            same_plate(answer, value)
            policies = tuple(
                InsurancePolicy(insurer=text(p, "aseguradora"), policy_number=text(p, "numeroPoliza"),
                                valid_from=day(p, "vigenciaDesde"), valid_to=day(p, "vigenciaHasta"))
                for p in many(answer, "poliza")
            )
            if len({p.policy_number for p in policies}) != len(policies):
                raise BadResponse("the same policy twice")
            return InsuranceRecord(plate=value, reference=reference_of(answer), checked_at=answered_at,
                                   policies=policies)

        return self._endpoint.call("ConsultarSoapPorPatente", parse, patente=value)
