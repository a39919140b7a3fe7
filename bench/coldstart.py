"""Cold-start import times: SEM's `app` against a minimal Chalice app, side by side in one run.

Each sample is a fresh interpreter importing one module, as Lambda's runtime does on a cold
start (the interpreter's own start-up is left out: Lambda pays it for any app). The runs of the
three imports are interleaved, so a busy moment of this shared machine hits all of them alike:

- `api`: `import app` — what the API function (and every function of the app: Chalice ships one
  package and one `app.py` for all of them) loads before its first request;
- `baseline`: a minimal Chalice app importing only chalice, boto3 and pydantic, with one model
  and two routes (one reads a DynamoDB item, with a client made on first use): the floor any
  Chalice + boto3 + pydantic API pays;
- `worker`: `import app` plus what the receipts job imports on its first message (reportlab's
  canvas, pyHanko's signer and stamp, the KMS signer, Jinja2 for the e-mail): the worker
  function's first receipt.

An import that leaves work for later only moves the cost, so the first request is measured too
(`first_request`): a fresh interpreter imports the app and hands one API Gateway proxy event to
it, as Lambda does, against moto on loopback (a `ThreadedMotoServer` in this process, so its CPU
is not counted). SEM answers `GET /v1/health` (DynamoDB, three S3 buckets, SQS) and a permit
quote (portal key, municipality, vehicle, rules, debts: DynamoDB); the baseline app answers one
route reading one DynamoDB item into a pydantic model. Each figure is the CPU of the import plus
the first request; both apps build their boto3 clients on first use.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

BASELINE_APP = '''
import os

from chalice.app import Chalice
import boto3
from pydantic import BaseModel

app = Chalice(app_name="baseline")
_dynamodb = []


class Quote(BaseModel):
    plate: str
    year: int
    found: bool


@app.route("/quote")
def quote() -> dict[str, object]:
    return Quote(plate="BBBB10", year=2027, found=False).model_dump()


@app.route("/vehicles/{plate}")
def vehicle(plate: str) -> dict[str, object]:
    if not _dynamodb:
        _dynamodb.append(boto3.client("dynamodb"))
    item = _dynamodb[0].get_item(TableName=os.environ["SEM_TABLE_NAME"],
                                 Key={"pk": {"S": "13101#VEHICLE#" + plate}, "sk": {"S": "DATA"}}).get("Item")
    return Quote(plate=plate, year=2027, found=item is not None).model_dump()
'''

WORKER_IMPORTS = (
    "import app; "
    "import chalicelib.documents.receipt_pdf, chalicelib.signing.pades, chalicelib.signing.kms_signer; "
    "import reportlab.pdfgen.canvas, reportlab.graphics.barcode.qrencoder; "
    "import pyhanko.sign.signers.pdf_signer, pyhanko.stamp.text, pyhanko.pdf_utils.incremental_writer; "
    "import jinja2"
)

_TIMER = ("import time; w=time.perf_counter(); c=time.process_time(); {code}; "
          "print((time.process_time()-c)*1000, (time.perf_counter()-w)*1000)")


# A fresh interpreter: import (timed), then one API Gateway proxy event (read from stdin) through
# the handler, as Lambda's runtime does. Prints CPU ms of the import and of import + request.
_FIRST_REQUEST = ("import time; c=time.process_time(); {code}; i=time.process_time()\n"
                  "import json, sys\n"
                  "class Context:\n"
                  "    function_name = 'bench'; function_version = '1'; memory_limit_in_mb = 1024\n"
                  "    invoked_function_arn = 'arn:aws:lambda:us-east-1:123456789012:function:bench'\n"
                  "    aws_request_id = 'bench'; log_group_name = '/aws/lambda/bench'; log_stream_name = 'bench'\n"
                  "    def get_remaining_time_in_millis(self): return 30000\n"
                  "answer = {handler}(json.loads(sys.stdin.read()), Context())\n"
                  "t = time.process_time()\n"
                  "assert answer['statusCode'] == 200, answer\n"
                  "print((i-c)*1000, (t-c)*1000)")

LOCAL_AWS = {"AWS_ACCESS_KEY_ID": "bench-not-a-secret", "AWS_SECRET_ACCESS_KEY": "bench-not-a-secret",
             "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}


def proxy_event(method: str, resource: str, path: str, *, params: dict[str, str] | None = None,
                query: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway (REST, proxy integration) event, as the deployed RestAPI sends it."""
    headers = {"Host": "abc123.execute-api.us-east-1.amazonaws.com", "X-Forwarded-For": "203.0.113.9",
               "X-Forwarded-Proto": "https", **(headers or {})}
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params or None, "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "path": f"/api{path}", "stage": "api",
                           "requestId": str(uuid.uuid4()), "requestTimeEpoch": int(time.time() * 1000),
                           "identity": {"sourceIp": "203.0.113.9", "userAgent": "bench"},
                           "accountId": "123456789012", "apiId": "abc123", "protocol": "HTTP/1.1"},
        "body": None, "isBase64Encoded": False,
    }


