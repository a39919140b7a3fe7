"""The local platform as `make run` starts it: up, healthy, answering in the envelope, and gone
without a trace after Ctrl-C."""

from __future__ import annotations

import requests

from devstack.ports import is_free
from tests.support.e2e.stack import start_stack


def test_health_is_ok_with_every_check(running_stack):
    response = requests.get(f"{running_stack.url('api')}/v1/health", timeout=10)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["status"] == "ok"
    expected = {"table", "receipts_bucket", "uploads_bucket", "assets_bucket", "receipts_queue",
                "tgr_simulator", "soap_simulator", "claveunica_simulator"}
    assert set(payload["checks"]) == expected
    assert {name for name, c in payload["checks"].items() if c["status"] != "ok"} == set()


def test_unknown_route_answers_404_in_the_envelope(running_stack):
    response = requests.get(f"{running_stack.url('api')}/v1/no-such-route", timeout=10)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found"
    assert error["request_id"] == response.headers["X-Request-Id"]


def test_console_is_served_with_the_api_address(running_stack):
    page = requests.get(running_stack.url("console"), timeout=10)
    assert page.status_code == 200
    assert "Consola municipal" in page.text
    config = requests.get(f"{running_stack.url('console')}/config.js", timeout=10)
    assert running_stack.url("api") in config.text


def test_banner_prints_every_url_and_the_demo_credentials(running_stack):
    output = "".join(running_stack.output)
    for name in ("api", "console", "tgr", "soap", "moto"):
        assert running_stack.url(name) in output
    assert "tesorero@munistgo.demo" in output
    assert "Sem-Demo-2027" in output


def test_ctrl_c_stops_everything_and_frees_every_port(tmp_path):
    stack = start_stack(tmp_path)
    assert requests.get(f"{stack.url('api')}/v1/health", timeout=10).status_code == 200
    assert stack.stop() == 0
    assert "Stopped." in "".join(stack.output)
    assert [name for name, port in stack.ports.items() if not is_free(port)] == []


def test_a_taken_port_gets_a_clear_message(running_stack):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SEM_API_PORT": str(running_stack.ports["api"])}
    result = subprocess.run([sys.executable, "-m", "devstack.run"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert f"Port {running_stack.ports['api']} (api) is already in use" in result.stderr
    assert "SEM_API_PORT=<port>" in result.stderr
