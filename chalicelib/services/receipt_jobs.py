"""The receipts queue's one message type: which payment of which municipality needs its receipt
(or, `annulment`, the annulment document of its refund or reversal `ref`). Every producer — the
gateway's outbox step and sweep, an official's resend, a completed refund — builds it here, and the
worker reads it here. Messages carry ids only: the worker loads the record."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ReceiptJob(BaseModel):
    """One job of the receipts queue."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["receipt", "annulment"] = "receipt"
    municipality: str = Field(pattern=r"^[0-9]{5}$")
    payment_id: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_-]+$")
    ref: str | None = Field(default=None, pattern=r"^(REFUND|REVERSAL)#[A-Za-z0-9_-]{1,80}$")

    def message(self) -> dict[str, Any]:
        """The JSON body sent to the queue (without empty fields)."""
        return self.model_dump(exclude_none=True)


class PoisonMessage(Exception):
    """A message that can never succeed (malformed); it is left to reach the dead-letter queue."""


def receipt_job(code: str, payment_id: str) -> dict[str, Any]:
    """The message that issues (or finishes) a paid payment's receipt."""
    return ReceiptJob(kind="receipt", municipality=code, payment_id=payment_id).message()


def annulment_job(code: str, payment_id: str, ref: str) -> dict[str, Any]:
    """The message that issues the annulment document of one completed refund or reversal."""
    return ReceiptJob(kind="annulment", municipality=code, payment_id=payment_id, ref=ref).message()


def parse_job(body: str) -> ReceiptJob:
    """The job in a message body; `PoisonMessage` when it is not one."""
    try:
        return ReceiptJob.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise PoisonMessage("malformed receipt job") from exc
