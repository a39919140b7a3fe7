"""Shared fixtures: an in-process moto with SEM's resources, and the Chalice test client.

Functional tests run the real adapters against moto. The resources come from the same
infra/resources.yaml as production, created through moto's CloudFormation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import wiring

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing-not-a-secret",
    "AWS_SECRET_ACCESS_KEY": "testing-not-a-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    # Functional tests use the demo vehicle table; the SOAP adapters have their own tests
    # against the simulator, and the e2e tests run the whole stack with them.
    "SEM_VEHICLE_REGISTRY": "demo",
    # moto's Cognito then really checks the TOTP codes at sign-in (devstack/demo_totp.py).
    "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto in this process; every boto3 client made inside talks to it."""
    from moto import mock_aws

    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "SEM_AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        wiring.reset()
        yield
    wiring.reset()


def _provision(monkeypatch: pytest.MonkeyPatch, *, demo: bool, users: bool = False) -> dict[str, Any]:
    from devstack.provisioning import provision

    facts = provision(None, stage="test", with_demo_data=demo, with_demo_users=users)
    for name, value in facts["env"].items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    return facts


@pytest.fixture
def stack(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """SEM's resources in moto, empty."""
    return _provision(monkeypatch, demo=False)


@pytest.fixture
def demo_stack(aws: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """SEM's resources in moto, with the demo data of `make run`."""
    return _provision(monkeypatch, demo=True)


def _shared_stack(users: bool) -> Iterator[dict[str, Any]]:
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in FAKE_AWS.items():
            monkeypatch.setenv(name, value)
        for name in ("AWS_ENDPOINT_URL", "SEM_AWS_ENDPOINT_URL", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        with mock_aws():
            wiring.reset()
            yield _provision(monkeypatch, demo=True, users=users)
        wiring.reset()


@pytest.fixture(scope="module")
def shared_demo_stack() -> Iterator[dict[str, Any]]:
    """The demo stack shared by the tests of one module: for tests that only read it (or write
    only what no other test of the module reads)."""
    yield from _shared_stack(users=False)


@pytest.fixture(scope="module")
def shared_demo_stack_with_users() -> Iterator[dict[str, Any]]:
    """The shared demo stack with every demo official in the Cognito pool."""
    yield from _shared_stack(users=True)


@pytest.fixture
def client(stack: dict[str, Any]) -> Iterator[Any]:
    """Chalice's test client on the `test` stage, against moto."""
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as test_client:
        yield test_client
