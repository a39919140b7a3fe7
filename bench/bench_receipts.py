"""Receipt build and signature times (`make bench` wires `bench_receipts` into bench/results.json).

`receipt_ms` is the median of building one branded receipt and signing it (PAdES) with the key
operation done by a local RSA-3072 key, the same key type as the KMS keys, certified by the
platform CA like a municipality's key (so the signatures are valid ones, checked:
`signatures_valid`): SEM's own work plus one raw signature. `receipt_floor_ms` is, in the same
run, the physical floor of that job: one raw RSA-3072 PKCS#1 v1.5 signature plus SHA-256 over
the same PDF bytes. In AWS a KMS `Sign` round trip (network wait, no Lambda CPU) replaces the
local signature.

Also kept: the build and the signature measured apart, the signature with KMS in moto (`sign`;
moto's KMS costs its own overhead, not AWS's latency) and with the local key (`sign_local_key`).
The first build and the first signature (imports, font metrics, key set-up, and pyHanko's own
CMS assembly, which the signer keeps as the template of the next ones) are left out of the
medians and reported on their own: every receipt but a process's first sees the warm state.
`kms_sign_calls_per_receipt` counts both the first signature and the next ones.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast


def _timed(function: Callable[[], Any], runs: int) -> list[float]:
    """Thread CPU milliseconds of each run: the work itself, not the waits for a CPU that the
    other processes of this shared machine cause."""
    samples = []
    for _ in range(runs):
        start = time.thread_time()
        function()
        samples.append((time.thread_time() - start) * 1000)
    return samples


def _figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 1)}


def bench_receipts(runs: int = 30) -> dict[str, Any]:
    """Median (and p95) of building the sample receipt PDF and of signing it (PAdES, KMS in moto),
    the KMS Sign calls per receipt, and the document sizes."""
    import boto3
    from moto import mock_aws

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        from chalicelib.adapters.kms_keys import KmsKeys
        from chalicelib.documents.receipt_pdf import build_receipt_pdf
        from chalicelib.documents.receipt_sample import sample_document
        from chalicelib.domain.errors import NotFound
        from chalicelib.signing.ca import SignerMunicipality, ensure_receipt_signer
        from chalicelib.signing.certificates import CertificateHolder
        from chalicelib.signing.pades import sign_receipt_pdf
        from infra.bootstrap import CA_KEY_ALIAS, ensure_signing_key

        class MemoryStore:
            def __init__(self) -> None:
                self.objects: dict[str, bytes] = {}

            def get(self, key: str) -> bytes:
                if key not in self.objects:
                    raise NotFound("missing")
                return self.objects[key]

            def put(self, key: str, body: bytes, *, content_type: str) -> None:
                self.objects[key] = body

        class CountingClient:
            def __init__(self, client: Any) -> None:
                self.client, self.sign_calls = client, 0

            def sign(self, **kwargs: Any) -> Any:
                self.sign_calls += 1
                return self.client.sign(**kwargs)

            def __getattr__(self, name: str) -> Any:
                return getattr(self.client, name)

        client = CountingClient(boto3.client("kms", region_name="us-east-1"))
        ensure_signing_key(client, CA_KEY_ALIAS, "SEM platform certificate authority")
        kms = KmsKeys(client)
        store = MemoryStore()
        credentials = ensure_receipt_signer(
            kms, store,
            municipality=SignerMunicipality(code="13101", name="Santiago",
                                            legal_name="Ilustre Municipalidad de Santiago"),
            official=CertificateHolder(name="Juan Pérez Soto", run="12345678-5", profile="tesorero"),
        )
        document = sample_document()

        def sign(pdf: bytes) -> bytes:
            return sign_receipt_pdf(pdf, credentials=credentials, kms=kms, signer_name="Juan Pérez Soto",
                                    signer_role="Tesorero Municipal", location="Santiago")

        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        from chalicelib.signing.ca import ca_chain_pem
        from chalicelib.signing.certificates import CertificateSubject, build_signer_certificate
        from chalicelib.signing.verify import verify_receipt_pdf

        private_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        # The local key gets its own certificate from the platform CA, so that its signatures are
        # valid ones (checked below) and take the worker's path.
        local_credentials = dataclasses.replace(credentials, certificate_der=build_signer_certificate(
            public_key_der=private_key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo),
            official=CertificateHolder(name="Juan Pérez Soto", run="12345678-5", profile="tesorero"),
            subject=CertificateSubject(legal_name="Ilustre Municipalidad de Santiago", locality="Santiago"),
            issuer_certificate_der=credentials.chain_der[0], sign=lambda tbs: kms.sign(CA_KEY_ALIAS, tbs),
            now=datetime.now(UTC), valid_for=timedelta(days=30)))

        class LocalKeys:
            """KmsKeys' `sign` with a local key of the same type (RSA-3072, PKCS#1 v1.5, SHA-256)."""

            def sign(self, key_id: str, message: bytes) -> bytes:
                return private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())

        local = cast(KmsKeys, LocalKeys())

        def receipt() -> bytes:
            return sign_receipt_pdf(build_receipt_pdf(document), credentials=local_credentials, kms=local,
                                    signer_name="Juan Pérez Soto", signer_role="Tesorero Municipal",
                                    location="Santiago")

        first_build = _timed(lambda: build_receipt_pdf(document), 1)[0]
        pdf = build_receipt_pdf(document)
        before = client.sign_calls
        first_sign = _timed(lambda: sign(pdf), 1)[0]
        first_calls = client.sign_calls - before
        build = _timed(lambda: build_receipt_pdf(document), runs)
        before = client.sign_calls
        signing = _timed(lambda: sign(pdf), runs)
        calls_per_receipt = max(first_calls, (client.sign_calls - before) / runs)  # first and next ones
        kms_sign = _timed(lambda: kms.sign(credentials.key_id, b"x" * 300), runs)
        signed = sign(pdf)
        receipt()

        def sign_local() -> bytes:
            return sign_receipt_pdf(pdf, credentials=local_credentials, kms=local, signer_name="Juan Pérez Soto",
                                    signer_role="Tesorero Municipal", location="Santiago")

        signing_local = _timed(sign_local, runs)
        valid = all(verify_receipt_pdf(document_pdf, ca_chain_pem(store)).valid
                    for document_pdf in (signed, receipt()))
        attributes = b"\x31" * 300  # the DER of the signed attributes is what the key signs

        def floor() -> None:
            hashlib.sha256(signed).digest()
            private_key.sign(attributes, padding.PKCS1v15(), hashes.SHA256())

        # Interleaved, so that both see the same moments of this shared machine.
        whole, floor_samples = [], []
        for _ in range(runs):
            whole += _timed(receipt, 1)
            floor_samples += _timed(floor, 1)

    receipt_ms = round(statistics.median(whole), 1)
    floor_ms = round(statistics.median(floor_samples), 2)
    return {
        "receipt_ms": receipt_ms,
        "receipt_floor_ms": floor_ms,
        "receipt_floor_ratio": round(receipt_ms / floor_ms, 1),
        "receipt_p95_ms": _figures(whole)["p95_ms"],
        "runs": runs,
        "build": _figures(build),
        "sign": _figures(signing),
        "sign_local_key": _figures(signing_local),
        "moto_kms_sign": _figures(kms_sign),
        "first_build_ms": round(first_build, 1),
        "first_sign_ms": round(first_sign, 1),
        "kms_sign_calls_per_receipt": calls_per_receipt,
        "signatures_valid": valid,
        "pdf_bytes": len(pdf),
        "signed_pdf_bytes": len(signed),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_receipts(), indent=2))
