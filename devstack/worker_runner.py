"""Feeds SQS messages from the local queues to the same handler function Lambda would call.

`chalice local` serves HTTP only; in AWS, the event source mapping polls the queue and invokes
`handle_receipt_job` with an SQS event of one record (and `handle_email_event` for the SES events
queue), and EventBridge calls `sweep_payments` (and the daily `import_reference_data`, the CMF import)
on its schedule. This runner does both against moto (the sweep every SEM_LOCAL_SWEEP_S seconds, 5 by
default, instead of every five minutes; the CMF import every SEM_LOCAL_CMF_IMPORT_S, 60):
it long-polls, builds the same event, calls the handler, and deletes the message only when the
handler returns. When it raises, the message stays, comes back after a short backoff, and after
the queue's maxReceiveCount moto's redrive moves it to the dead-letter queue — as in AWS.

    python -m devstack.worker_runner

Fault injection (`make chaos`, never in AWS): with SEM_CHAOS_KILL set to JSON such as
`{"rate": 0.05, "steps": ["after_folio", "after_send"], "log": "/tmp/kills.jsonl"}` the runner
exits hard (`os._exit`, as a Lambda timeout or out-of-memory kill would end it) right after a
named step of a receipt job succeeded, with that probability per step, having first appended
`{"step", "payment_id", "pid"}` to the log; with `"cover": true`, also the first time each step
is reached at all (no kill of that step in the log yet) by a job killed at most once before, so
that every kill point is exercised, spread over payments.
The steps (`KILL_STEPS`): after_folio (folio allocated), after_pdf (signed PDF stored),
after_issued (receipt marked issued), after_claim (e-mail claimed, not sent), after_send (SES
accepted, not yet recorded: the documented duplicate window, docs/receipts.md), after_record (all
done, the message not yet deleted). Whoever started the runner restarts it; SQS redelivers the
message after its visibility timeout.
SEM_LOCAL_RETRY_BACKOFF_S (e.g. "5,10,15,20,30") replaces the quick local retry delays.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import signal
import time
from collections.abc import Callable
from typing import Any, Final

from chalicelib.adapters.aws_clients import aws_client
from chalicelib.observability import logger
from chalicelib.settings import get_settings

# Local retries come back quickly (AWS would wait the visibility timeout).
BACKOFF_S = (1, 2, 4, 8, 15)

# Kill points: step name -> (the receipt context's attribute, the method whose success ends it).
KILL_STEPS: Final = {
    "after_folio": ("receipts", "allocate_folio"),
    "after_pdf": ("store", "put"),
    "after_issued": ("receipts", "mark_issued"),
    "after_claim": ("receipts", "claim_email"),
    "after_send": ("mailer", "send"),
    "after_record": ("receipts", "record_email"),
}
KILLED_EXIT_CODE: Final = 86
_current_payment: str | None = None


class KillSwitch:
    """Exits the process hard at named steps, with a probability (fault-injection runs only)."""

    def __init__(self, rate: float, steps: list[str], log_path: str, rng: random.Random | None = None, *,
                 cover: bool = False) -> None:
        unknown = set(steps) - set(KILL_STEPS)
        if unknown or not 0 <= rate <= 1:
            raise SystemExit(f"SEM_CHAOS_KILL: unknown steps {sorted(unknown)} or rate {rate} not in [0, 1]")
        self.rate, self.steps, self.log_path, self.cover = rate, set(steps), log_path, cover
        self._rng = rng or random.Random()  # chaos, not cryptography

    @classmethod
    def from_env(cls, raw: str | None) -> KillSwitch | None:
        if not raw:
            return None
        config = json.loads(raw)
        return cls(float(config.get("rate", 0.0)), list(config.get("steps", list(KILL_STEPS))), str(config["log"]),
                   cover=bool(config.get("cover", False)))

    def killed(self) -> list[dict[str, Any]]:
        try:
            with open(self.log_path, encoding="utf-8") as log:
                return [json.loads(line) for line in log if line.strip()]
        except FileNotFoundError:
            return []

    def maybe_die(self, step: str) -> None:
        if step not in self.steps:
            return
        first_time = False
        if self.cover:
            killed = self.killed()
            first_time = (step not in {k["step"] for k in killed}
                          and sum(k["payment_id"] == _current_payment for k in killed) < 2)
        if not first_time and self._rng.random() >= self.rate:
            return
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"step": step, "payment_id": _current_payment, "pid": os.getpid()}) + "\n")
            log.flush()
            os.fsync(log.fileno())
        os._exit(KILLED_EXIT_CODE)


class _DieAfter:
    """A proxy that calls `hook(result)` after the named methods of `target` return."""

    def __init__(self, target: Any, hooks: dict[str, Callable[[Any], None]]) -> None:
        self._target, self._hooks = target, hooks

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        hook = self._hooks.get(name)
        if hook is None:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            hook(result)
            return result

        return call


def install_kill_points(switch: KillSwitch) -> None:
    """Wrap the adapters of every receipt context this process builds with the kill points."""
    from chalicelib import wiring

    build = wiring.receipt_context

    # A folio allocation that a twin won (None), or a mark / claim / record another worker made
    # first (False), changed nothing: only a step that changed something is followed by a crash.
    did_nothing: dict[str, Callable[[Any], bool]] = {
        "after_folio": lambda result: result is None, "after_issued": lambda result: result is False,
        "after_claim": lambda result: result is False, "after_record": lambda result: result is False}

    def hook(step: str) -> Callable[[Any], None]:
        skip = did_nothing.get(step, lambda _result: False)
        return lambda result: None if skip(result) else switch.maybe_die(step)

    def receipt_context() -> Any:
        ctx = build()
        hooks: dict[str, dict[str, Callable[[Any], None]]] = {}
        for step, (part, method) in KILL_STEPS.items():
            hooks.setdefault(part, {})[method] = hook(step)
        wrapped: dict[str, Any] = {part: _DieAfter(getattr(ctx, part), methods) for part, methods in hooks.items()}
        return dataclasses.replace(ctx, **wrapped)

    setattr(wiring, "receipt_context", receipt_context)  # noqa: B010 - patched in this dev process only


def _payment_of(body: str) -> str | None:
    try:
        value = json.loads(body).get("payment_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def sqs_event(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The Lambda event for one SQS message, shaped as the event source mapping sends it."""
    return {"Records": [{
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }]}


