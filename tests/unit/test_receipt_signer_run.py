"""Production never signs receipts with the built-in demo RUN: the setting is refused on prod (the
process does not get its settings, so it does not start), and the receipt signer refuses a
signer whose RUN is the demo one (a municipality configured with it, or no designation while the
default is the demo RUN), before any key is touched."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.adapters.receipt_signer import ReceiptSigner
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.settings import DEMO_SIGNER_RUN, Settings


def test_prod_refuses_to_start_with_the_demo_signer_run(monkeypatch):
    monkeypatch.setenv("SEM_STAGE", "prod")
    with pytest.raises(ValidationError, match="demo RUN"):
        Settings()
    monkeypatch.setenv("SEM_RECEIPT_DEFAULT_SIGNER_RUN", DEMO_SIGNER_RUN)
    with pytest.raises(ValidationError, match="demo RUN"):
        Settings()
    monkeypatch.setenv("SEM_RECEIPT_DEFAULT_SIGNER_RUN", "7654321-6")
    assert Settings().production


def test_other_stages_keep_the_demo_default(monkeypatch):
    monkeypatch.setenv("SEM_STAGE", "dev")
    settings = Settings()
    assert (settings.receipt_default_signer_run, settings.production) == (DEMO_SIGNER_RUN, False)


class NoKeys:
    """Any use of KMS or S3 fails the test: a refused signer must not reach them."""

    def __getattr__(self, name):
        raise AssertionError(f"touched {name}")


@pytest.mark.parametrize("config", [
    {"name": "Santiago"},  # no designation: the default signer, with the demo RUN
    {"name": "Santiago", "receipt_signer": {"name": "Copia de la demo", "run": "12.345.678-5",
                                            "profile": "tesorero"}},
])
def test_the_receipt_signer_refuses_the_demo_run_where_it_is_refused(config):
    signer = ReceiptSigner(NoKeys(), NoKeys(), default_run=DEMO_SIGNER_RUN, refused_runs=frozenset({DEMO_SIGNER_RUN}))
    with pytest.raises(DependencyUnavailable) as refused:
        signer.sign(b"%PDF-1.7", code="13101", config=config)
    assert refused.value.code == "receipt_signer_not_designated"
    assert refused.value.retryable  # the job waits for a designation; the receipt is not dropped


def test_wiring_refuses_the_demo_run_on_prod_only(monkeypatch):
    from chalicelib import wiring

    monkeypatch.setenv("SEM_RECEIPT_DEFAULT_SIGNER_RUN", "7654321-6")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing is called; never a real endpoint
    try:
        for stage, refused in (("prod", {DEMO_SIGNER_RUN}), ("dev", set())):
            monkeypatch.setenv("SEM_STAGE", stage)
            wiring.reset()
            assert wiring.receipt_signer()._refused_runs == refused
    finally:
        monkeypatch.undo()
        wiring.reset()
