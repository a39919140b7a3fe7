"""`make bench`: SEM's performance figures, written to bench/results.json (docs/performance.md).

The figures issue #10 asks for are at the top level of results.json, under the names below
(`SUMMARY_KEYS`); every benchmark's full figures are under `benchmarks`. Targets are checked
here, never as timing asserts in the test suite: a figure over its target is reported (and makes
the exit code 1) without stopping the others. Figures from moto measure our code's overhead,
not AWS's latency. `BENCH_ONLY=flow,receipts make bench` runs some benchmarks only (the summary
then holds only their keys).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"

# name -> (figure key, upper bound), or several of them
TARGETS: dict[str, tuple[str, float] | list[tuple[str, float]]] = {
    "cold_start": ("api_import_ratio", 1.15),
    "health_route": ("p95_ms", 250.0),
    "simulate_route": ("p95_ms", 150.0),
    # moto's DynamoDB costs ~80 ms a call here (it sorts the whole table on each query), so the
    # latency of a payment on moto says little about AWS; the calls a payment makes is what our code
    # controls, and what AWS bills and waits for (single-digit ms each there).
    "payment_create": ("dynamodb_calls_per_request", 12.0),
    "receipts": ("receipt_ms", 100.0),  # naive pyHanko use: ~140 ms
    # Issue #18: one complete payment (quote → create → TGR's notification → receipt → e-mail),
    # DynamoDB units computed from item sizes, indexes included (bench/aws_meter.py).
    "flow": [("ddb_wcu_per_payment", 12.0), ("ddb_rcu_per_payment", 6.0), ("scans", 0)],
    "cost": [("usd_per_1000_payments_without_email", 0.06)],
    "peak": ("max_share_of_partition_limit", round(1 / 3, 4)),  # bench/peak.py, docs/capacity.md
}

SUMMARY_KEYS = (
    "api_import_ratio", "api_import_ms", "baseline_import_ms", "worker_import_ms",
    "receipt_ms", "receipt_floor_ms", "receipt_floor_ratio",
    "quote_cpu_ms", "create_payment_cpu_ms", "notification_cpu_ms", "receipt_job_cpu_ms",
    "ddb_wcu_per_payment", "ddb_rcu_per_payment", "scans", "aws_calls_per_payment",
    "usd_per_1000_payments", "usd_per_1000_payments_without_email",
    "load_payments_per_second", "load_receipt_share",
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def bench_health_route(requests: int = 200) -> dict[str, Any]:
    """`GET /v1/health` through Chalice's test client against in-process moto."""
    from chalice.test import Client
    from moto import mock_aws

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "WARNING"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        from chalicelib import wiring
        from devstack.provisioning import provision

        for name, value in provision(None, stage="bench", with_demo_data=False)["env"].items():
            os.environ[name] = value
        wiring.reset()
        from app import app

        with Client(app, stage_name="test") as client:
            client.http.get("/v1/health")
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                response = client.http.get("/v1/health")
                samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        wiring.reset()
    return {"requests": requests, "p50_ms": round(percentile(samples, 0.5), 2),
            "p95_ms": round(percentile(samples, 0.95), 2)}


