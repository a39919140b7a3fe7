"""The health service runs every probe and reports each one."""

from __future__ import annotations

from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.services.health import check_health


def test_all_ok():
    report = check_health({"a": lambda: None, "b": lambda: 1})
    assert report.ok
    assert report.as_dict()["status"] == "ok"
    assert {c["status"] for c in report.checks.values()} == {"ok"}


def test_one_down_makes_it_degraded_and_says_why():
    def down() -> None:
        raise DependencyUnavailable("No responde: ConnectTimeout")

    def bug() -> None:
        raise RuntimeError("x")

    report = check_health({"ok": lambda: None, "down": down, "bug": bug})
    assert not report.ok
    assert report.checks["down"] == {"status": "down", "error": "No responde: ConnectTimeout",
                                     "latency_ms": report.checks["down"]["latency_ms"]}
    assert report.checks["bug"]["status"] == "down"
    assert report.checks["ok"]["status"] == "ok"
