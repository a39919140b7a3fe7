"""The platform's default branding, and a municipality's branding laid over it.

The defaults ship inside the Lambda package (`chalicelib/assets/branding/`: `default.json` and
`default-logo.png`), because Chalice deploys only `chalicelib/`. A municipality's own colours and
texts come from its settings and its logo from S3; whatever it leaves out falls back to these.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from chalicelib.documents.receipt_model import Branding

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "branding"
_FIELDS = ("primary_color", "secondary_color", "header_text", "footer_text")


@cache
def default_logo_png() -> bytes:
    """The neutral placeholder logo (a shield), PNG bytes."""
    return (ASSETS / "default-logo.png").read_bytes()


@cache
def default_branding() -> Branding:
    """The platform's default colours and texts, with the placeholder logo."""
    data = json.loads((ASSETS / "default.json").read_text(encoding="utf-8"))
    return Branding(**{name: data[name] for name in _FIELDS}, logo_png=default_logo_png())


def branding_with_defaults(overrides: Mapping[str, str | None], logo_png: bytes | None = None) -> Branding:
    """A municipality's branding: its values where given (non-empty), the defaults elsewhere.

    `overrides` may hold `primary_color`, `secondary_color`, `header_text`, `footer_text`; other
    keys are ignored. `logo_png` is the municipality's logo, or ``None`` for the placeholder.
    """
    base = default_branding()
    values = {name: overrides.get(name) or getattr(base, name) for name in _FIELDS}
    return Branding(**values, logo_png=logo_png or base.logo_png)
