"""Response shapes of the citizen's own space, "Mis pagos" (chalicelib/api/citizen_space.py,
docs/citizens.md): sign-in with ClaveÚnica, the session's payments, debts, permits and reminders."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.api.models import IsoDate, IsoDateTime, Out, Pesos

PaymentState = Literal["pending", "paid", "rejected", "expired", "cancelled", "review", "refund_pending", "refunded",
                       "partially_refunded", "refund_failed", "reversed"]


class SignInStartedOut(Out):
    """Where to send the citizen (ClaveÚnica, PKCE) and the state the page keeps for the return."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "authorize_url": "https://accounts.claveunica.gob.cl/openid/authorize?…", "state": "…", "expires_in": 600}]})

    authorize_url: str
    state: str
    expires_in: int = Field(description="Segundos para volver con el code.")


class CitizenOut(Out):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"run": "12.345.678-5", "name": "María Pérez"}]})

    run: str = Field(description="RUN con puntos y guion.")
    name: str | None


class CitizenSessionOut(Out):
    """The citizen's session: a bearer token for the other routes of Mis pagos."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "session_token": "eyJ…", "expires_in": 1800, "citizen": {"run": "12.345.678-5", "name": "María Pérez"}}]})

    session_token: str
    expires_in: int = Field(description="Segundos de vigencia.")
    citizen: CitizenOut


class MyPaymentItemOut(Out):
    type: Literal["permit", "debt"] | None = None
    description: str | None = None
    amount: Pesos | None = None
    plate: str | None = None
    year: int | None = None
    installment: Literal["full", "first", "second"] | None = None
    debt_id: str | None = None


class MyReceiptRefOut(Out):
    folio: str
    verify_url: str


class MyPaymentOut(Out):
    payment_id: str
    municipality: str
    municipality_name: str
    status: PaymentState
    status_text: str
    amount: Pesos
    created_at: IsoDateTime
    paid_at: IsoDateTime | None
    items: list[MyPaymentItemOut]
    annulled: bool | None = Field(default=None, description="true: el comprobante fue anulado.")
    receipt: MyReceiptRefOut | None = None


class MyPaymentsOut(Out):
    """Every payment made with the session's RUN, in any municipality, newest first."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "run": "12.345.678-5", "payments": [{
            "payment_id": "13101-01J0000000000000000000000Z", "municipality": "13101", "municipality_name": "Santiago",
            "status": "paid", "status_text": "Pagado", "amount": 212500, "created_at": "2027-03-01T13:00:00+00:00",
            "paid_at": "2027-03-01T13:05:00+00:00", "items": [{"type": "permit", "description": "Permiso 2027, BBBB10",
                                                                "amount": 212500, "plate": "BBBB10", "year": 2027,
                                                                "installment": "full"}],
            "receipt": {"folio": "13101-2027-000001", "verify_url": "https://…/v1/receipts/verify?folio=…"}}]}]})

    run: str
    payments: list[MyPaymentOut]


class MyReceiptOut(Out):
    folio: str
    download_url: str = Field(description="Enlace breve (5 minutos) al PDF.")
    verify_url: str


class MyDebtOut(Out):
    municipality: str
    municipality_name: str
    debt_id: str
    type: str = Field(description="patente, aseo, …")
    description: str
    amount: Pesos
    due_date: IsoDate | None
    period: str | None


class MyDebtsOut(Out):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"debts": [{
        "municipality": "13101", "municipality_name": "Santiago", "debt_id": "PAT-2027-1-000123", "type": "patente",
        "description": "Patente comercial rol 4-000123, 1er semestre 2027", "amount": 150000,
        "due_date": "2027-07-31", "period": "2027-S1"}]}]})

    debts: list[MyDebtOut]


class MyPermitOut(Out):
    plate: str
    year: int
    status: Literal["paid", "first_paid", "pending", "unpaid"]
    status_text: str
    municipality: str
    municipality_name: str


class MyPermitsOut(Out):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"year": 2027, "permits": [{
        "plate": "BBBB10", "year": 2027, "status": "paid", "status_text": "Pagado", "municipality": "13101",
        "municipality_name": "Santiago"}]}]})

    year: int
    permits: list[MyPermitOut]


class ReminderConsentOut(Out):
    """The citizen's consent to reminders: off, or on for all obligations (`["all"]`) or some."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"enabled": True, "email": "maria@example.cl", "obligations": ["all"]}]})

    enabled: bool
    email: str | None = None
    obligations: list[str]