def scheduled_event() -> dict[str, Any]:
    """The EventBridge event a schedule delivers, as Lambda receives it."""
    import uuid
    from datetime import UTC, datetime

    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "000000000000", "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:000000000000:rule/local"], "detail": {}}


class LambdaContext:
    """The little of Lambda's context object that handlers read."""

    function_name = "sem-local-worker"
    memory_limit_in_mb = 1536
    aws_request_id = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


class WorkerRunner:
    """Polls one queue and drives one handler, until stopped."""

    def __init__(self, sqs: Any, queue_url: str, handler: Any, region: str,
                 backoff_s: tuple[float, ...] | None = None) -> None:
        self._sqs = sqs
        self._backoff_s = backoff_s
        self._queue_url = queue_url
        self._handler = handler
        self._region = region
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.running = True

    def run_once(self, wait_s: int = 1) -> int:
        """Receive and handle at most one message; returns how many were handled successfully."""
        received = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_s,
            AttributeNames=["All"], MessageAttributeNames=["All"])
        handled = 0
        global _current_payment
        for message in received.get("Messages", []):
            _current_payment = _payment_of(message.get("Body", ""))
            try:
                self._handler(sqs_event(message, self._arn, self._region), LambdaContext())
            except Exception as exc:  # the handler failed: leave the message for a retry or the DLQ
                count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                backoff = self._backoff_s or BACKOFF_S
                delay = round(backoff[min(count, len(backoff)) - 1])
                logger.warning("job failed; it will be retried", extra={
                    "error": type(exc).__name__, "receive_count": count, "retry_in_s": delay})
                self._sqs.change_message_visibility(QueueUrl=self._queue_url,
                                                    ReceiptHandle=message["ReceiptHandle"],
                                                    VisibilityTimeout=delay)
                continue
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
        return handled

    def run_forever(self, scheduled: Any = None, every_s: float = 5.0,
                    also: tuple[WorkerRunner, ...] = ()) -> None:
        """Poll until stopped; call `scheduled(event, context)` every `every_s` seconds; between
        long polls, drain what waits on the `also` runners' queues (without waiting)."""
        next_run = time.monotonic()
        while self.running:
            for other in also:
                try:
                    while other.run_once(wait_s=0):
                        pass
                except Exception:
                    logger.exception("worker runner could not poll; retrying")
            if scheduled is not None and time.monotonic() >= next_run:
                next_run = time.monotonic() + every_s
                try:
                    scheduled(scheduled_event(), LambdaContext())
                except Exception:
                    logger.exception("scheduled handler failed; it runs again next time")
            try:
                self.run_once()
            except Exception:
                logger.exception("worker runner could not poll; retrying")
                time.sleep(1)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    import app  # noqa: F401  (registers the blueprints, as Lambda's import of app.py does)
    from chalicelib.worker import (
        email_events,
        receipts,
        reference_imports,
        reminders,
        retention,
        schedules,
        settlements,
    )

    retention_every_s = float(os.environ.get("SEM_LOCAL_RETENTION_S", "300"))
    next_retention = [time.monotonic()]
    reminders_every_s = float(os.environ.get("SEM_LOCAL_REMINDERS_S", "60"))
    next_reminders = [time.monotonic()]
    # The CMF import (daily in AWS) against the local CMF simulator, every SEM_LOCAL_CMF_IMPORT_S seconds.
    cmf_import_every_s = float(os.environ.get("SEM_LOCAL_CMF_IMPORT_S", "60"))
    next_cmf_import = [time.monotonic()]

    def every_few_seconds(event: Any, context: Any) -> None:
        """What EventBridge and S3 notifications would start: the sweep, new settlement files,
        (every SEM_LOCAL_RETENTION_S seconds, hourly in AWS) the personal-data retention job,
        (once a day in AWS, every minute here: each reminder is sent once anyway) reminders and
        (daily in AWS) the CMF import of reference data."""
        schedules.sweep_payments(event, context)
        settlements.poll_settlements(event, context)
        if time.monotonic() >= next_retention[0]:
            next_retention[0] = time.monotonic() + retention_every_s
            retention.purge_personal_data(event, context)
        if time.monotonic() >= next_reminders[0]:
            next_reminders[0] = time.monotonic() + reminders_every_s
            reminders.send_reminders(event, context)
        if time.monotonic() >= next_cmf_import[0]:
            next_cmf_import[0] = time.monotonic() + cmf_import_every_s
            reference_imports.import_reference_data(event, context)

    settings = get_settings()
    switch = KillSwitch.from_env(os.environ.get("SEM_CHAOS_KILL"))
    if switch is not None:
        install_kill_points(switch)
        print(f"worker runner: kill points on ({switch.rate:g} at {', '.join(sorted(switch.steps))})", flush=True)
    raw_backoff = os.environ.get("SEM_LOCAL_RETRY_BACKOFF_S")
    backoff = tuple(float(part) for part in raw_backoff.split(",")) if raw_backoff else None
    runner = WorkerRunner(aws_client("sqs"), settings.receipts_queue_url,
                          receipts.handle_receipt_job, settings.region, backoff)
    # SES's events (devstack/ses_events.py publishes them for moto's sends), as their Lambda would get them.
    events = (WorkerRunner(aws_client("sqs"), settings.ses_events_queue_url, email_events.handle_email_event,
                           settings.region, backoff),) if settings.ses_events_queue_url else ()

    def stop(*_: Any) -> None:
        runner.running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("worker runner polling the receipts queue", flush=True)
    runner.run_forever(every_few_seconds, float(os.environ.get("SEM_LOCAL_SWEEP_S", "5")), also=events)


if __name__ == "__main__":
    main()
