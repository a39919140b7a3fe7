"""What each backend's signature is called (Ley N° 19.799, art. 2 letras f y g): never more than it
is, the whole legend in the receipt's signature block, and old records read as what signed them."""

from __future__ import annotations

import dataclasses

import pytest

from chalicelib.documents.receipt_pdf import SIGNATURE_BOX, SIGNATURE_NOTE, build_receipt_pdf
from chalicelib.documents.receipt_sample import sample_document
from chalicelib.domain.signature_kinds import (
    PLATFORM_CA_NAME,
    describe,
    firmagob_kind,
    kind_of_record,
    platform_kind,
)
from chalicelib.signing.ca import CA_COMMON_NAME
from tests.support.pdfs import page_text

LONG_ISSUER = "Autoridad Certificadora del Estado de Chile - Firma Electrónica Avanzada G2"


def test_the_platform_ca_is_a_simple_signature_and_firmagob_an_advanced_one():
    simple, advanced = platform_kind(), firmagob_kind("FirmaGob CA")
    assert (simple.level, simple.accredited, simple.issuer) == ("simple", False, CA_COMMON_NAME)
    assert PLATFORM_CA_NAME == CA_COMMON_NAME
    for text in (simple.legend(), simple.sentence()):
        assert "avanzada" not in text
        assert "simple" in text
        assert "Ley N° 19.799" in text
    for text in (advanced.legend(), advanced.sentence()):
        assert "avanzada" in text
        assert "FirmaGob" in text
        assert "FirmaGob CA" in text
    assert "avanzada" not in SIGNATURE_NOTE
    assert "simple" not in SIGNATURE_NOTE


def test_a_record_from_before_the_kind_was_kept_is_the_platform_cas():
    assert kind_of_record({"status": "signed", "format": "PAdES B-B"}) == platform_kind()
    assert kind_of_record(None) == platform_kind()
    assert kind_of_record(firmagob_kind("X").record()) == firmagob_kind("X")
    assert describe({})["level_text"] == "firma electrónica simple"
    assert describe(firmagob_kind("X").record())["trust_chain"] == "/v1/trust/firmagob.pem"


@pytest.mark.parametrize("kind", [platform_kind(), firmagob_kind(LONG_ISSUER)], ids=["simple", "avanzada"])
def test_the_whole_legend_is_printed_in_the_signature_block(kind):
    from reportlab.lib.utils import simpleSplit

    x1, _, x2, _ = SIGNATURE_BOX
    lines = simpleSplit(kind.legend(), "Helvetica", 6, (x2 + 8) - (x1 - 8) - 20)
    assert len(lines) <= 3  # the block prints three lines
    pdf = build_receipt_pdf(dataclasses.replace(sample_document(), signature_note=kind.legend()))
    assert " ".join(page_text(pdf).split()).count(" ".join(kind.legend().split())) == 1


def test_the_firmagob_backend_does_not_start_without_its_url_chain_and_source(monkeypatch):
    from pydantic import ValidationError

    from chalicelib.settings import Settings

    monkeypatch.setenv("SEM_SIGNING_BACKEND", "firmagob")
    with pytest.raises(ValidationError, match="SEM_FIRMAGOB_URL, SEM_FIRMAGOB_CHAIN_PATH, SEM_FIRMAGOB_CHAIN_SOURCE"):
        Settings()
    monkeypatch.setenv("SEM_FIRMAGOB_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("SEM_FIRMAGOB_CHAIN_PATH", "assets/trust/firmagob.pem")
    monkeypatch.setenv("SEM_FIRMAGOB_CHAIN_SOURCE", "FirmaGob's publication, 2027-01-05")
    assert Settings().signing_backend == "firmagob"


def test_a_configured_chain_file_without_certificates_is_an_error(tmp_path):
    from chalicelib.signing.trust import issuer_name, read_chain

    assert read_chain("") == b""
    assert issuer_name(b"") == ""
    empty = tmp_path / "chain.pem"
    empty.write_bytes(b"not a certificate\n")
    with pytest.raises(ValueError, match="no certificate"):
        read_chain(str(empty))
    with pytest.raises(FileNotFoundError):
        read_chain(str(tmp_path / "missing.pem"))
