"""Settings come from the environment lazily; keys always start with a municipality code."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from chalicelib.adapters import table_keys
from chalicelib.settings import Settings, get_settings, reset_settings


def test_settings_honour_the_sdk_names_and_the_prefix(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    monkeypatch.setenv("SEM_TABLE_NAME", "t1")
    monkeypatch.setenv("SEM_HEALTH_PROBES", '{"tgr": "http://127.0.0.1:1/health"}')
    settings = Settings()
    assert settings.aws_endpoint_url == "http://127.0.0.1:5999"
    assert settings.region == "sa-east-1"
    assert settings.table_name == "t1"
    assert str(settings.health_probes["tgr"]) == "http://127.0.0.1:1/health"


def test_settings_are_read_once_until_reset(monkeypatch):
    reset_settings()
    monkeypatch.setenv("SEM_TABLE_NAME", "first")
    assert get_settings().table_name == "first"
    monkeypatch.setenv("SEM_TABLE_NAME", "second")
    assert get_settings().table_name == "first"
    reset_settings()
    assert get_settings().table_name == "second"
    reset_settings()


def test_bad_settings_are_refused(monkeypatch):
    monkeypatch.setenv("SEM_LOG_LEVEL", "LOUD")
    with pytest.raises(ValidationError):
        Settings()


def test_every_tenant_key_starts_with_the_code():
    assert table_keys.municipality("13101").startswith("13101#")
    assert table_keys.by_rut("05101", "12345678-5") == "05101#RUT#12345678-5"
    assert table_keys.payment("13101", "13101-X").startswith("13101#PAY#")
    assert table_keys.reference_table("UTM").startswith("00000#")


@pytest.mark.parametrize("bad", ["1310", "131011", "13101#X", "abcde", ""])
def test_a_bad_municipality_code_never_makes_a_key(bad):
    with pytest.raises(ValueError, match="municipality code"):
        table_keys.municipality(bad)


@pytest.mark.parametrize("code", ["١٣١٠١", "１３１０１", "13１01"])
def test_a_municipality_code_is_five_ascii_digits_in_every_key_and_id(code):
    """Python's \\d takes any script's digits: a code in them must never become a key prefix."""
    from chalicelib.adapters import table_keys
    from chalicelib.domain.payments import PAYMENT_ID
    from chalicelib.domain.receipt_codes import FOLIO_PATTERN

    with pytest.raises(ValueError, match="5-digit"):
        table_keys.tenant(code)
    assert not PAYMENT_ID.match(f"{code}-01JQ0000000000000000000000")
    assert not re.match(FOLIO_PATTERN, f"{code}-2027-000001")


def test_the_rate_limits_docs_promise_are_the_defaults():
    """docs/security.md and docs/integration.md name these figures."""
    fields = Settings.model_fields
    assert fields["rate_limit_window_s"].default == 600
    assert fields["rate_limit_failures_per_payment"].default == 10
    assert fields["rate_limit_failures_per_source"].default == 50
    assert fields["signing_otp_daily_max_failures"].default == 20
    assert fields["presigned_url_max_s"].default == 900
