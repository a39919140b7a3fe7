"""The Lambda artifact runs: `make package`'s build (infra/package.py), made for this machine's
architecture as well, unpacked into a clean CPython 3.13 venv holding only boto3 (what Lambda
provides), answers real API Gateway proxy events (health, quote, create payment, TGR's
notification, payment status) with the API handler and an SQS event with the receipt worker,
against moto on loopback — proving the zip carries everything it imports.

Skipped, saying why, on a machine without a python3.13 (as `make compat` is). The wheels and
the boto3 venv are cached under .local/artifact/ (keyed by the requirements and the
interpreter), so only the first run downloads; the package itself is built every run."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import subprocess
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from devstack.ports import free_port
from infra import package

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".local" / "artifact"
DRIVER = Path(__file__).with_name("lambda_driver.py")
LOCAL_AWS = {"AWS_ACCESS_KEY_ID": "local-moto-not-a-secret", "AWS_SECRET_ACCESS_KEY": "local-moto-not-a-secret",
             "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


def python313() -> str | None:
    """A CPython 3.13 on this machine (PATH, then pyenv's), like the Makefile's PY313."""
    pyenv = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.13*/bin/python3.13")))
    candidates = [shutil.which("python3.13"), *pyenv]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; assert sys.version_info[:2] == (3, 13)"],
                               capture_output=True, check=False)
        if probe.returncode == 0:
            return candidate
    return None


PY313 = python313()
pytestmark = pytest.mark.skipif(PY313 is None, reason="no python3.13 on this machine (pyenv's counts): the Lambda "
                                "artifact cannot be run as Lambda runs it")


def boto3_pin() -> str:
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines():
        if line.startswith("boto3=="):
            return line.strip()
    raise AssertionError("requirements-dev.txt pins no boto3")


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The package built for this architecture, unpacked as /var/task is, with its handlers and a
    clean 3.13 venv with boto3 only."""
    assert PY313 is not None
    platforms = package.host_platforms()
    key = hashlib.sha256((ROOT / "requirements.txt").read_bytes() + "|".join((*platforms, PY313, boto3_pin())).encode())
    cache = CACHE / key.hexdigest()[:16]
    wheels, venv = cache / "wheels", cache / "venv"
    if not (cache / ".wheels-done").exists():
        shutil.rmtree(wheels, ignore_errors=True)
        package.download_wheels(wheels, platforms)
        (cache / ".wheels-done").touch()
    if not (cache / ".venv-done").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([PY313, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-qq", "--disable-pip-version-check",
                        boto3_pin()], check=True)
        (cache / ".venv-done").touch()
    work = tmp_path_factory.mktemp("artifact")
    package.stage_app(work / "build", vendor_from=wheels)
    package.chalice_package(work / "build", work / "out", "prod")
    template = yaml.safe_load((work / "out" / "sam.yaml").read_text())
    task = work / "task"
    with zipfile.ZipFile(work / "out" / "deployment.zip") as zf:
        zf.extractall(task)
    handlers = {name: r["Properties"]["Handler"] for name, r in template["Resources"].items()
                if r.get("Type") == "AWS::Serverless::Function"}
    return {"task": task, "python": venv / "bin" / "python", "handlers": handlers}


@pytest.fixture(scope="module")
def aws() -> Iterator[dict[str, Any]]:
    """moto on loopback with SEM's resources and demo data, and the TGR simulator."""
    from moto.server import ThreadedMotoServer

    from devstack.provisioning import provision
    from devstack.simulators.tgr import TgrSimulator

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            for name, value in LOCAL_AWS.items():
                mp.setenv(name, value)
            mp.delenv("AWS_ENDPOINT_URL", raising=False)
            facts = provision(f"http://127.0.0.1:{port}", stage="artifact", with_demo_users=False)
        secret = json.loads(facts["env"]["SEM_TGR_WEBHOOK_SECRETS"])[0]
        with TgrSimulator([secret], free_port()) as tgr:
            yield {"endpoint": f"http://127.0.0.1:{port}", "facts": facts, "tgr": tgr, "secret": secret}
    finally:
        moto.stop()


class Lambda:
    """The artifact's handlers in one 3.13 process, invoked as Lambda invokes them."""

    def __init__(self, artifact: dict[str, Any], env: dict[str, str]) -> None:
        self.process = subprocess.Popen([str(artifact["python"]), "-s", str(DRIVER)], cwd=artifact["task"], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def invoke(self, handler: str, event: dict[str, Any]) -> Any:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"handler": handler, "event": event}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline() or '{"error": "the 3.13 process died"}')
        assert "error" not in answer, answer["error"]
        return answer["result"]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def proxy_event(method: str, resource: str, path: str, *, params: dict[str, str] | None = None,
                query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> dict[str, Any]:
    """An API Gateway (REST, proxy integration) event, as the RestAPI of sam.yaml sends it."""
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "X-Forwarded-For": "203.0.113.9",
               "X-Forwarded-Proto": "https", **(headers or {})}
    request_id = str(uuid.uuid4())
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params or None, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": f"/api{path}", "stage": "api",
                           "requestId": request_id, "requestTimeEpoch": int(time.time() * 1000),
                           "identity": {"sourceIp": "203.0.113.9", "userAgent": "artifact-test"},
                           "accountId": "123456789012", "apiId": "abc123", "protocol": "HTTP/1.1"},
        "body": body.decode() if body is not None else None, "isBase64Encoded": False,
    }


