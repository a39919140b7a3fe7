"""Receipt build and signature times (`make bench` wires `bench_receipts` into bench/results.json).

Runs against in-process moto: the KMS Sign call costs moto's overhead (~6 ms here), not AWS's
latency. The first build and the first signature (imports, font metrics, key set-up) are left
out of the medians and reported on their own.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def _timed(function: Callable[[], Any], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
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
        from chalicelib.domain.errors import NotFound
        from chalicelib.receipts.pdf import build_receipt_pdf
        from chalicelib.receipts.sample import sample_document
        from chalicelib.signing.ca import SignerMunicipality, ensure_receipt_signer
        from chalicelib.signing.certificates import Official
        from chalicelib.signing.kms_keys import KmsKeys
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
        credentials = ensure_receipt_signer(
            kms, MemoryStore(),
            municipality=SignerMunicipality(code="13101", name="Santiago",
                                            legal_name="Ilustre Municipalidad de Santiago"),
            official=Official(name="Juan Pérez Soto", run="12345678-5", profile="tesorero"),
        )
        document = sample_document()

        def sign(pdf: bytes) -> bytes:
            return sign_receipt_pdf(pdf, credentials=credentials, kms=kms, signer_name="Juan Pérez Soto",
                                    signer_role="Tesorero Municipal", location="Santiago")

        first_build = _timed(lambda: build_receipt_pdf(document), 1)[0]
        pdf = build_receipt_pdf(document)
        before = client.sign_calls
        first_sign = _timed(lambda: sign(pdf), 1)[0]
        calls_per_receipt = client.sign_calls - before
        build = _timed(lambda: build_receipt_pdf(document), runs)
        signing = _timed(lambda: sign(pdf), runs)
        kms_sign = _timed(lambda: kms.sign(credentials.key_id, b"x" * 300), runs)
        signed = sign(pdf)

    return {
        "runs": runs,
        "build": _figures(build),
        "sign": _figures(signing),
        "moto_kms_sign": _figures(kms_sign),
        "first_build_ms": round(first_build, 1),
        "first_sign_ms": round(first_sign, 1),
        "kms_sign_calls_per_receipt": calls_per_receipt,
        "pdf_bytes": len(pdf),
        "signed_pdf_bytes": len(signed),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_receipts(), indent=2))