@contextmanager
def local_aws() -> Iterator[dict[str, Any]]:
    """moto on loopback with SEM's resources and demo data; yields the apps' environment."""
    import logging

    from moto.server import ThreadedMotoServer

    from devstack.ports import free_port
    from devstack.provisioning import provision

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every call
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    saved = {name: os.environ.get(name) for name in (*LOCAL_AWS, "AWS_ENDPOINT_URL")}
    try:
        os.environ.update(LOCAL_AWS)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        facts = provision(endpoint, stage="bench", with_demo_users=False)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **LOCAL_AWS, **facts["env"],
               "AWS_ENDPOINT_URL": endpoint, "SEM_STAGE": "bench", "SEM_VEHICLE_REGISTRY": "demo",
               "POWERTOOLS_LOG_LEVEL": "WARNING", "SEM_LOG_LEVEL": "WARNING"}
        yield {"env": env, "portal_key": facts["portal_keys"]["13101"]}
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        moto.stop()


def _first_request(code: str, handler: str, event: dict[str, Any], cwd: Path,
                   env: dict[str, str]) -> tuple[float, float]:
    """(import CPU ms, import + first request CPU ms) in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _FIRST_REQUEST.format(code=code, handler=handler)], cwd=cwd,
                          env=env, input=json.dumps(event), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"first request failed: {done.stderr[-2000:]}")
    imported, total = done.stdout.strip().splitlines()[-1].split()
    return float(imported), float(total)


def bench_first_request(baseline_dir: Path, runs: int = 5) -> dict[str, Any]:
    """Median CPU ms of import + first request: SEM's health and quote routes, the baseline's
    DynamoDB-backed route, interleaved."""
    with local_aws() as aws:
        env = aws["env"]
        cases = {
            "baseline": ("import baseline_app", "baseline_app.app", baseline_dir,
                         proxy_event("GET", "/vehicles/{plate}", "/vehicles/BBBB10", params={"plate": "BBBB10"})),
            "health": ("import app", "app.app", ROOT, proxy_event("GET", "/v1/health", "/v1/health")),
            "quote": ("import app", "app.app", ROOT, proxy_event(
                "GET", "/v1/municipalities/{code}/permits/quote", "/v1/municipalities/13101/permits/quote",
                params={"code": "13101"}, query={"plate": "BBBB10", "year": "2027"},
                headers={"X-Api-Key": aws["portal_key"]})),
        }
        totals: dict[str, list[float]] = {name: [] for name in cases}
        requests: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(runs):
            for name, (code, handler, cwd, event) in cases.items():
                imported, total = _first_request(code, handler, event, cwd, env)
                totals[name].append(total)
                requests[name].append(total - imported)
    median = {name: round(statistics.median(values), 1) for name, values in totals.items()}
    return {
        "runs": runs,
        "import_and_first_request_ms": median,
        "first_request_only_ms": {name: round(statistics.median(v), 1) for name, v in requests.items()},
        "health_ratio": round(median["health"] / median["baseline"], 2),
        "quote_ratio": round(median["quote"] / median["baseline"], 2),
    }


def _sample(code: str, cwd: Path) -> tuple[float, float]:
    """(CPU ms, wall ms) of one import in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _TIMER.format(code=code)], cwd=cwd, capture_output=True,
                          text=True, check=True)
    cpu, wall = done.stdout.strip().splitlines()[-1].split()
    return float(cpu), float(wall)


def bench_cold_start(runs: int = 7, first_request_runs: int = 5) -> dict[str, Any]:
    """Median import milliseconds of the API app, the baseline app and the worker's first job.

    The figures are the importing process's CPU time: on this shared two-core machine the wall
    time swings with what the other processes do (load averages of 4–9 were seen), while an
    import is CPU work (the files are in the page cache after the first run). The wall-clock
    medians are kept beside them."""
    samples: dict[str, list[float]] = {"api": [], "baseline": [], "worker": []}
    wall: dict[str, list[float]] = {"api": [], "baseline": [], "worker": []}
    with tempfile.TemporaryDirectory() as folder:
        baseline_dir = Path(folder)
        (baseline_dir / "baseline_app.py").write_text(BASELINE_APP)
        for _ in range(runs):
            for name, code, cwd in (("baseline", "import baseline_app", baseline_dir), ("api", "import app", ROOT),
                                    ("worker", WORKER_IMPORTS, ROOT)):
                cpu, elapsed = _sample(code, cwd)
                samples[name].append(cpu)
                wall[name].append(elapsed)
        first = bench_first_request(baseline_dir, first_request_runs) if first_request_runs else None
    medians = {name: round(statistics.median(values), 1) for name, values in samples.items()}
    return {
        "runs": runs,
        "api_import_ms": medians["api"],
        "baseline_import_ms": medians["baseline"],
        "api_import_ratio": round(medians["api"] / medians["baseline"], 2),
        "worker_import_ms": medians["worker"],
        "max_ms": {name: round(max(values), 1) for name, values in samples.items()},
        "wall_median_ms": {name: round(statistics.median(values), 1) for name, values in wall.items()},
        **({"first_request": first} if first else {}),
    }


if __name__ == "__main__":
    print(json.dumps(bench_cold_start(), indent=2))
