"""`make bench`: SEM's performance figures, written to bench/results.json.

Targets are checked here, never as timing asserts in the test suite. Each benchmark returns a
dict of figures; a figure over its target is reported (and makes the exit code 1) without
stopping the others. Figures from moto measure our code's overhead, not AWS's latency.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"

# name -> (figure key, upper bound)
TARGETS: dict[str, tuple[str, float]] = {
    "import_app": ("median_ms", 1500.0),
    "health_route": ("p95_ms", 250.0),
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def bench_import_app(runs: int = 7) -> dict[str, Any]:
    """Cold import of `app` (what every API cold start pays), in a fresh interpreter each run."""
    code = "import time; t=time.perf_counter(); import app; print((time.perf_counter()-t)*1000)"
    samples = [float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                                    text=True, check=True).stdout) for _ in range(runs)]
    return {"runs": runs, "median_ms": round(statistics.median(samples), 1),
            "max_ms": round(max(samples), 1)}


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


BENCHMARKS: dict[str, Callable[[], dict[str, Any]]] = {
    "import_app": bench_import_app,
    "health_route": bench_health_route,
}


def main() -> int:
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "benchmarks": {},
    }
    over = []
    for name, bench in BENCHMARKS.items():
        print(f"bench {name}…", flush=True)
        figures = bench()
        target = TARGETS.get(name)
        if target:
            key, bound = target
            figures["target"] = {key: bound}
            figures["within_target"] = figures[key] <= bound
            if not figures["within_target"]:
                over.append(f"{name}: {key} {figures[key]} > {bound}")
        results["benchmarks"][name] = figures
        print(f"  {json.dumps(figures)}", flush=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {RESULTS}")
    if over:
        print("over target:", *over, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