def bench_citizen_routes(requests: int = 30) -> dict[str, dict[str, Any]]:
    """The permit calculator and payment creation through the app against in-process moto
    (TGR replaced by an in-process stand-in, so the figure is SEM's own work)."""
    import json as _json

    from chalice.test import Client
    from moto import mock_aws

    from chalicelib.adapters.tgr_client import GatewayOrder

    class Gateway:
        def create_order(self, *, payment_id: str, **_: Any) -> GatewayOrder:
            return GatewayOrder(f"TGR-{payment_id}", f"http://127.0.0.1:9/checkout/TGR-{payment_id}")

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "WARNING",
                       "SEM_VEHICLE_REGISTRY": "demo"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    with mock_aws():
        from chalicelib import wiring
        from chalicelib.adapters import table_keys
        from devstack.provisioning import provision

        facts = provision(None, stage="bench", with_demo_users=False)
        for name, value in facts["env"].items():
            os.environ[name] = value
        wiring.reset()
        table = wiring.data_table()
        for i in range(requests):
            plate = f"BC{'BCDFGHJKLPRSTVWXYZ'[i // 18 % 18]}{'BCDFGHJKLPRSTVWXYZ'[i % 18]}{10 + i % 90}"
            table.put({"pk": table_keys.vehicle("13101", plate), "sk": "DATA", "plate": plate, "vehicle_class": "light",
                       "make": "Bench", "model": "Car", "model_year": 2018, "propulsion": "combustion",
                       "tasacion": 5_000_000 + i * 1000, "owner_rut": "11111111-1", "owner_name": "Bench"})
        real_context = wiring.payment_context

        def context() -> Any:
            ctx = real_context()
            ctx.gateway = Gateway()  # type: ignore[assignment]
            return ctx

        wiring.payment_context = context
        from app import app

        simulate: list[float] = []
        create: list[float] = []
        look_up: list[float] = []
        calls = {"n": 0}

        def count(**_: Any) -> None:
            calls["n"] += 1

        table._client.meta.events.register("before-call.dynamodb", count)
        headers = {"Content-Type": "application/json", "X-Api-Key": facts["portal_keys"]["13101"]}
        with Client(app, stage_name="test") as client:
            body = _json.dumps({"vehicle_class": "light", "tasacion": 7_460_000, "year": 2027}).encode()
            for _ in range(requests):
                started = time.perf_counter()
                response = client.http.post("/v1/municipalities/13101/permits/simulate", body=body,
                                            headers={"Content-Type": "application/json"})
                simulate.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.body
            calls["n"] = 0
            for i in range(requests):
                plate = f"BC{'BCDFGHJKLPRSTVWXYZ'[i // 18 % 18]}{'BCDFGHJKLPRSTVWXYZ'[i % 18]}{10 + i % 90}"
                payment = _json.dumps({"items": [{"type": "permit", "plate": plate, "year": 2027}],
                                       "payer": {"rut": "11111111-1", "name": "Bench", "email": "b@bench.demo"},
                                       "return_url": "http://127.0.0.1/retorno"}).encode()
                started = time.perf_counter()
                response = client.http.post("/v1/municipalities/13101/payments", body=payment,
                                            headers={**headers, "Idempotency-Key": f"bench-{i}"})
                create.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 201, response.body
            create_calls, calls["n"] = calls["n"] / requests, 0
            for i in range(requests):  # the inspectors' look-up (issue 17): JSON, then the page
                plate = f"BC{'BCDFGHJKLPRSTVWXYZ'[i // 18 % 18]}{'BCDFGHJKLPRSTVWXYZ'[i % 18]}{10 + i % 90}"
                started = time.perf_counter()
                response = client.http.get(f"/v1/permits/{plate}?year=2027", headers={"Accept": "application/json"})
                look_up.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.body
            look_up_calls = calls["n"] / requests
            page = client.http.get("/v1/inspector?plate=BCBB10&year=2027", headers={"Accept": "text/html"})
            page_bytes = len(page.body)
        wiring.payment_context = real_context
        wiring.reset()
    return {
        "simulate_route": {"requests": requests, "p50_ms": round(percentile(simulate, 0.5), 2),
                           "p95_ms": round(percentile(simulate, 0.95), 2)},
        "payment_create": {"requests": requests, "p50_ms_on_moto": round(percentile(create, 0.5), 2),
                           "p95_ms_on_moto": round(percentile(create, 0.95), 2),
                           "dynamodb_calls_per_request": round(create_calls, 2)},
        "plate_look_up": {"requests": requests, "p50_ms_on_moto": round(percentile(look_up, 0.5), 2),
                          "p95_ms_on_moto": round(percentile(look_up, 0.95), 2),
                          "dynamodb_calls_per_request": round(look_up_calls, 2), "inspector_page_bytes": page_bytes},
    }


def bench_receipts() -> dict[str, Any]:
    from bench.bench_receipts import bench_receipts as run

    return run()


def bench_reports() -> dict[str, Any]:
    from bench.bench_reports import bench_reports as run

    return run()


def bench_cold_start() -> dict[str, Any]:
    from bench.coldstart import bench_cold_start as run

    return run()


def bench_flow() -> dict[str, Any]:
    from bench.flow import bench_flow as run

    figures = run()
    figures["scans"] = figures["payment"]["scans"] + figures["scans_during_requests"]
    figures["ddb_wcu_per_payment"] = figures["payment"]["ddb_wcu"]
    figures["ddb_rcu_per_payment"] = figures["payment"]["ddb_rcu"]
    return figures


