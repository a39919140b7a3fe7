"""The running local stack for the e2e tests: started exactly as `make run` does, on free ports
(`start_stack`); the conftest starts one for the whole session, some modules their own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devstack.ports import DEFAULTS, free_port

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 120


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    ports: dict[str, int]
    output: list[str] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)


def start_stack(tmp_dir: Path, extra_env: dict[str, str] | None = None) -> RunningStack:
    ports = {name: free_port() for name in DEFAULTS}
    env = {**os.environ, "SEM_LOG_DIR": str(tmp_dir), "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    env.setdefault("SEM_LOCAL_CMF_IMPORT_S", "10")  # the daily CMF import, every 10 s (test_reference_schedule)
    env.update({var: str(ports[name]) for name, (var, _) in DEFAULTS.items()})
    env.pop("AWS_ENDPOINT_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "devstack.run"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stack = RunningStack(process, ports)
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stack.output.append(line)
            if "is up" in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.is_set():
        if process.poll() is not None or time.monotonic() > deadline:
            stack.stop()
            logs = "".join(stack.output)
            pytest.fail(f"the local stack did not start:\n{logs}")
        time.sleep(0.2)
    return stack
