"""The local worker runner drives the receipts handler as Lambda's SQS event source would:
a handled message is deleted; a failing one comes back and, after maxReceiveCount, lands in the
dead-letter queue."""

from __future__ import annotations

import json

import boto3
import pytest

import app  # noqa: F401  (registers the blueprints, as Lambda's import does)
from chalicelib.worker import receipts
from devstack import worker_runner
from devstack.worker_runner import WorkerRunner


@pytest.fixture
def queues(stack):
    sqs = boto3.client("sqs")
    return sqs, stack["env"]["SEM_RECEIPTS_QUEUE_URL"], stack["env"]["SEM_RECEIPTS_DLQ_URL"]


def depth(sqs, url):
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                                                    "ApproximateNumberOfMessagesNotVisible"])
    return sum(int(v) for v in attrs["Attributes"].values())


def test_a_good_job_is_handled_and_deleted(queues):
    sqs, url, dlq = queues
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"municipality": "13101", "payment_id": "pay_1"}))
    runner = WorkerRunner(sqs, url, receipts.handle_receipt_job, "us-east-1")
    assert runner.run_once(wait_s=0) == 1
    assert depth(sqs, url) == 0
    assert depth(sqs, dlq) == 0


def test_a_poison_message_reaches_the_dead_letter_queue(queues, monkeypatch):
    sqs, url, dlq = queues
    monkeypatch.setattr(worker_runner, "BACKOFF_S", (0,))
    sqs.send_message(QueueUrl=url, MessageBody="{not json")
    runner = WorkerRunner(sqs, url, receipts.handle_receipt_job, "us-east-1")
    handled = [runner.run_once(wait_s=0) for _ in range(8)]
    assert sum(handled) == 0
    assert depth(sqs, url) == 0
    moved = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=1)["Messages"]
    assert moved[0]["Body"] == "{not json"


def test_the_handler_refuses_a_job_for_a_malformed_municipality():
    with pytest.raises(receipts.PoisonMessage):
        receipts.parse_job(json.dumps({"municipality": "13101#X", "payment_id": "p"}))
