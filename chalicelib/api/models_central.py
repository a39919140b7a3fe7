"""Response shapes of the central level's routes (SUBDERE): the platform's municipalities
(chalicelib/api/admin_central.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import Cursor, IsoDate, Out
from chalicelib.api.models_officials import OfficialOut

AgreementStatus = Literal["negotiating", "in_force", "suspended", "terminated"]
Service = Literal["permisos", "patentes", "aseo"]


class AgreementStateOut(Out):
    """The agreement (convenio) with SUBDERE: only `in_force` and not past `valid_until` takes payments."""

    status: AgreementStatus
    valid_until: IsoDate | None = None
    signed_at: IsoDate | None = None
    reference: str | None = None
    agreement_id: str | None = Field(default=None, description="El convenio firmado electrónicamente que está vigente.")


class CentralMunicipalityOut(Out):
    code: str
    name: str
    region: str | None
    services: list[Service]
    enabled: bool
    agreement: AgreementStateOut | None
    first_admin: OfficialOut | None = None


class CentralMunicipalitiesOut(Out):
    items: list[CentralMunicipalityOut]
    cursor: Cursor
