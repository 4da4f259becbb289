"""The catcher behind a browser: other origins, a rebound name, hostile parts.

Headless Chromium (the ``browser`` fixture) visits a page served from a
second loopback origin (another port: same *site*, another *origin*), which
tries what issue 21 found: reading live mail over the event socket (2),
marking mail read with an ``<img>`` (14).  A second Chromium resolves a
foreign name to 127.0.0.1, as a DNS rebinding does (3).  On the catcher's
own page, a message part typed as a script or a style must not load as one
(13).  Each refusal has its positive control from the catcher's own origin.

(The file sorts after ``test_catcher_page.py`` on purpose: once the session's
Chromium runs, Playwright's sync API holds an event loop on the main thread,
and test files before it that call ``asyncio.run`` would fail.)
"""

from __future__ import annotations


import pytest

from loopback_http import LoopbackSite

from browser import CHROMIUM, CHROMIUM_ARGS
from catcher_http import get_json, mixed, smtp

TIMEOUT_MS = 10_000

# Runs in a page: open the catcher's event socket, report how it went.
TRY_EVENTS = """url => new Promise(done => {
  const socket = new WebSocket(url);
  socket.onopen = () => { socket.close(); done("open"); };
  socket.onerror = () => done("refused");
})"""
# Runs in a page: load a URL as an image, report when it settled.
LOAD_IMAGE = """url => new Promise(done => {
  const image = new Image();
  image.onload = () => done("load");
  image.onerror = () => done("error");
  image.src = url;
})"""


def other_origin() -> LoopbackSite:
    """A blank page on another loopback port: a second origin (``.url`` ends with a slash)."""
    site = LoopbackSite(lambda path: ("text/html", b"<!doctype html><title>elsewhere</title><p>another site</p>"))
    site.url += "/"
    return site


@pytest.fixture
def tab(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def elsewhere():
    origin = other_origin()
    try:
        yield origin
    finally:
        origin.close()


def events_url(catcher) -> str:
    return f"ws://127.0.0.1:{catcher.http_port}/api/events"


def test_another_origin_cannot_open_the_event_socket(tab, catcher, elsewhere):
    tab.goto(elsewhere.url)
    assert tab.evaluate(TRY_EVENTS, events_url(catcher)) == "refused"
    tab.goto(catcher.url)  # control: the catcher's own page opens it
    assert tab.evaluate(TRY_EVENTS, events_url(catcher)) == "open"


def test_an_image_on_another_origin_does_not_mark_mail_read(tab, catcher, elsewhere):
    smtp(catcher, ("a@example.com", ["b@example.com"], b"Subject: code 492817\r\n\r\nhi\r\n"))
    [received] = catcher.wait_for(1)
    message_url = f"{catcher.url}api/v1/message/{received.id}"
    tab.goto(elsewhere.url)
    assert tab.evaluate(LOAD_IMAGE, message_url) == "error"  # JSON is no image; the request was made
    assert get_json(catcher, "/api/v1/messages")["messages"][0]["Read"] is False
    tab.goto(catcher.url + "static/favicon.svg")  # control: the same request from the catcher's origin
    assert tab.evaluate(LOAD_IMAGE, message_url) == "error"
    assert get_json(catcher, "/api/v1/messages")["messages"][0]["Read"] is True


def test_another_origin_cannot_read_the_api(tab, catcher, elsewhere):
    tab.goto(elsewhere.url)
    outcome = tab.evaluate("""url => fetch(url).then(r => r.text()).then(() => "read", () => "blocked")""",
                           catcher.url + "api/v1/messages")
    assert outcome == "blocked"


@pytest.fixture
def rebinding_browser(browser):
    """A second Chromium, from the same Playwright, that resolves
    ``rebound.test`` to 127.0.0.1 as a rebinding attacker's name would after
    its first answer."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP rebound.test 127.0.0.1"])
    try:
        yield chromium
    finally:
        chromium.close()


def test_a_rebound_name_gets_nothing(rebinding_browser, make_catcher):
    plain_catcher = make_catcher()
    smtp(plain_catcher, ("a@example.com", ["b@example.com"], b"Subject: code 492817\r\n\r\nhi\r\n"))
    plain_catcher.wait_for(1)
    allowing = make_catcher(http_allowed_hosts=["rebound.test"])
    context = rebinding_browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        for path in ("", "api/v1/messages"):
            response = page.goto(f"http://rebound.test:{plain_catcher.http_port}/{path}")
            assert response.status == 403
            assert "492817" not in page.content() and "--http-allowed-host" in page.content()
        assert page.evaluate(TRY_EVENTS, f"ws://rebound.test:{plain_catcher.http_port}/api/events") == "refused"
        # Control: a name given with --http-allowed-host serves the page.
        response = page.goto(f"http://rebound.test:{allowing.http_port}/api/v1/messages")
        assert response.status == 200 and "492817" in page.content()
    finally:
        context.close()


def test_a_part_typed_as_script_or_style_does_not_load_as_one_in_the_page(tab, catcher):
    smtp(catcher, ("a@example.com", ["b@example.com"], mixed(
        ("text/javascript", "run.js", b"document.title = 'part ran';"),
        ("text/css", "look.css", b"body { background: rgb(1, 2, 3) !important; }"))))
    [received] = catcher.wait_for(1)
    script, style = get_json(catcher, f"/api/v1/message/{received.id}")["Attachments"]
    tab.goto(catcher.url)
    part = f"/api/v1/message/{received.id}/part/"
    loaded = tab.evaluate("""url => new Promise(done => {
      const script = document.createElement("script");
      script.onload = () => done("load");
      script.onerror = () => done("error");
      script.src = url;
      document.head.append(script);
    })""", part + script["PartID"])
    assert loaded == "error" and tab.title() != "part ran"
    applied = tab.evaluate("""url => new Promise(done => {
      const link = document.createElement("link");
      link.rel = "stylesheet";
      link.onload = link.onerror = () => done(getComputedStyle(document.body).backgroundColor);
      link.href = url;
      document.head.append(link);
    })""", part + style["PartID"])
    assert applied != "rgb(1, 2, 3)"
    # Control: the page's own script does load by the same means.
    assert tab.evaluate("""url => new Promise(done => {
      const script = document.createElement("script");
      script.onload = () => done("load");
      script.onerror = () => done("error");
      script.src = url;
      document.head.append(script);
    })""", "/static/page.js") == "load"
