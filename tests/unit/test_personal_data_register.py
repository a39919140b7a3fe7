"""The register of processing is the single source: the public doc, the notice and the retention
periods all come from it (docs/personal-data.md)."""

from __future__ import annotations

from chalicelib.adapters.idempotency_repo import RETENTION_S
from chalicelib.domain import personal_data
from chalicelib.domain.personal_data import CATEGORIES, RETENTION, privacy_notice_text, register_markdown
from infra.privacy_docs import DOC, generated_section


def test_the_doc_carries_the_register_as_generated():
    assert generated_section(DOC.read_text(encoding="utf-8")) == register_markdown(), (
        "run `python -m infra.privacy_docs`")


def test_every_category_names_purpose_basis_storage_and_known_record_types():
    for category in CATEGORIES:
        assert category.purpose
        assert category.basis
        assert category.storage
        assert category.retention
        assert category.records, category.key
        assert set(category.records) <= set(RETENTION), category.key
    assert set().union(*(c.records for c in CATEGORIES)) == set(RETENTION), "a record type no category explains"


def test_bases_follow_the_brief_consent_only_for_reminders():
    bases = {c.key: c.basis.lower() for c in CATEGORIES}
    assert bases["reminders"] == "consentimiento"
    for key in ("payer", "email", "vehicle", "debts"):
        assert "obligación legal" in bases[key]
        assert "función pública" in bases[key]


def test_what_accounting_keeps_is_never_removed_and_the_rest_has_a_period():
    for record in ("payment", "receipt", "audit"):
        assert RETENTION[record].days is None
        assert RETENTION[record].action == "keep"
    for record in ("payer_email", "email_delivery", "unpaid_payer", "idempotency", "rate_limit"):
        assert RETENTION[record].days is not None
        assert RETENTION[record].days <= 180
    assert RETENTION["payer_email"].days < RETENTION["unpaid_payer"].days


def test_an_unconfirmed_legal_source_says_so_in_the_doc():
    text = DOC.read_text(encoding="utf-8")
    for r in RETENTION.values():
        if not r.source.confirmed:
            assert "por confirmar" in r.source.text
    assert "**not confirmed**" in text


def test_the_idempotency_ttl_is_the_register_period():
    assert RETENTION_S == RETENTION["idempotency"].days * 86_400 == 48 * 3600


def test_the_notice_is_spanish_and_says_who_why_how_long_and_how_to_complain():
    text = privacy_notice_text("Municipalidad de Santiago")
    assert "Responsable: Municipalidad de Santiago" in text
    assert "SUBDERE" in text
    assert "30 días corridos" in text
    assert "Agencia de Protección de Datos Personales" in text
    assert "ClaveÚnica aún no está disponible" in text
    for category in CATEGORIES:
        if category.key != "officials":
            assert category.name in text
            assert category.retention[1:] in text
    assert personal_data.RESPONSE_DAYS == 30