def test_the_artifact_answers_api_gateway_and_sqs_events(artifact, aws):
    import boto3

    from devstack.simulators.tgr import signature_header

    facts = aws["facts"]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(artifact["task"]), "LAMBDA_TASK_ROOT": str(artifact["task"]),
           **LOCAL_AWS, **facts["env"], "AWS_ENDPOINT_URL": aws["endpoint"], "SEM_STAGE": "artifact",
           "SEM_TGR_URL": aws["tgr"].url, "SEM_VEHICLE_REGISTRY": "demo",
           "SEM_PUBLIC_API_URL": "https://abc123.execute-api.us-east-1.amazonaws.com/api"}
    api_handler = artifact["handlers"]["APIHandler"]
    worker_handler = artifact["handlers"]["HandleReceiptJob"]
    lam = Lambda(artifact, env)
    try:
        health = lam.invoke(api_handler, proxy_event("GET", "/v1/health", "/v1/health"))
        assert health["statusCode"] == 200, health
        assert json.loads(health["body"])["status"] == "ok"

        key = facts["portal_keys"]["13101"]
        quote = lam.invoke(api_handler, proxy_event(
            "GET", "/v1/municipalities/{code}/permits/quote", "/v1/municipalities/13101/permits/quote",
            params={"code": "13101"}, query={"plate": "BBBB10", "year": "2027"}, headers={"X-Api-Key": key}))
        assert quote["statusCode"] == 200, quote
        amount = json.loads(quote["body"])["amounts"]["full"]
        assert json.loads(quote["body"])["payable"] is True

        body = {"items": [{"type": "permit", "plate": "BBBB10", "year": 2027, "installment": "full"}],
                "payer": {"rut": "12.345.678-5", "name": "María Pérez Soto", "email": "maria.perez@ciudadano.demo"},
                "return_url": "http://127.0.0.1/pagos/retorno"}
        created = lam.invoke(api_handler, proxy_event(
            "POST", "/v1/municipalities/{code}/payments", "/v1/municipalities/13101/payments",
            params={"code": "13101"}, body=json.dumps(body).encode(),
            headers={"X-Api-Key": key, "Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"}))
        assert created["statusCode"] == 201, created
        payment = json.loads(created["body"])
        assert payment["amount"] == amount
        assert payment["checkout_url"].startswith(aws["tgr"].url)

        notification = json.dumps({
            "notification_id": str(uuid.uuid4()), "order_id": payment["checkout_url"].rsplit("/", 1)[-1],
            "payment_id": payment["payment_id"], "status": "approved", "amount": amount,
            "authorization_code": "123456", "method": "credito",
            "paid_at": datetime.now().astimezone().isoformat(timespec="seconds")}, separators=(",", ":")).encode()
        notified = lam.invoke(api_handler, proxy_event(
            "POST", "/v1/gateways/tgr/notifications", "/v1/gateways/tgr/notifications", body=notification,
            headers={"Content-Type": "application/json",
                     "X-TGR-Signature": signature_header(aws["secret"], notification, int(time.time()))}))
        assert notified["statusCode"] == 200, notified

        sqs = boto3.client("sqs", endpoint_url=aws["endpoint"], region_name="us-east-1",
                           aws_access_key_id=LOCAL_AWS["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=LOCAL_AWS["AWS_SECRET_ACCESS_KEY"])
        queue = facts["env"]["SEM_RECEIPTS_QUEUE_URL"]
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, WaitTimeSeconds=5,
                                       AttributeNames=["All"]).get("Messages", [])
        assert len(messages) == 1, "the paid payment's receipt job is on the queue"
        message = messages[0]
        event = {"Records": [{
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": message.get("Attributes", {}), "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"], "eventSource": "aws:sqs",
            "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{queue.rsplit('/', 1)[-1]}",
            "awsRegion": "us-east-1"}]}
        lam.invoke(worker_handler, event)  # raising would return the message to the queue

        status = lam.invoke(api_handler, proxy_event(
            "GET", "/v1/payments/{payment_id}", f"/v1/payments/{payment['payment_id']}",
            params={"payment_id": payment["payment_id"]},
            headers={"Authorization": f"Bearer {payment['access_token']}"}))
        assert status["statusCode"] == 200, status
        answer = json.loads(status["body"])
        assert answer["status"] == "paid"
        assert answer["receipt"]["folio"].startswith("13101-"), answer
    finally:
        lam.close()


def test_the_driver_runs_only_the_clean_venv(artifact):
    """The 3.13 venv holds boto3 and nothing of the app's dependencies: what the handlers import
    comes from the zip."""
    probe = subprocess.run([str(artifact["python"]), "-s", "-c",
                            "import importlib.util as u; print([m for m in ('pydantic', 'reportlab', 'chalice', "
                            "'requests', 'boto3') if u.find_spec(m)])"],
                           capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin"})
    assert probe.stdout.strip() == "['boto3']"
