"""Builds boto3 clients lazily, one per service per process, pointed where the settings say.

The only module that imports boto3 to build clients. Adapters receive the client in their
constructor; this factory is what the composition root (`chalicelib/wiring.py`) uses to make
them. Clients are created on first use, never at import time, so moto can be put in place first
and API cold starts pay only for the clients a request needs.
"""

from __future__ import annotations

import threading
from typing import Any

from chalicelib.settings import Settings, get_settings

_lock = threading.Lock()
_clients: dict[tuple[str, str | None, str], Any] = {}
# One boto3 session for every client of the process: a session loads botocore's endpoint rules,
# partitions and service models once; a session per client loaded them again for each (about
# a third of an API function's first request went to that).
_session: list[Any] = []


def aws_client(service: str, settings: Settings | None = None) -> Any:
    """A boto3 client for `service` with bounded timeouts and standard retries, built when it is
    first used (see `DeferredClient`)."""
    settings = settings or get_settings()
    key = (service, settings.aws_endpoint_url, settings.region)
    client = _clients.get(key)
    if client is not None:
        return client
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = DeferredClient(service, settings)
    return client


class DeferredClient:
    """Stands for a boto3 client and builds it on first use: reading, setting or deleting any
    attribute (a call, `.meta`, `.exceptions`, a test's patch) acts on the real client. The
    composition root hands adapters their clients when it builds a context, and a context holds
    more adapters than one request uses (a permit quote's context has the receipts queue and
    bucket): a request builds only the clients it calls."""

    __slots__ = ("_built", "_service", "_settings")

    def __init__(self, service: str, settings: Settings) -> None:
        object.__setattr__(self, "_service", service)
        object.__setattr__(self, "_settings", settings)
        object.__setattr__(self, "_built", None)

    def _client(self) -> Any:
        built = self._built
        if built is None:
            with _lock:
                if self._built is None:
                    object.__setattr__(self, "_built", _build_client(self._service, self._settings))
                built = self._built
        return built

    def __getattr__(self, name: str) -> Any:
        if name in DeferredClient.__slots__:  # not set yet (e.g. a copy being made): no client to ask
            raise AttributeError(name)
        return getattr(self._client(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._client(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._client(), name)


def _build_client(service: str, settings: Settings) -> Any:
    """A boto3 client for `service` (callers hold `_lock`)."""
    from botocore.config import Config

    config = Config(
        connect_timeout=settings.aws_connect_timeout_s,
        read_timeout=settings.aws_read_timeout_s,
        retries={"mode": "standard", "max_attempts": settings.aws_max_attempts},
        signature_version="s3v4" if service == "s3" else None,
    )
    client = _boto3_session().client(
        service,
        region_name=settings.region,
        endpoint_url=settings.aws_endpoint_url,
        config=config,
    )
    if settings.faults:  # fault-injection runs only (dev/test stages; see fault_injection.py)
        from chalicelib.adapters import fault_injection

        fault_injection.install(client, service, settings.faults, stage=settings.stage)
    return client


def _boto3_session() -> Any:
    """The process's boto3 session (callers hold `_lock`: a session is not thread-safe while it
    builds a client; the clients it builds are)."""
    if not _session:
        import boto3

        _session.append(boto3.session.Session())
    return _session[0]


_core_session: list[Any] = []


def aws_client_with_credentials(service: str, *, access_key_id: str, secret_access_key: str, session_token: str,
                                settings: Settings | None = None) -> Any:
    """A client like `aws_client`'s, signed with temporary credentials (a tenant-scoped role's).
    Not cached here: the caller keeps it as long as the credentials last. One botocore session
    serves them all (credentials are passed to each client, never set on the session), so a new
    client does not load the service's model again."""
    import botocore.session

    settings = settings or get_settings()
    base = aws_client(service, settings)
    with _lock:
        if not _core_session:
            _core_session.append(botocore.session.get_session())
        core = _core_session[0]
    return core.create_client(service, region_name=base.meta.region_name, endpoint_url=settings.aws_endpoint_url,
                              config=base.meta.config, aws_access_key_id=access_key_id,
                              aws_secret_access_key=secret_access_key, aws_session_token=session_token)


def load_boto3() -> None:
    """Import boto3, botocore's client machinery and what a session loads, through a session that
    is thrown away: no client, credential or connection is made (SnapStart's before-snapshot hook)."""
    import boto3

    boto3.session.Session()


def forget_clients() -> None:
    """Drop every cached client (tests switch endpoints between cases)."""
    with _lock:
        _clients.clear()
        _session.clear()
