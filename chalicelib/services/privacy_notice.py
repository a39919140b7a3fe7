"""The privacy notice citizens read (es-CL), rendered from the register of processing
(chalicelib/domain/personal_data.py): `GET /v1/privacy`, linked from the payment site, the receipt
e-mail and the verification page."""

from __future__ import annotations

from html import escape
from typing import Any, Protocol

from chalicelib.domain.errors import NotFound
from chalicelib.domain.personal_data import privacy_notice


class Municipalities(Protocol):
    def get(self, code: str) -> dict[str, Any] | None: ...


def controller_name(code: str | None, municipalities: Municipalities) -> str:
    """Who the notice names as controller: the municipality asked for, or every municipality."""
    if code is None:
        return "la municipalidad a la que usted paga"
    config = municipalities.get(code)
    if not config:
        raise NotFound("No existe esa municipalidad en la plataforma.", code="municipality_not_found",
                       field="municipality")
    from chalicelib.domain.labels import display_name

    return display_name(config)


def notice_html(controller: str) -> str:
    """A small self-contained page (no scripts, inline-free styles) with the notice."""
    body = []
    for section in privacy_notice(controller):
        body.append(f"<h2>{escape(section.title)}</h2>")
        if len(section.paragraphs) > 1:
            body.append("<ul>" + "".join(f"<li>{escape(p)}</li>" for p in section.paragraphs) + "</ul>")
        else:
            body.append(f"<p>{escape(section.paragraphs[0])}</p>")
    return ("<!doctype html><html lang=\"es-CL\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>Aviso de privacidad</title></head><body><main>"
            "<h1>Aviso de privacidad</h1>" + "".join(body) + "</main></body></html>")
