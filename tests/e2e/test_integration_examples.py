"""docs/integration.md's examples run as written against the local stack: the curl script, the PHP
class (Debian's php-cli) and the JavaScript module (this machine's node, fetch only) each quote a
permit, start its payment (replaying it with the same Idempotency-Key), and — once the TGR
simulator approves — read it as paid with its receipt. A wrong portal key gives the error envelope."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from tests.support.e2e.portal import portal_key

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
# runner, script and the fixture plate each example pays (docs/prerequisites.md)
LANGUAGES = {
    "curl": (["sh"], "sem.sh", "BDFG31"),
    "php": (["php"], "sem.php", "BDFG32"),
    "javascript": (["node"], "sem.mjs", "BDFG33"),
}


def run(language: str, stack, *args: str, key: str | None = None, env: dict[str, str] | None = None):
    runner, script, _ = LANGUAGES[language]
    if shutil.which(runner[0]) is None:
        pytest.fail(f"{runner[0]} is missing: `make system-deps` installs it (Debian's php-cli)")
    environ = {"PATH": os.environ["PATH"], "SEM_API_URL": stack.url("api"), "SEM_MUNICIPALITY": "13101",
               "SEM_API_KEY": key or portal_key(stack), **(env or {})}
    done = subprocess.run([*runner, str(EXAMPLES / script), *args], env=environ, capture_output=True, text=True,
                          timeout=60, check=False)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None, done.stderr


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_example_quotes_pays_and_reads_the_receipt(running_stack, language):
    plate = LANGUAGES[language][2]
    code, quote, err = run(language, running_stack, "quote", plate.lower(), "2027")
    assert code == 0, err
    assert quote["vehicle"]["plate"] == plate
    assert quote["payable"] is True, quote["reasons"]

    key = str(uuid.uuid4())
    pay_args = ("pay", plate, "2027", "12.345.678-5", "María Pérez Soto", "maria.perez@ciudadano.demo",
                f"{running_stack.url('demo_site')}/retorno.html")
    code, payment, err = run(language, running_stack, *pay_args, env={"SEM_IDEMPOTENCY_KEY": key})
    assert code == 0, err
    assert payment["status"] == "pending"
    assert payment["amount"] == quote["amounts"]["full"]
    code, replay, err = run(language, running_stack, *pay_args, env={"SEM_IDEMPOTENCY_KEY": key})
    assert code == 0, err
    assert replay == payment  # a retry with the same key creates nothing new

    order_id = payment["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
    done = requests.post(f"{running_stack.url('tgr')}/simulator/orders/{order_id}/complete",
                         json={"outcome": "approved"}, timeout=30)
    assert done.json()["sem_body"]["status"] == "paid", done.text

    status = None
    for _ in range(60):
        code, status, err = run(language, running_stack, "status", payment["payment_id"], payment["access_token"])
        assert code == 0, err
        if status.get("receipt"):
            break
        time.sleep(0.5)
    assert status["status"] == "paid"
    assert status["receipt"]["folio"].startswith("13101-")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_example_reports_sems_error_envelope(running_stack, language):
    wrong = "sem_13101_00000000_" + "x" * 43
    code, body, _err = run(language, running_stack, "quote", "BBBB10", "2027", key=wrong)
    assert code != 0  # 1 for PHP and JavaScript, 22 (an HTTP error) for curl
    assert body["error"]["code"] == "invalid_api_key"
    assert body["error"]["request_id"]
    assert "X-Api-Key" in body["error"]["message"] or "clave" in body["error"]["message"]
