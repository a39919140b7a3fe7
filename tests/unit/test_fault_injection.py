"""The fault injector of `make chaos`: throttles the share of calls it is told to, before anything
is sent, only for the services named, and never on the prod stage; and the worker runner's kill
points (devstack/worker_runner.py)."""

from __future__ import annotations

import json
import random

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

from chalicelib.adapters import fault_injection
from chalicelib.settings import Settings
from devstack.worker_runner import KILL_STEPS, KillSwitch


def s3_client():
    # Nothing listens on port 9: a call that got past the injector would fail to connect instead.
    return boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1").client(
        "s3", endpoint_url="http://127.0.0.1:9", config=Config(retries={"total_max_attempts": 1}, connect_timeout=1))


def test_every_call_is_throttled_at_share_one_with_the_services_own_error():
    client = s3_client()
    fault_injection.install(client, "s3", {"s3": 1.0}, stage="local")
    before = fault_injection.injected().get("s3:HeadObject", 0)
    with pytest.raises(ClientError) as caught:
        client.head_object(Bucket="b", Key="k")
    assert caught.value.response["Error"]["Code"] == "SlowDown"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert fault_injection.injected()["s3:HeadObject"] == before + 1


def test_an_operation_entry_wins_over_the_service_and_the_share_is_honoured():
    faults = {"s3": 0.0, "s3:GetObject": 0.5}
    assert fault_injection.share_for(faults, "s3", "PutObject") == 0.0
    assert fault_injection.share_for(faults, "s3", "GetObject") == 0.5
    assert fault_injection.share_for(faults, "ses", "SendRawEmail") == 0.0
    client = s3_client()
    fault_injection.install(client, "s3", faults, stage="local", rng=random.Random(1))
    throttled = 0
    for _ in range(200):
        try:
            client.get_object(Bucket="b", Key="k")
        except ClientError:
            throttled += 1
        except EndpointConnectionError:  # not throttled: the call went on and found no server
            pass
    assert 60 < throttled < 140


def test_other_services_and_the_prod_stage_are_left_alone():
    client = s3_client()
    fault_injection.install(client, "s3", {"ses": 1.0}, stage="local")
    with pytest.raises(EndpointConnectionError):  # not throttled: the call went on to the (absent) server
        client.head_object(Bucket="b", Key="k")
    with pytest.raises(RuntimeError):
        fault_injection.install(s3_client(), "s3", {"s3": 1.0}, stage="prod")


def test_the_setting_is_refused_on_prod(monkeypatch):
    monkeypatch.setenv("SEM_FAULTS", json.dumps({"s3": 0.1}))
    monkeypatch.setenv("SEM_STAGE", "prod")
    with pytest.raises(ValueError, match="refused on prod"):
        Settings()
    monkeypatch.setenv("SEM_STAGE", "local")
    assert Settings().faults == {"s3": 0.1}
    monkeypatch.setenv("SEM_FAULTS", json.dumps({"s3": 1.5}))
    with pytest.raises(ValueError, match="between 0 and 1"):
        Settings()


def test_kill_points_cover_each_step_once_then_follow_the_rate(tmp_path, monkeypatch):
    exits = []
    monkeypatch.setattr("devstack.worker_runner.os._exit", lambda code: exits.append(code))
    log = tmp_path / "kills.jsonl"
    switch = KillSwitch(0.0, list(KILL_STEPS), str(log), cover=True)
    switch.maybe_die("after_send")
    switch.maybe_die("after_send")  # covered already, and the rate is 0
    assert len(exits) == 1
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == ["after_send"]
    never = KillSwitch(0.0, ["after_folio"], str(tmp_path / "other.jsonl"))
    never.maybe_die("after_folio")
    never.maybe_die("after_send")  # not a step of this switch
    assert len(exits) == 1
    with pytest.raises(SystemExit):
        KillSwitch(0.1, ["after_lunch"], str(log))
