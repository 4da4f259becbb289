"""Headless Chromium for the catcher's page tests: Debian's ``chromium``
(browsers are never downloaded), the flags it runs with, and fresh tabs.
The ``browser`` fixture (tests/conftest.py) launches it under Playwright."""

from __future__ import annotations

import contextlib

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium package; browsers are never downloaded
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 10_000  # a tab's wait for anything, in Playwright's milliseconds


@contextlib.contextmanager
def new_tab(browser, **context_options):
    """A fresh browser tab in a context of its own; fails on any uncaught
    script error in the page."""
    context = browser.new_context(**{"viewport": {"width": 1280, "height": 800}, "accept_downloads": True,
                                     **context_options})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    errors: list = []
    tab.on("pageerror", lambda error: errors.append(error))
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"script errors in the page: {errors}"
