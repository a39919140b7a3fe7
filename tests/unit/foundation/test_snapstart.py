"""SnapStart's runtime hooks (chalicelib/snapstart.py): registered with Lambda's runtime where it
exists, and after a restore nothing from the snapshot is shared between environments."""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable

from chalicelib import snapstart, wiring
from chalicelib.adapters import aws_clients


def test_hooks_register_with_lambdas_runtime_library(monkeypatch):
    registered: dict[str, list[Callable[[], None]]] = {"before": [], "after": []}
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = registered["before"].append  # type: ignore[attr-defined]
    runtime.register_after_restore = registered["after"].append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)

    assert snapstart.register_hooks() is True
    assert registered == {"before": [snapstart.before_snapshot], "after": [snapstart.after_restore]}


def test_without_lambdas_runtime_nothing_is_registered(monkeypatch):
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # makes the import fail
    assert snapstart.register_hooks() is False


def test_two_environments_restored_from_one_snapshot_draw_different_numbers():
    random.seed(1234)
    snapshot = random.getstate()
    draws = []
    for _ in range(2):
        random.setstate(snapshot)
        snapstart.after_restore()
        draws.append([random.random() for _ in range(4)])
    random.setstate(snapshot)
    from_the_snapshot = [random.random() for _ in range(4)]
    assert draws[0] != draws[1]
    assert from_the_snapshot not in draws


def test_after_restore_drops_clients_connections_settings_and_caches(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "snapshot-not-a-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "snapshot-not-a-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = aws_clients.aws_client("dynamodb")
    table = wiring.data_table()
    assert aws_clients.aws_client("dynamodb") is client
    assert wiring.data_table() is table

    snapstart.after_restore()

    assert aws_clients.aws_client("dynamodb") is not client, "a client (its connections, credentials) survived"
    assert wiring.data_table() is not table, "an adapter built before the snapshot survived"
    wiring.reset()


def test_before_snapshot_makes_no_client():
    wiring.reset()
    snapstart.before_snapshot()
    assert "boto3" in sys.modules
    assert aws_clients._clients == {}
