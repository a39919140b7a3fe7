"""Response shapes of a municipality's settings routes: settings, logo and receipt signer
(chalicelib/api/admin_settings.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import DecimalText, IsoDateTime, Out
from chalicelib.api.models_central import AgreementStateOut, Service
from chalicelib.api.models_officials import Profile


class BrandingSettingsOut(Out):
    primary_color: str | None = Field(description="#RRGGBB; null: el de la plataforma.")
    secondary_color: str | None
    header_text: str | None
    footer_text: str | None


class LogoOut(Out):
    sha256: str
    width: int
    height: int
    bytes: int
    updated_at: IsoDateTime


class PermitDiscountsOut(Out):
    tasacion_percent: DecimalText | None = None
    tasacion_percent_reason: str | None = None


class PortalKeyStateOut(Out):
    key_id: str
    status: Literal["active", "revoked"]
    created_at: IsoDateTime | None
    revoked_at: IsoDateTime | None


class SettingsOut(Out):
    """The municipality's settings, with the `version` a later PATCH sends back."""

    code: str
    name: str | None
    version: int
    display_name: str | None
    branding: BrandingSettingsOut
    logo: LogoOut | None
    services: list[Service]
    permit_discounts: PermitDiscountsOut | None
    origins: list[str]
    sender_email: str | None
    agreement: AgreementStateOut | None
    portal_keys: list[PortalKeyStateOut]


class DesignatedSignerOut(Out):
    email: str | None
    name: str | None
    run: str | None
    profile: Profile | None
    designated_at: IsoDateTime | None
    designated_by: str | None
    profile_name: str


class ReceiptSignerOut(Out):
    """Who signs the receipts; `uses_default`: the platform's labelled default does."""

    designated: DesignatedSignerOut | None
    uses_default: bool
    version: int
    eligible_profiles: list[Profile]
