"""Probes an HTTP dependency (a simulator locally, a partner's status endpoint in prod)."""

from __future__ import annotations

from chalicelib.domain.errors import DependencyUnavailable


class HttpProbe:
    """GET one URL with a short timeout; anything but a 2xx is 'down'."""

    def __init__(self, url: str, *, timeout_s: float) -> None:
        self.url = url
        self._timeout_s = timeout_s

    def ping(self) -> None:
        """Raise `DependencyUnavailable` unless the URL answers 2xx in time."""
        import requests

        try:
            response = requests.get(self.url, timeout=self._timeout_s, allow_redirects=False)
        except requests.RequestException as exc:
            raise DependencyUnavailable(f"No responde: {type(exc).__name__}", code="unreachable") from exc
        if not 200 <= response.status_code < 300:
            raise DependencyUnavailable(f"Respondió HTTP {response.status_code}", code="unhealthy")
