"""Receipt signatures against moto's KMS and S3: the platform CA, the municipality's signer
certificate, one KMS call per receipt, validation by pyHanko and by independent tools."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.adapters.kms_keys import KmsKeys
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.documents.receipt_pdf import build_receipt_pdf
from chalicelib.documents.receipt_sample import sample_document
from chalicelib.domain.errors import NotFound
from chalicelib.signing.ca import (
    SignerMunicipality,
    ca_chain_pem,
    ensure_receipt_signer,
    load_receipt_signer,
)
from chalicelib.signing.certificates import CertificateHolder, split_pem
from chalicelib.signing.pades import sign_receipt_pdf
from chalicelib.signing.verify import verify_receipt_pdf
from infra.bootstrap import CA_KEY_ALIAS, ensure_signing_key
from tests.support.pdfs import openssl_verify

SANTIAGO = SignerMunicipality(code="13101", name="Santiago", legal_name="Ilustre Municipalidad de Santiago")
TESORERO = CertificateHolder(name="Juan Pérez Soto", run="12345678-5", profile="tesorero")


class CountingKms:
    """The boto3 KMS client, counting the Sign calls made through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.sign_calls = 0

    def sign(self, **kwargs: Any) -> Any:
        self.sign_calls += 1
        return self._client.sign(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@pytest.fixture
def kms_client(aws):
    client = boto3.client("kms", region_name="us-east-1")
    ensure_signing_key(client, CA_KEY_ALIAS, "SEM platform certificate authority")
    return CountingKms(client)


@pytest.fixture
def store(aws):
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="sem-test-receipts")
    return ObjectStore(s3, "sem-test-receipts")


@pytest.fixture
def signed(kms_client, store):
    """A receipt signed by Santiago's tesorero, with the CA PEM and the KMS Sign calls it took.

    It is the process's second signature with that key and certificate, so its CMS comes from the
    signer's template (`KmsSigner`); `first_pdf` is the first one, assembled by pyHanko itself.
    """
    kms = KmsKeys(kms_client)
    credentials = ensure_receipt_signer(kms, store, municipality=SANTIAGO, official=TESORERO)
    pdf = build_receipt_pdf(sample_document())

    def sign() -> bytes:
        return sign_receipt_pdf(pdf, credentials=credentials, kms=kms, signer_name=TESORERO.name,
                                signer_role="Tesorero Municipal", location="Santiago")

    before = kms_client.sign_calls
    first_pdf = sign()
    first_calls = kms_client.sign_calls - before
    before = kms_client.sign_calls
    signed_pdf = sign()
    return {"pdf": signed_pdf, "first_pdf": first_pdf, "ca_pem": ca_chain_pem(store),
            "sign_calls": kms_client.sign_calls - before, "first_sign_calls": first_calls}


def test_ca_and_signer_certificates_are_issued_once_and_chain(kms_client, store):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    kms = KmsKeys(kms_client)
    first = ensure_receipt_signer(kms, store, municipality=SANTIAGO, official=TESORERO)
    calls = kms_client.sign_calls
    again = ensure_receipt_signer(kms, store, municipality=SANTIAGO, official=TESORERO)
    assert again == first
    assert kms_client.sign_calls == calls  # nothing re-issued
    assert load_receipt_signer(store, "13101") == first

    ca = x509.load_pem_x509_certificate(ca_chain_pem(store))
    cert = x509.load_der_x509_certificate(first.certificate_der)
    ca.verify_directly_issued_by(ca)
    cert.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    subject = {attr.oid: attr.value for attr in cert.subject}
    assert subject[NameOID.COMMON_NAME] == "Juan Pérez Soto"
    assert subject[NameOID.SERIAL_NUMBER] == "12345678-5"
    assert subject[NameOID.ORGANIZATION_NAME] == "Ilustre Municipalidad de Santiago"
    assert subject[NameOID.ORGANIZATIONAL_UNIT_NAME] == "tesorero"
    assert subject[NameOID.LOCALITY_NAME] == "Santiago"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert usage.value.content_commitment  # nonRepudiation
    assert not usage.value.key_cert_sign
    assert first.key_id == "alias/sem/13101/receipts"

    # Only certificates are stored, under the owner's code.
    listed = store._client.list_objects_v2(Bucket=store.bucket)["Contents"]
    keys = sorted(item["Key"] for item in listed)
    assert "13101/signing/receipts.pem" in keys
    assert "00000/signing/ca.pem" in keys
    assert all(key.startswith(("13101/signing/", "00000/signing/")) for key in keys)
    for key in keys:
        body = store.get(key)
        assert b"PRIVATE" not in body
        assert len(split_pem(body)) == body.count(b"-----BEGIN CERTIFICATE-----")


def test_a_new_official_gets_a_new_certificate_for_the_same_key(kms_client, store):
    kms = KmsKeys(kms_client)
    first = ensure_receipt_signer(kms, store, municipality=SANTIAGO, official=TESORERO)
    subrogante = CertificateHolder(name="Ana Rojas Díaz", run="9876543-3", profile="tesorero_subrogante")
    second = ensure_receipt_signer(kms, store, municipality=SANTIAGO, official=subrogante)
    assert second.certificate_der != first.certificate_der
    assert second.key_id == first.key_id
    assert load_receipt_signer(store, "13101") == second
    soon = datetime.now(UTC) + timedelta(days=729)
    renewed = ensure_receipt_signer(kms, store, municipality=SANTIAGO, official=subrogante, now=soon)
    assert renewed.certificate_der != second.certificate_der


def test_unknown_municipality_has_no_signer(store):
    with pytest.raises(NotFound):
        load_receipt_signer(store, "05101")


