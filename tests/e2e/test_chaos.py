"""The fault-injection run of `make chaos`, small: payments through a local stack of its own while
the SOAP services, TGR and the workers misbehave and S3/SES throttle; then every payment must be
in the state TGR's actions call for, with exactly one receipt, folio and e-mail per approved
payment (plus exactly the documented at-least-once duplicates), and nothing charged that should
not be; then money goes back (a refund and a reversal, each notified three times by TGR) and is
returned exactly once (devstack/chaos.py, docs/reliability.md, docs/refunds.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_payments_survive_injected_faults(tmp_path):
    out = tmp_path / "chaos.json"
    env_log = tmp_path / "logs"
    completed = subprocess.run(
        [sys.executable, "-m", "devstack.chaos", "--payments", "16", "--seconds", "240", "--seed", "2027",
         "--concurrency", "5", "--json", str(out)],
        cwd=ROOT, env={**_env(), "SEM_CHAOS_LOG_DIR": str(env_log)}, capture_output=True, text=True, timeout=540)
    assert out.exists(), completed.stdout[-4000:] + completed.stderr[-4000:]
    result = json.loads(out.read_text())
    counts = result["counts"]
    assert result["violations"] == [], completed.stdout[-6000:]
    assert completed.returncode == 0, completed.stdout[-6000:]
    # The run cannot pass vacuously: faults of every kind were injected and payments went through.
    assert counts["injected_faults_total"] > 0
    assert counts["worker_kills_total"] > 0
    assert counts["worker_restarts"] > 0
    assert set(counts["worker_kills"]) == {"after_folio", "after_pdf", "after_issued", "after_claim", "after_send",
                                           "after_record"}  # every kill point, at least once
    assert sum(counts["soap_modes"].get(mode, 0) for mode in ("slow", "fault", "down")) > 0
    notifications = counts["tgr_notifications"]
    assert notifications.get("duplicate", 0) > 0
    assert notifications.get("out_of_order", 0) > 0
    assert notifications.get("late_duplicate", 0) > 0
    assert notifications.get("wrong_amount", 0) > 0
    assert counts["found"].get("paid", 0) > 0
    # One receipt per payment that was paid: those still paid and those whose money went back
    # afterwards (their receipts are annulled, not gone).
    returned = counts["found"].get("refunded", 0) + counts["found"].get("reversed", 0)
    assert returned == 2
    assert counts["receipts"] == counts["found"]["paid"] + returned
    # No duplicate e-mail, also after a worker died between SES's acceptance and its record: that
    # attempt was settled from SES's events (docs/email-events.md).
    assert counts["emails"] == counts["receipts"]
    assert counts["emails_duplicates"] == 0
    assert counts["emails_settled_from_ses_events"] >= counts["kills_after_send"] > 0
    # Money back while TGR repeats its notifications (two at once and one late for the refund):
    # each applied once, with one annulment document e-mailed (docs/refunds.md).
    assert counts["returns"] == {"refund": 1, "reversal": 1}
    assert counts["annulment_emails"] == 2


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.pop("AWS_ENDPOINT_URL", None)
    return env
