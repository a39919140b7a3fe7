"""The health check: asks each dependency the platform can reach whether it answers."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import SemError

Probe = Callable[[], object]


@dataclass(frozen=True)
class HealthReport:
    """The overall status and each dependency's result."""

    ok: bool
    checks: dict[str, dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ok" if self.ok else "degraded", "checks": self.checks}


def check_health(probes: Mapping[str, Probe]) -> HealthReport:
    """Run every probe at once (each bounded by its own timeout) and collect the results."""

    def run(probe: Probe) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            probe()
        except SemError as exc:
            return {"status": "down", "error": exc.message, "latency_ms": _ms(started)}
        except Exception as exc:  # a health check reports every failure, it never raises
            return {"status": "down", "error": type(exc).__name__, "latency_ms": _ms(started)}
        return {"status": "ok", "latency_ms": _ms(started)}

    if not probes:
        return HealthReport(ok=True, checks={})
    with ThreadPoolExecutor(max_workers=min(8, len(probes))) as pool:
        futures = {name: pool.submit(run, probe) for name, probe in probes.items()}
        checks = {name: future.result() for name, future in sorted(futures.items())}
    return HealthReport(ok=all(c["status"] == "ok" for c in checks.values()), checks=checks)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