def test_signing_a_receipt_costs_one_kms_call_and_validates(signed):
    assert signed["sign_calls"] == 1
    result = verify_receipt_pdf(signed["pdf"], signed["ca_pem"])
    assert result.valid, result.reason
    assert result.intact
    assert result.trusted
    assert result.covers_whole_file
    assert result.signer_common_name == "Juan Pérez Soto"
    assert result.signer_serial_number == "12345678-5"
    assert "Ilustre Municipalidad de Santiago" in result.signer_subject
    assert result.signing_time is not None
    assert abs(datetime.now(UTC) - result.signing_time) < timedelta(minutes=5)
    assert b"/Reason (Comprobante de pago)" in signed["pdf"]
    assert b"/SubFilter /ETSI.CAdES.detached" in signed["pdf"]


def test_the_first_signature_of_a_process_is_as_valid(signed, tmp_path):
    assert signed["first_sign_calls"] == 1
    result = verify_receipt_pdf(signed["first_pdf"], signed["ca_pem"])
    assert result.valid, result.reason
    if shutil.which("openssl"):
        (tmp_path / "ca.pem").write_bytes(signed["ca_pem"])
        assert openssl_verify(signed["first_pdf"], tmp_path).returncode == 0


def test_the_cms_template_gives_the_bytes_pyhanko_assembles(kms_client, store):
    """A signer kept between documents fills the CMS of its first signature with the next
    document's digest and signature: byte for byte what pyHanko assembles itself (PKCS#1 v1.5
    signatures are deterministic), whatever the signing time (PAdES leaves it out of the CMS)."""
    import asyncio
    import hashlib

    from asn1crypto import x509
    from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes

    from chalicelib.signing.kms_signer import KmsSigner

    kms = KmsKeys(kms_client)
    credentials = ensure_receipt_signer(kms, store, municipality=SANTIAGO, official=TESORERO)

    def new_signer() -> KmsSigner:
        return KmsSigner(kms, credentials.key_id, x509.Certificate.load(credentials.certificate_der),
                         tuple(x509.Certificate.load(der) for der in credentials.chain_der))

    def cms(signer: KmsSigner, document: bytes, minutes: int) -> bytes:
        settings = PdfCMSSignedAttributes(signing_time=datetime.now(UTC) + timedelta(minutes=minutes))
        content_info = asyncio.run(signer.async_sign(hashlib.sha256(document).digest(), "sha256", use_pades=True,
                                                     signed_attr_settings=settings))
        return bytes(content_info.dump())

    kept, fresh = new_signer(), new_signer()
    cms(kept, b"first receipt", 0)
    assert kept.cms_template is not None
    before = kms_client.sign_calls
    from_template = cms(kept, b"second receipt", 1)
    assert kms_client.sign_calls - before == 1
    assert from_template == cms(fresh, b"second receipt", 2)
    assert from_template != cms(fresh, b"third receipt", 3)


def test_one_changed_byte_makes_the_receipt_invalid(signed):
    tampered = tamper(signed["pdf"])
    result = verify_receipt_pdf(tampered, signed["ca_pem"])
    assert not result.valid
    assert not result.intact


def test_another_ca_does_not_trust_the_receipt(signed, kms_client, store):
    from chalicelib.signing.certificates import build_ca_certificate, pem

    kms = KmsKeys(kms_client)
    other_key = kms.ensure_key("alias/sem/other-ca", "another CA")
    other = build_ca_certificate(public_key_der=kms.public_key_der(other_key),
                                 sign=lambda tbs: kms.sign(other_key, tbs), common_name="Otra CA",
                                 organization="Otra", now=datetime.now(UTC), valid_for=timedelta(days=30))
    result = verify_receipt_pdf(signed["pdf"], pem(other))
    assert result.intact
    assert not result.trusted
    assert not result.valid


# -- independent validators ---------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command")
def test_openssl_verifies_the_cms_and_rejects_a_changed_byte(signed, tmp_path):
    (tmp_path / "ca.pem").write_bytes(signed["ca_pem"])
    assert openssl_verify(signed["pdf"], tmp_path).returncode == 0
    assert openssl_verify(tamper(signed["pdf"]), tmp_path).returncode != 0


@pytest.mark.skipif(not (shutil.which("pdfsig") and shutil.which("certutil")),
                    reason="needs poppler-utils (pdfsig) and libnss3-tools (certutil)")
def test_pdfsig_finds_the_signature_valid_and_trusted(signed, tmp_path):
    nss = f"sql:{tmp_path}"
    (tmp_path / "ca.pem").write_bytes(signed["ca_pem"])
    subprocess.run(["certutil", "-N", "-d", nss, "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", nss, "-n", "sem-ca", "-t", "CT,C,C", "-i",
                    str(tmp_path / "ca.pem")], check=True)
    (tmp_path / "good.pdf").write_bytes(signed["pdf"])
    (tmp_path / "bad.pdf").write_bytes(tamper(signed["pdf"]))

    good = subprocess.run(["pdfsig", "-nssdir", nss, str(tmp_path / "good.pdf")], capture_output=True,
                          text=True).stdout
    assert "Signature Validation: Signature is Valid." in good
    assert "Certificate Validation: Certificate is Trusted." in good
    assert "Total document signed" in good
    bad = subprocess.run(["pdfsig", "-nssdir", nss, str(tmp_path / "bad.pdf")], capture_output=True,
                         text=True).stdout
    assert "Signature is Valid." not in bad


def tamper(pdf: bytes) -> bytes:
    """The same PDF with one byte of the signed range changed (a digit of the folio in /Subject)."""
    index = pdf.index(b"folio 13101-2027-000123") + len(b"folio 13101-2027-00012")
    return pdf[:index] + b"4" + pdf[index + 1:]
