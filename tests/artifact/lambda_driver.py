"""Stands in for the Lambda runtime (python3.13) in tests/artifact: imports a handler from the
unpacked deployment zip (on PYTHONPATH, as /var/task is) and invokes it with each event it reads,
one JSON line per invocation on stdin: {"handler": "app.app", "event": {...}}. Answers one JSON
line each on stdout: {"result": ...} or {"error": "<traceback>"}.

Runs in a clean venv holding only boto3 (what Lambda provides): standard library only here.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
import uuid


class Context:
    """The attributes of Lambda's context object that handlers and their libraries read."""

    def __init__(self, name: str) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = 1024
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "artifact-test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def main() -> None:
    out = sys.stdout
    sys.stdout = sys.stderr  # what handlers print goes to the log, not into the protocol
    handlers: dict[str, object] = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            name = request["handler"]
            if name not in handlers:
                module, attr = name.rsplit(".", 1)
                handlers[name] = getattr(importlib.import_module(module), attr)
            result = handlers[name](request["event"], Context(name))  # type: ignore[operator]
            answer = {"result": result}
        except BaseException:
            answer = {"error": traceback.format_exc()}
        out.write(json.dumps(answer, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
