"""The officials' console's security headers: one definition for CloudFront (infra/resources.yaml,
ConsoleHeadersPolicy, checked against this by tests/functional/test_console_hosting.py) and for
the local console server (devstack/console_server.py).

The CSP allows only the console's own scripts and styles (no inline script or style attribute,
no eval: the console sets colours through the CSSOM, `element.style.x = …`, which CSP does not
govern), images from itself and data:/blob: (logo previews), and network calls to exactly the
API, Cognito and the buckets it reaches through presigned URLs. `frame-ancestors 'none'` is what
index.html's `<meta>` CSP cannot say; base-uri and form-action are 'none' as in that `<meta>`
(the console has no <base> and submits no form to a server: its forms are handled by scripts).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=63072000; includeSubDomains"


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL (what CSP source lists name)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"not an absolute URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(connect_src: Iterable[str]) -> str:
    """The console's CSP with `connect-src 'self'` plus the given origins (deduplicated, in order)."""
    sources = list(dict.fromkeys(["'self'", *connect_src]))
    directives = [
        ("default-src", "'self'"), ("script-src", "'self'"), ("style-src", "'self'"),
        ("img-src", "'self' data: blob:"), ("font-src", "'self'"), ("connect-src", " ".join(sources)),
        ("frame-ancestors", "'none'"), ("base-uri", "'none'"), ("form-action", "'none'"), ("object-src", "'none'"),
    ]
    return "; ".join(f"{name} {value}" for name, value in directives)


def security_headers(connect_src: Iterable[str]) -> dict[str, str]:
    """Every security header a console response carries."""
    return {
        "Content-Security-Policy": content_security_policy(connect_src),
        "Strict-Transport-Security": HSTS,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
