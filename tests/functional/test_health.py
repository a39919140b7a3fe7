"""GET /v1/health against moto, and the error envelope of the API."""

from __future__ import annotations

import json

from devstack.ports import free_port


def body(response):
    return json.loads(response.body)


def test_health_is_ok_when_every_dependency_answers(client):
    response = client.http.get("/v1/health")
    assert response.status_code == 200
    payload = body(response)
    assert payload["status"] == "ok"
    assert set(payload["checks"]) == {"table", "receipts_bucket", "uploads_bucket", "assets_bucket",
                                      "receipts_queue"}
    assert all(check["status"] == "ok" for check in payload["checks"].values())
    assert response.headers["X-Request-Id"]


def test_health_is_503_with_retry_after_when_a_dependency_is_down(client, monkeypatch):
    from chalicelib import wiring

    dead = f"http://127.0.0.1:{free_port()}/health"
    monkeypatch.setenv("SEM_HEALTH_PROBES", json.dumps({"tgr_simulator": dead}))
    wiring.reset()
    response = client.http.get("/v1/health")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    payload = body(response)
    assert payload["status"] == "degraded"
    assert payload["checks"]["tgr_simulator"]["status"] == "down"
    assert payload["checks"]["table"]["status"] == "ok"


def test_health_reports_a_missing_table(client, monkeypatch):
    from chalicelib import wiring

    monkeypatch.setenv("SEM_TABLE_NAME", "no-such-table")
    wiring.reset()
    response = client.http.get("/v1/health")
    assert response.status_code == 503
    assert body(response)["checks"]["table"]["status"] == "down"


def test_wrong_method_answers_in_the_envelope(client):
    response = client.http.post("/v1/health", body=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 405
    error = body(response)["error"]
    assert error["code"] == "method_not_allowed"
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert set(error) == {"code", "message", "field", "request_id"}
