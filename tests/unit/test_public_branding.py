"""The colours the public municipality list gives the payment widget."""

from __future__ import annotations

from chalicelib.documents.branding import default_branding
from chalicelib.services.municipalities import public_branding


def test_a_municipalitys_own_colours_are_listed():
    config = {"branding": {"primary_color": "#0b4f8a", "secondary_color": "#f2f2f2", "header_text": "DAF"}}
    assert public_branding(config) == {"primary_color": "#0b4f8a", "secondary_color": "#f2f2f2"}


def test_the_platforms_colours_fill_in_what_it_did_not_set():
    default = default_branding()
    assert public_branding({}) == {"primary_color": default.primary_color, "secondary_color": default.secondary_color}
    assert public_branding({"branding": {"primary_color": "#1d6b3a"}})["secondary_color"] == default.secondary_color
