"""Request and response shapes of the public routes (docs/contract.md), as pydantic models.

They validate structure and types at the edge (and generate the OpenAPI document); the domain
then applies the rules and refuses, with its own specific codes, what the law does not allow.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.errors import InvalidInput

_CUT = re.compile(r"^[0-9]{5}$")


def municipality_code(value: str) -> str:
    """A path's municipality code: five digits (the CUT), or a 400 naming the field."""
    if not _CUT.match(value or ""):
        raise InvalidInput("El código de municipalidad debe tener 5 dígitos (código CUT, p. ej. 13101).",
                           code="invalid_municipality", field="code")
    return value


class Strict(BaseModel):
    """Base of every request model: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class NewVehicleIn(Strict):
    net_invoice_value: int = Field(description="Valor neto de la factura, en pesos.")
    month: int = Field(description="Mes de compra (1-12).")


class PermitSimulationIn(Strict):
    """Body of `POST /v1/municipalities/{code}/permits/simulate`."""

    vehicle_class: str = Field(examples=["light"], description="light, motorcycle, taxi, bus, truck, …")
    tasacion: int | None = Field(default=None, description="Tasación fiscal SII, en pesos.")
    year: int = Field(description="Año del permiso.")
    installment: Literal["full", "first", "second"] = "full"
    propulsion: Literal["combustion", "electric", "plugin_hybrid"] = "combustion"
    model_year: int | None = None
    new_vehicle: NewVehicleIn | None = None
    payment_date: date | None = None
    capacity_kg: int | None = Field(default=None, description="Capacidad de carga (camiones).")
    back_years: list[int] | None = Field(
        default=None, description="Años anteriores no pagados: cada uno se calcula reajustado y con intereses.")


class PatenteSimulationIn(Strict):
    """Body of `POST /v1/municipalities/{code}/patentes/simulate`."""

    kind: str = Field(examples=["comercial"],
                      description="comercial, industrial, provisoria, profesional, micro_empresa_familiar")
    capital_propio: int | None = Field(default=None, description="Capital propio, en pesos.")
    year: int
    zone: str | None = None
    exempt_reason: str | None = None
    payment_date: date | None = Field(
        default=None, description="Fecha de pago: los semestres vencidos llevan reajuste e intereses (art. 53).")


class SimulationOut(BaseModel):
    """A calculator's answer: the amount and the breakdown to redo it by hand."""

    municipality: str
    amount: int
    estimated: bool
    breakdown: dict[str, Any]


def body_for_domain(model: BaseModel) -> dict[str, Any]:
    """The validated body as plain JSON for the domain's parser (dates back to ISO text)."""
    return model.model_dump(mode="json", exclude_none=True)
