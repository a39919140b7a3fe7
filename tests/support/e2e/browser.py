"""Debian's chromium driven by Playwright (no browser download): one place for the launch flags
this closed-network machine needs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@contextmanager
def browser_page(**context_options: Any) -> Iterator[Any]:
    """A fresh page in headless chromium; the browser is closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            context = browser.new_context(locale="es-CL", **context_options)
            page = context.new_page()
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()


LAPTOP = {"width": 1366, "height": 900}


def new_page(browser: Any, viewport: dict[str, int] = LAPTOP, *, timeout_ms: int = 15_000) -> Any:
    """A page in a fresh context (its own sessionStorage) of a module's browser, in es-CL, that
    records uncaught script errors in `page.js_errors` (each test checks it at its end)."""
    context = browser.new_context(locale="es-CL", viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page