def bench_peak() -> dict[str, Any]:
    from bench.peak import bench_peak as run

    return run()


def bench_load() -> dict[str, Any]:
    from bench.load import bench_load as run

    return run()


BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "cold_start": bench_cold_start,
    "receipts": bench_receipts,
    "flow": bench_flow,
    "peak": bench_peak,
    "health_route": bench_health_route,
    "citizen_routes": bench_citizen_routes,
    "reports": bench_reports,
    "load": bench_load,
}


def summary(benchmarks: dict[str, Any]) -> dict[str, Any]:
    """The figures of issue #10 under their names, from whichever benchmarks ran."""
    out: dict[str, Any] = {}
    if "cold_start" in benchmarks:
        out.update({k: benchmarks["cold_start"][k] for k in SUMMARY_KEYS if k in benchmarks["cold_start"]})
    if "receipts" in benchmarks:
        out.update({k: benchmarks["receipts"][k] for k in SUMMARY_KEYS if k in benchmarks["receipts"]})
    if "flow" in benchmarks:
        flow = benchmarks["flow"]
        for name, figures in flow["cpu_ms"].items():
            out[f"{name}_cpu_ms"] = figures["median"]
        out["ddb_wcu_per_payment"] = flow["payment"]["ddb_wcu"]
        out["ddb_rcu_per_payment"] = flow["payment"]["ddb_rcu"]
        out["scans"] = flow["scans"]
        out["aws_calls_per_payment"] = flow["payment"]["calls_by_service"]
        if "receipts" in benchmarks:
            from bench.cost import cost_per_1000

            cpu = {name: figures["median"] for name, figures in flow["cpu_ms"].items()}
            cost = cost_per_1000(flow["payment"], cpu, benchmarks["receipts"]["signed_pdf_bytes"])
            benchmarks["cost"] = cost
            out["usd_per_1000_payments"] = cost["usd_per_1000_payments"]
            out["usd_per_1000_payments_without_email"] = cost["usd_per_1000_payments_without_email"]
    if "load" in benchmarks:
        out["load_payments_per_second"] = benchmarks["load"]["payments_per_second"]
        out["load_receipt_share"] = benchmarks["load"]["receipt_share"]
    return {k: out[k] for k in SUMMARY_KEYS if k in out}


def check_targets(name: str, figures: dict[str, Any]) -> list[str]:
    """Mark `figures` with their targets (`target`, `within_target`); the figures over target."""
    wanted = TARGETS.get(name)
    if not wanted:
        return []
    bounds = wanted if isinstance(wanted, list) else [wanted]
    figures["target"] = dict(bounds)
    over = [f"{name}: {key} {figures[key]} > {bound}" for key, bound in bounds if figures[key] > bound]
    figures["within_target"] = not over
    return over


def main() -> int:
    only = {n for n in os.environ.get("BENCH_ONLY", "").split(",") if n}
    started = time.monotonic()
    benchmarks: dict[str, Any] = {}
    over = []
    for group, bench in BENCHMARKS.items():
        if only and group not in only:
            continue
        print(f"bench {group}…", flush=True)
        began = time.monotonic()
        produced = bench()
        # A benchmark returns its figures, or several named sets of figures.
        named = produced if all(isinstance(v, dict) for v in produced.values()) else {group: produced}
        for name, figures in named.items():
            over += check_targets(name, figures)
            benchmarks[name] = figures
            print(f"  {name} ({time.monotonic() - began:.0f} s): {json.dumps(figures)[:600]}", flush=True)
    headline = summary(benchmarks)  # also derives benchmarks["cost"] from the flow and the receipts
    if "cost" in benchmarks:
        over += check_targets("cost", benchmarks["cost"])
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average_1m": round(os.getloadavg()[0], 2)},
        **headline,
        "bench_seconds": round(time.monotonic() - started, 1),
        "benchmarks": benchmarks,
    }
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: results[k] for k in SUMMARY_KEYS if k in results}, indent=2))
    print(f"written {RESULTS} in {results['bench_seconds']} s")
    if over:
        print("over target:", *over, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
