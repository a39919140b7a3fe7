"""AWS cost of 1,000 payments, from the calls and units one payment was measured to make.

List prices of us-east-1 (N. Virginia), on-demand, without free tiers or volume discounts, as
published by AWS and known to us as of 2025-06-01 (this machine cannot browse: check them
against the pricing pages before quoting a figure outside the team). sa-east-1 (São Paulo) is
about 1.3–1.6× these for Lambda, DynamoDB and API Gateway.

Lambda's billed duration is the measured CPU time of each request plus the time it waits for
AWS and for the partners; the waits are assumptions (stated in `WAITS_MS`), not measurements:
nothing here can reach AWS, TGR or the SOAP services.
"""

from __future__ import annotations

from typing import Any

PRICES_AS_OF = "2025-06-01"
REGION = "us-east-1"

PRICES_USD: dict[str, float] = {
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    "apigw_rest_request": 3.50 / 1e6,  # first 333 million a month
    "ddb_wru": 0.625 / 1e6,  # on-demand, after the November 2024 price cut
    "ddb_rru": 0.125 / 1e6,
    "sqs_request": 0.40 / 1e6,  # standard queue, per 64 KB chunk
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,  # HEAD is billed as GET
    "kms_asymmetric_request": 0.15 / 10_000,  # RSA-3072 Sign (asymmetric, not RSA 2048)
    "ses_email": 0.10 / 1000,
    "ses_attachment_gb": 0.12,
}

API_MEMORY_GB = 1.0  # .chalice/config.json, prod: lambda_memory_size 1024
WORKER_MEMORY_GB = 1.5  # handle_receipt_job: 1536

WAITS_MS: dict[str, float] = {
    "dynamodb_call": 6.0,  # single-digit ms in-region, calls made one after another
    "sqs_call": 10.0,
    "s3_call": 20.0,
    "kms_sign": 20.0,  # RSA-3072 Sign round trip
    "ses_call": 60.0,
    "soap_checks": 400.0,  # the quote's three SOAP checks, run in parallel: the slowest one
    "tgr_create_order": 300.0,
}

SQS_EVENT_SOURCE_REQUESTS = 2
"""ReceiveMessage and DeleteMessage by Lambda's event source mapping for each receipt job (its
empty long polls are a fixed cost per queue, a few hundred thousand requests a month)."""


def lambda_ms(cpu_ms: float, calls: dict[str, int], partner_wait_ms: float = 0.0) -> float:
    """Billed milliseconds of one invocation: CPU, plus the AWS calls' and partners' waits."""
    wait = (calls.get("dynamodb", 0) * WAITS_MS["dynamodb_call"] + calls.get("sqs", 0) * WAITS_MS["sqs_call"]
            + calls.get("s3", 0) * WAITS_MS["s3_call"] + calls.get("kms", 0) * WAITS_MS["kms_sign"]
            + calls.get("ses", 0) * WAITS_MS["ses_call"])
    return cpu_ms + wait + partner_wait_ms


def cost_per_1000(flow: dict[str, Any], cpu_ms: dict[str, float], signed_pdf_bytes: int) -> dict[str, Any]:
    """USD per 1,000 payments, with and without the receipt e-mail, and its breakdown."""
    steps = flow["steps"]
    api_steps = {"quote": WAITS_MS["soap_checks"], "create_payment": WAITS_MS["tgr_create_order"],
                 "notification": 0.0}
    api_ms = {name: lambda_ms(cpu_ms[name], steps[name]["calls_by_service"], wait)
              for name, wait in api_steps.items()}
    worker_calls = steps["receipt_and_email"]["calls_by_service"]
    worker_ms = lambda_ms(cpu_ms["receipt_job"], worker_calls)
    worker_ms_no_email = worker_ms - worker_calls.get("ses", 0) * WAITS_MS["ses_call"]

    ops: dict[str, int] = {}
    for figures in steps.values():
        for name, count in figures["calls_by_operation"].items():
            ops[name] = ops.get(name, 0) + count
    s3_puts = sum(c for n, c in ops.items() if n.startswith("s3.Put"))
    s3_gets = sum(c for n, c in ops.items() if n.startswith("s3.") and not n.startswith("s3.Put"))
    attachment_gb = signed_pdf_bytes * 4 / 3 / 1e9  # base64 in the MIME message

    p = PRICES_USD
    per_payment = {
        "lambda_api": sum(api_ms.values()) / 1000 * API_MEMORY_GB * p["lambda_gb_second_arm64"]
        + len(api_ms) * p["lambda_request"],
        "lambda_worker": worker_ms / 1000 * WORKER_MEMORY_GB * p["lambda_gb_second_arm64"] + p["lambda_request"],
        "api_gateway": len(api_ms) * p["apigw_rest_request"],
        "dynamodb": flow["ddb_wcu"] * p["ddb_wru"] + flow["ddb_rcu"] * p["ddb_rru"],
        "sqs": (flow["calls_by_service"].get("sqs", 0) + SQS_EVENT_SOURCE_REQUESTS) * p["sqs_request"],
        "s3": s3_puts * p["s3_put"] + s3_gets * p["s3_get"],
        "kms": flow["calls_by_service"].get("kms", 0) * p["kms_asymmetric_request"],
        "ses": flow["calls_by_service"].get("ses", 0) * (p["ses_email"] + attachment_gb * p["ses_attachment_gb"]),
    }
    with_email = sum(per_payment.values()) * 1000
    worker_saving = (worker_ms - worker_ms_no_email) / 1000 * WORKER_MEMORY_GB * p["lambda_gb_second_arm64"]
    without_email = with_email - (per_payment["ses"] + worker_saving) * 1000
    return {
        "usd_per_1000_payments": round(with_email, 4),
        "usd_per_1000_payments_without_email": round(without_email, 4),
        "breakdown_usd_per_1000": {k: round(v * 1000, 4) for k, v in per_payment.items()},
        "billed_ms": {**{k: round(v, 1) for k, v in api_ms.items()}, "receipt_worker": round(worker_ms, 1)},
        "assumed_waits_ms": WAITS_MS,
        "prices_usd": p,
        "prices_as_of": PRICES_AS_OF,
        "region": REGION,
        "memory_gb": {"api": API_MEMORY_GB, "worker": WORKER_MEMORY_GB},
        "not_included": ["CloudWatch Logs ingestion and storage", "S3 storage of receipts (~27 KB each)",
                         "KMS key-months (1 USD per key, one per municipality plus the CA)",
                         "TGR's and the card networks' fees", "data transfer out"],
    }
