"""`make run`: the whole platform on this machine, on 127.0.0.1, with demo data.

Starts moto server (the AWS stand-in), creates the resources of infra/resources.yaml in it,
bootstraps what CloudFormation cannot create, seeds the demo data, then starts the API, the
worker runner, the simulators and the console server; waits until `/v1/health` is 200; prints
where everything is and the demo credentials; and on Ctrl-C (or SIGTERM) stops every process it
started. Ports: SEM_MOTO_PORT, SEM_API_PORT, SEM_TGR_PORT, SEM_SOAP_PORT, SEM_CMF_PORT, SEM_CONSOLE_PORT.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from chalicelib.services.permissions import TOTP_PROFILES
from devstack import demo_data
from devstack.demo_totp import MOTO_CHECKS_CODES
from devstack.ports import DEFAULTS, HOST, Ports

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_S = float(os.environ.get("SEM_STARTUP_TIMEOUT_S", "90"))

# The moto stand-in takes any credentials; these are not secrets.
LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "local-moto-not-a-secret",
    "AWS_SECRET_ACCESS_KEY": "local-moto-not-a-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class Stack:
    """The processes of one local platform, started and stopped together."""

    def __init__(self, ports: Ports) -> None:
        self.ports = ports
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.log_dir = Path(os.environ.get("SEM_LOG_DIR", ROOT / ".local" / "logs"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env: dict[str, str] = {}

    # -- processes ---------------------------------------------------------------------------

    def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def stop(self) -> None:
        """Stop every process (SIGTERM to its group, then SIGKILL), leaving no port held."""
        for proc in self.processes.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def dead(self) -> list[str]:
        return [name for name, proc in self.processes.items() if proc.poll() is not None]

    # -- start-up ----------------------------------------------------------------------------

    def boot(self) -> dict[str, Any]:
        """Bring the platform up; returns what `make run` prints."""
        os.environ.update(LOCAL_AWS_ENV)  # provisioning below talks to moto from this process
        base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        moto_url = self.ports.url("moto")
        # moto then really checks the TOTP codes of the officials who sign in with a second factor.
        # moto, with the stand-in that publishes the SES events of its sends (devstack/ses_events.py)
        self.start("moto", ["-m", "devstack.moto_server", "-H", HOST, "-p", str(self.ports.moto)],
                   {**base_env, **MOTO_CHECKS_CODES})
        wait_for(f"{moto_url}/moto-api/", "moto server", self)

        from devstack.provisioning import provision

        demo_origins = [self.ports.url("demo_site"), f"http://localhost:{self.ports.demo_site}"]
        facts = provision(moto_url, stage="local", extra_origins=demo_origins)
        api_url = self.ports.url("api")
        probes = {"tgr_simulator": f"{self.ports.url('tgr')}/health",
                  "soap_simulator": f"{self.ports.url('soap')}/health",
                  "claveunica_simulator": f"{self.ports.url('claveunica')}/health"}
        self.env = {
            **base_env, **facts["env"],
            "AWS_ENDPOINT_URL": moto_url,
            "SEM_STAGE": "local",
            "SEM_PUBLIC_API_URL": api_url,
            "SEM_HEALTH_PROBES": json.dumps(probes),
            "SEM_TGR_URL": self.ports.url("tgr"),
            "SEM_SOAP_AACH_URL": f"{self.ports.url('soap')}/aach",
            "SEM_SOAP_MTT_URL": f"{self.ports.url('soap')}/mtt",
            "SEM_SOAP_SRCEI_URL": f"{self.ports.url('soap')}/srcei",
            "SEM_VEHICLE_REGISTRY": "soap",
            "SEM_CMF_URL": self.ports.url("cmf"),
            "SEM_CMF_API_KEY": "local-cmf-key",
            # Citizens sign in through the ClaveÚnica simulator and come back to "Mis pagos".
            "SEM_CLAVEUNICA_ISSUER": f"{self.ports.url('claveunica')}/openid",
            "SEM_CLAVEUNICA_REDIRECT_URI": f"{self.ports.url('console')}/mis-pagos/",
            "SEM_COGNITO_JWKS_URL": f"{moto_url}/{facts['env']['SEM_COGNITO_USER_POOL_ID']}/.well-known/jwks.json",
        }
        if base_env.get("SEM_SIGNING_BACKEND") == "firmagob":
            self.env.update(self.start_firmagob(facts))
        self.start("api", ["-m", "devstack.api_server", "--port", str(self.ports.api)], self.env)
        self.start("worker", ["-m", "devstack.worker_runner"], self.env)
        self.start("tgr", ["-m", "devstack.simulators.tgr", "--port", str(self.ports.tgr)], self.env)
        self.start("soap", ["-m", "devstack.simulators.soap", "--port", str(self.ports.soap)], self.env)
        self.start("cmf", ["-m", "devstack.simulators.cmf", "--port", str(self.ports.cmf)], self.env)
        self.start("claveunica", ["-m", "devstack.simulators.claveunica", "--port", str(self.ports.claveunica)],
                   self.env)
        self.start("console", ["-m", "devstack.console_server", "--port", str(self.ports.console)], self.env)
        portals = {m["code"]: {"name": m["name"], "apiKey": facts["portal_keys"][m["code"]], "color": m["color"]}
                   for m in demo_data.MUNICIPALITIES}
        self.start("demo_site", ["-m", "devstack.demo_site_server", "--port", str(self.ports.demo_site)],
                   {**self.env, "SEM_DEMO_PORTALS": json.dumps(portals),
                    "SEM_WIDGET_URL": f"{self.ports.url('console')}/widget/v1/sem-pago.js"})
        wait_for(f"{api_url}/v1/health", "the API (all health checks)", self)
        return facts


    def start_firmagob(self, facts: dict[str, Any]) -> dict[str, str]:
        """`SEM_SIGNING_BACKEND=firmagob`: the FirmaGob stand-in with each demo municipality as a
        registered entity and its demo Tesorero(a), designated as its receipt signer, allowed to
        sign unattended; returns the platform's FirmaGob settings (keys generated for this run)."""
        import secrets

        from chalicelib.adapters.dynamo import DynamoTable
        from devstack.provisioning import clients
        from devstack.seed import designate_demo_receipt_signers

        dynamodb = clients(self.ports.url("moto"))["dynamodb"]
        runs = designate_demo_receipt_signers(DynamoTable(dynamodb, facts["outputs"]["TableName"]))
        chain = self.log_dir.parent / "firmagob-chain.pem"
        chain.unlink(missing_ok=True)
        env = {"SEM_FIRMAGOB_URL": self.ports.url("firmagob"),
               "SEM_FIRMAGOB_API_TOKEN_KEY": secrets.token_urlsafe(16),
               "SEM_FIRMAGOB_SECRET": secrets.token_urlsafe(32),
               "SEM_FIRMAGOB_ENTITIES": json.dumps({m["code"]: m["legal_name"] for m in demo_data.MUNICIPALITIES}),
               "SEM_FIRMAGOB_CHAIN_PATH": str(chain),
               "SEM_FIRMAGOB_CHAIN_SOURCE": "the local FirmaGob stand-in (devstack/simulators/firmagob.py)"}
        self.start("firmagob", ["-m", "devstack.simulators.firmagob", "--port", str(self.ports.firmagob),
                                "--chain-out", str(chain), "--unattended-runs", ",".join(runs)], {**self.env, **env})
        wait_for(f"{self.ports.url('firmagob')}/cadena.pem", "the FirmaGob stand-in", self)
        return env


