"""The catcher's page in a browser tab: the ``page`` fixture (a fresh tab,
see :func:`browser.new_tab`), opening the page and waiting until it is live,
walking the list with the keyboard (:func:`keys_open`), the mail the page
tests send, and a loopback ``recorder`` of what a message loads from outside
(tests/devserver/test_catcher_page*.py)."""

from __future__ import annotations

import email.message

import pytest
from browser import new_tab
from email_messages import email_message
from loopback_http import LoopbackSite

# A 1x1 PNG, for inline (cid:) images.
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f2b4"
    "6a0000000049454e44ae426082"
)


@pytest.fixture
def page(browser, catcher):
    """A fresh browser tab for the catcher's page (see :func:`new_tab`)."""
    with new_tab(browser) as tab:
        yield tab


def open_page(tab, catcher):
    from playwright.sync_api import expect

    tab.goto(catcher.url)
    expect(tab.locator("#live")).to_have_attribute("data-state", "live")
    expect(tab.locator("#count")).not_to_have_text("Loading…")


def keys_open(tab, steps: list[tuple[str, str]]) -> None:
    """Press each ``(key, subject)``'s key in turn and see it open the message
    with that subject (the list's keyboard: arrows, j/k, Delete)."""
    from playwright.sync_api import expect

    for key, subject in steps:
        tab.keyboard.press(key)
        expect(tab.locator("#m-subject")).to_have_text(subject)


# -- mail -------------------------------------------------------------------------

def message(subject: str, text: str = "Hello.\n", *, html: str | None = None,
            sender: str = "Ann Sender <ann@example.com>", to: str = "Bob <bob@example.com>",
            cc: str | None = None) -> email.message.EmailMessage:
    headers = {"From": sender, "To": to} | ({"Cc": cc} if cc else {}) | {"Subject": subject}
    return email_message(headers, text, html=html)


def recording_site() -> LoopbackSite:
    """A loopback HTTP server that remembers the paths asked for: whatever
    reaches it was loaded from outside the message."""
    return LoopbackSite(lambda path: ("image/png", PIXEL_PNG) if path.endswith(".png")
                        else ("text/css", b"body { color: red }"))


@pytest.fixture
def recorder():
    server = recording_site()
    yield server
    server.close()
