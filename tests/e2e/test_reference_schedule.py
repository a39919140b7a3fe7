"""The worker runner runs the scheduled CMF import as EventBridge would, on a short period: a month the
local CMF now publishes appears pending (never in the table the computations read), once."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import requests

from tests.support.e2e.officials import id_token

CENTRAL_ADMIN = "administrador.subdere@subdere.demo"


def test_the_scheduled_import_leaves_a_newly_published_month_pending(running_stack: Any) -> None:
    month = datetime.now(ZoneInfo("America/Santiago")).strftime("%Y-%m")  # this month's UTM: always asked for
    token = id_token(running_stack, CENTRAL_ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    api = running_stack.url("api")

    def months(path: str) -> list[str]:
        answer = requests.get(f"{api}/v1/admin/reference/utm{path}", headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        return [m["month"] for m in answer.json()["months"]]

    assert month not in months("")
    published = requests.post(f"{running_stack.url('cmf')}/simulator/values", timeout=10,
                              json={"indicator": "utm", "month": month, "value": "71.234"})
    assert published.status_code == 200, published.text
    deadline = time.monotonic() + 90  # the runner imports every SEM_LOCAL_CMF_IMPORT_S (10 here) seconds
    while month not in months("/pending"):
        assert time.monotonic() < deadline, "the scheduled import did not pick the month up"
        time.sleep(1)
    time.sleep(12)  # at least one more scheduled run: it must not import the month again
    assert months("/pending").count(month) == 1
    answer = requests.get(f"{api}/v1/admin/reference/utm/pending", headers=headers, timeout=10).json()
    (row,) = [m for m in answer["months"] if m["month"] == month]
    assert (row["value"], row["status"]) == (71234, "pending")
    assert "API CMF" in row["source"]
    assert row["updated_by"] == "importación programada (API CMF)"
    assert month not in months("")  # pending: no computation uses it