def wait_for(url: str, what: str, stack: Stack) -> None:
    """Wait until `url` answers 200, failing early if a process of the stack died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        dead = stack.dead()
        if dead:
            raise RuntimeError(f"{', '.join(dead)} exited during start-up; see {stack.log_dir}/")
        try:
            response = requests.get(url, timeout=2)
            if response.status_code == 200:
                return
            last = f"HTTP {response.status_code}: {response.text[:300]}"
        except requests.RequestException as exc:
            last = type(exc).__name__
        time.sleep(0.25)
    raise TimeoutError(f"{what} not ready at {url} after {STARTUP_TIMEOUT_S:.0f}s ({last})")


def banner(ports: Ports, facts: dict[str, Any], elapsed_s: float) -> str:
    officials = demo_data.officials()
    sample = [o for o in officials if o["municipality"] in ("13101", "00000")]
    lines = [
        "",
        f"SEM local platform is up ({elapsed_s:.1f} s). Ctrl-C stops everything.",
        "",
        f"  API              {ports.url('api')}      (health: {ports.url('api')}/v1/health)",
        f"  Console          {ports.url('console')}",
        f"  Inspectors       {ports.url('api')}/v1/inspector",
        f"  Offline verifier {ports.url('console')}/verificar.html",
        f"  Demo municipal site {ports.url('demo_site')}   (pay a permit or a debt as a citizen would)",
        f"  Payment widget   {ports.url('demo_site')}/pagar.html   (the same, embedded with one <script> tag)",
        f"  TGR simulator    {ports.url('tgr')}",
        f"  SOAP simulator   {ports.url('soap')}",
        f"  Mis pagos        {ports.url('console')}/mis-pagos/   (citizens: sign in with the ClaveÚnica simulator)",
        f"  ClaveÚnica simulator {ports.url('claveunica')}/openid   (demo citizens: 12345678-5, 12678579-8,"
        " 11111111-1)",
        f"  AWS (moto)       {ports.url('moto')}      (sent e-mails: {ports.url('moto')}/moto-api/data.json)",
        "  E-mail fixtures  bounce@simulator.amazonses.com bounces, complaint@simulator.amazonses.com"
        " complains (docs/demo-data.md)",
        f"  Logs             {os.environ.get('SEM_LOG_DIR', ROOT / '.local' / 'logs')}",
        "",
        f"  Demo officials (password for all: {demo_data.DEMO_PASSWORD} — local test material):",
    ]
    lines += [f"    {o['profile']:<24} {o['email']}" for o in sample]
    lines += [
        f"    … and the same profiles for 13114, 05101, 12101, 01101 ({len(officials)} in all):"
        " see docs/demo-data.md",
        f"  TOTP key of the {', '.join(sorted(TOTP_PROFILES))} (second factor at sign-in; moto's, the",
        f"  same for all — add it to an authenticator app): {facts.get('totp_secret')}",
        f"    or print the current code: .venv/bin/python -m devstack.demo_totp {facts.get('totp_secret')}",
        "",
        f"  Demo citizen: RUT {demo_data.DEMO_RUT}, plate BBBB10 (municipality 13101)",
        f"  Portal API key of 13101 (X-Api-Key, generated for this run): {facts['portal_keys'].get('13101')}",
        f"  Cognito user pool {facts['env'].get('SEM_COGNITO_USER_POOL_ID')},"
        f" client {facts['env'].get('SEM_COGNITO_CLIENT_ID')}",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    ports = Ports.from_env()
    taken = ports.taken()
    if taken:
        for name, port in taken:
            print(f"Port {port} ({name}) is already in use. Stop what holds it, or choose another"
                  f" port: {DEFAULTS[name][0]}=<port> make run", file=sys.stderr)
        return 2
    stack = Stack(ports)
    stopping = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    started = time.monotonic()
    try:
        facts = stack.boot()
        print(banner(ports, facts, time.monotonic() - started), flush=True)
        while not stopping:
            dead = stack.dead()
            if dead:
                print(f"{', '.join(dead)} stopped unexpectedly; see {stack.log_dir}/. Shutting down.",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    except (RuntimeError, TimeoutError) as exc:
        print(f"Start-up failed: {exc}", file=sys.stderr)
        return 1
    finally:
        print("Stopping the local platform…", flush=True)
        stack.stop()
        print("Stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
