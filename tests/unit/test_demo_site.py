"""The demo municipal site's server: the pages, and /config.js built from the environment."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
import requests

from devstack.demo_site_server import load_config, make_server, serve_in_thread
from devstack.ports import free_port

PORTALS = {"13101": {"name": "Santiago", "apiKey": "demo-key-santiago"},
           "05101": {"name": "Valparaíso", "apiKey": "demo-key-valpo", "color": "#8a1c2b"}}


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SEM_PUBLIC_API_URL", "http://127.0.0.1:8123")
        env.setenv("SEM_DEMO_PORTALS", json.dumps(PORTALS))
        port = free_port()
        server: ThreadingHTTPServer = make_server(port, load_config())
    thread = serve_in_thread(server)
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_serves_the_pages_and_config_from_the_environment(site):
    index = requests.get(f"{site}/", timeout=5)
    assert index.status_code == 200
    assert 'lang="es-CL"' in index.text
    assert "Permiso de circulación" in index.text
    assert "Mis deudas" in index.text
    assert "connect-src 'self' http://127.0.0.1:8123" in index.headers["Content-Security-Policy"]
    assert requests.get(f"{site}/index.html", timeout=5).status_code == 200

    retorno = requests.get(f"{site}/retorno.html?m=13101&payment_id=p-1&estado=aprobado", timeout=5)
    assert retorno.status_code == 200
    assert 'data-page="retorno"' in retorno.text
    for page in (index.text, retorno.text):
        assert 'id="privacy-link"' in page  # demo.js points it at the API's /v1/privacy notice
    assert '"/v1/privacy"' in requests.get(f"{site}/demo.js", timeout=5).text

    for asset in ("demo.js", "demo.css"):
        assert requests.get(f"{site}/{asset}", timeout=5).status_code == 200

    config = requests.get(f"{site}/config.js", timeout=5)
    assert config.status_code == 200
    assert config.headers["Content-Type"].startswith("application/javascript")
    match = re.fullmatch(r"window\.DEMO_CONFIG = (.*);\n", config.text, re.DOTALL)
    assert match is not None
    assert json.loads(match.group(1)) == {"apiUrl": "http://127.0.0.1:8123", "portals": PORTALS}


def test_pages_use_no_external_resources_and_no_inner_html(site):
    for name in ("index.html", "retorno.html", "demo.js", "demo.css"):
        text = requests.get(f"{site}/{name}", timeout=5).text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), name
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", text), name


def test_no_directory_listing_or_other_files(site):
    assert requests.get(f"{site}/../demo_site_server.py", timeout=5).status_code == 404
    assert requests.get(f"{site}/nothing.html", timeout=5).status_code == 404


@pytest.mark.parametrize("portals", ["[]", "{nope", '{"131": {"name": "x", "apiKey": "y"}}',
                                     '{"13101": {"name": "Santiago"}}'])
def test_bad_portals_stop_the_server_with_a_message(portals):
    with pytest.raises(SystemExit, match="SEM_DEMO_PORTALS"):
        load_config({"SEM_DEMO_PORTALS": portals})


def test_portals_are_optional():
    assert load_config({}).portals == {}


def test_the_widget_page_carries_one_tag_for_the_chosen_municipality():
    config = load_config({"SEM_PUBLIC_API_URL": "http://127.0.0.1:8123", "SEM_DEMO_PORTALS": json.dumps(PORTALS),
                          "SEM_WIDGET_URL": "http://127.0.0.1:8200/widget/v1/sem-pago.js"})
    port = free_port()
    server = make_server(port, config)
    thread = serve_in_thread(server)
    try:
        page = requests.get(f"http://127.0.0.1:{port}/pagar.html?m=05101", timeout=5)
        assert page.status_code == 200
        tags = re.findall(r"<script\b[^>]*>", page.text)
        assert tags == ['<script src="http://127.0.0.1:8200/widget/v1/sem-pago.js" data-municipio="05101"\n'
                        '          data-clave="demo-key-valpo" defer></script>'[:-len("</script>")]]
        assert "Valparaíso" in page.text
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'self' http://127.0.0.1:8200;" in csp
        assert "style-src 'self' http://127.0.0.1:8200;" in csp
        assert "unsafe" not in csp
        unknown = requests.get(f"http://127.0.0.1:{port}/pagar.html?m=<x>", timeout=5).text
        assert 'data-municipio="13101"' in unknown  # the first portal, never the raw parameter
        assert "<x>" not in unknown
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_widget_page_says_what_is_missing_without_a_widget_url():
    config = load_config({"SEM_DEMO_PORTALS": json.dumps(PORTALS)})
    assert b"SEM_WIDGET_URL" in config.widget_page("13101")
    assert b"<script" not in config.widget_page("13101")
