"""The mail catcher's web page, in a real browser.

Headless Chromium from Debian's ``chromium`` package (the ``browser``
fixture in conftest: never downloaded, skipped without it except under CI)
against a dev server with its HTTP side on a free loopback port; mail
arrives over SMTP.

The page's safety is checked by side effects a running script would leave
(an attribute on the frame's document, the page's title, a request to a
loopback recorder), each with a positive control where one is possible.
"""

from __future__ import annotations

import os
import re

import pytest

from catcher_http import call, get_json, smtp
from catcher_page import PIXEL_PNG, keys_open, message, open_page

from smtp_core.devserver.web import page as page_module

# -- the page's files and headers (plain HTTP) ------------------------------------

def test_page_and_files_are_served_under_the_strict_policy(catcher):
    status, headers, body = call(catcher, "GET", "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == page_module.PAGE_CSP
    assert "script-src 'self'" in page_module.PAGE_CSP and "unsafe-inline" not in page_module.PAGE_CSP
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert b'<script type="module" src="/static/page.js">' in body
    # No inline script or event handler: the policy would block them anyway.
    assert b"<script>" not in body and not re.search(rb"\son[a-z]+\s*=", body)

    status, headers, script = call(catcher, "GET", "/static/page.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    # Message data reaches the document as text only.
    assert not re.search(rb"\.(inner|outer)HTML\b|insertAdjacentHTML|document\.write|\beval\(", script)
    status, cached, _ = call(catcher, "GET", "/static/page.js", headers={"If-None-Match": headers["ETag"]})
    assert status == 304


@pytest.mark.parametrize("path", [
    "/static/page.py", "/static/..%2fpage.py", "/static/%2e%2e/page.py", "/static/../server.py",
    "/static/static%2findex.html", "/static/", "/static/.", "/view/..%2f..%2fetc%2fpasswd.html",
    "/view/nosuchid.html",
])
def test_no_request_names_a_file(catcher, path):
    status, _, body = call(catcher, "GET", path)
    assert status == 404, (path, body[:200])


# -- the list -------------------------------------------------------------------------

def test_the_list_shows_the_caught_messages(page, catcher):
    from playwright.sync_api import expect

    with_attachment = message("Invoice 1042", "Your invoice is attached.\n",
                              sender="Billing <billing@shop.example>")
    with_attachment.add_attachment(b"%PDF-1.4\n" + bytes(2000), maintype="application", subtype="pdf",
                                   filename="invoice-1042.pdf")
    smtp(catcher,
            message("First plain note", "One line.\n", to="carol@example.com"),
            message("Weekly report", html="<h1>Report</h1>", cc="Dave <dave@example.com>"),
            with_attachment)
    open_page(page, catcher)

    rows = page.locator("#messages .row")
    expect(rows).to_have_count(3)
    newest, middle, oldest = rows.nth(0), rows.nth(1), rows.nth(2)
    expect(newest.locator(".subject")).to_have_text("Invoice 1042")
    expect(middle.locator(".subject")).to_have_text("Weekly report")
    expect(oldest.locator(".subject")).to_have_text("First plain note")
    expect(newest.locator(".from")).to_contain_text("Billing")
    expect(newest.locator(".from")).to_contain_text("→ Bob")
    expect(newest.locator(".from")).to_have_attribute("title", "Billing <billing@shop.example> → Bob <bob@example.com>")
    expect(oldest.locator(".from")).to_contain_text("carol@example.com")
    expect(newest.locator(".snippet")).to_have_text("Your invoice is attached.")
    # Size, time, attachment mark, unread state.
    size = get_json(catcher, "/api/v1/messages")["messages"][0]["Size"]
    assert 2048 < size < 10240
    expect(newest.locator(".size")).to_have_text(f"{size / 1024:.1f} kB")
    expect(oldest.locator(".size")).to_have_text(re.compile(r"^\d+ B$"))
    assert newest.locator(".time").get_attribute("datetime")
    expect(newest.locator(".clip")).to_have_count(1)
    expect(newest.locator(".clip")).to_have_attribute("title", "1 attachment")
    expect(middle.locator(".clip")).to_have_count(0)
    for index in range(3):
        expect(rows.nth(index)).to_have_class("row unread")
    expect(page.locator("#count")).to_have_text("3 messages")
    expect(page.locator("#unread")).to_have_text("3 unread")
    expect(page).to_have_title("(3) Mail catcher · gostd-smtp")


def test_a_message_sent_while_the_page_is_open_appears_without_a_reload(page, catcher):
    from playwright.sync_api import expect

    open_page(page, catcher)
    expect(page.locator("#empty")).to_be_visible()
    page.evaluate("window.stillTheSamePage = true")

    smtp(catcher, message("Arrived live"))
    row = page.locator("#messages .row")
    expect(row).to_have_count(1)
    expect(row.locator(".subject")).to_have_text("Arrived live")
    expect(row).to_have_class("row unread")
    expect(page.locator("#count")).to_have_text("1 message")
    expect(page.locator("#empty")).to_be_hidden()

    smtp(catcher, message("And another"))
    expect(page.locator("#messages .row").first.locator(".subject")).to_have_text("And another")
    expect(page.locator("#count")).to_have_text("2 messages")
    assert page.evaluate("window.stillTheSamePage") is True


def test_clicking_a_message_opens_it(page, catcher):
    from playwright.sync_api import expect

    smtp(catcher, message("Open me", "The text part.\nSecond line.\n",
                             html="<p>The <b>HTML</b> part.</p>", cc="Carol <carol@example.com>"))
    open_page(page, catcher)
    page.locator("#messages .row", has_text="Open me").click()

    expect(page.locator("#m-subject")).to_have_text("Open me")
    expect(page.locator("#m-from")).to_have_text("Ann Sender <ann@example.com>")
    expect(page.locator("#m-to")).to_have_text("Bob <bob@example.com>")
    expect(page.locator("#m-cc")).to_have_text("Carol <carol@example.com>")
    expect(page.locator("dd.bcc")).to_be_hidden()
    expect(page.locator('[data-tab="html"]')).to_have_attribute("aria-selected", "true")
    expect(page.frame_locator("#m-html").locator("b")).to_have_text("HTML")

    page.locator('[data-tab="text"]').click()
    expect(page.locator("#m-text")).to_have_text("The text part.\nSecond line.\n")
    page.locator('[data-tab="headers"]').click()
    expect(page.locator("#m-headers tr", has_text="Subject")).to_contain_text("Open me")
    page.locator('[data-tab="raw"]').click()
    expect(page.locator("#m-raw")).to_contain_text("Subject: Open me")
    expect(page.locator("#m-raw")).to_contain_text("Content-Type: multipart/alternative")

    # Reading it marked it read, in the list and on the server.
    expect(page.locator("#messages .row")).to_have_class("row")
    expect(page.locator("#unread")).to_be_hidden()
    assert get_json(catcher, "/api/v1/messages")["unread"] == 0
    # The address bar names the message: a reload opens it again.
    page.reload()
    expect(page.locator("#m-subject")).to_have_text("Open me")
    page.locator("#m-unread").click()
    expect(page.locator("#message")).to_be_hidden()
    expect(page.locator("#messages .row")).to_have_class("row unread")
    expect(page.locator("#unread")).to_have_text("1 unread")
    assert get_json(catcher, "/api/v1/messages")["unread"] == 1


def test_search_narrows_the_list(page, catcher):
    from playwright.sync_api import expect

    smtp(catcher, message("Invoice 7"), message("Lunch?", sender="carol@example.com"),
            message("Invoice 8", to="dave@example.com"))
    open_page(page, catcher)
    rows = page.locator("#messages .row")
    expect(rows).to_have_count(3)

    page.fill("#search", "subject:invoice")
    page.press("#search", "Enter")
    expect(rows).to_have_count(2)
    expect(page.locator("#count")).to_have_text("2 matches")
    page.fill("#search", "from:carol")  # typing alone searches, after a pause
    expect(rows).to_have_count(1)
    expect(rows.locator(".subject")).to_have_text("Lunch?")
    page.fill("#search", "to:dave@example.com subject:invoice")
    expect(rows.locator(".subject")).to_have_text("Invoice 8")
    page.fill("#search", "nothing-matches-this")
    expect(rows).to_have_count(0)
    expect(page.locator("#empty")).to_contain_text("Nothing matches")
    page.fill("#search", "")
    expect(rows).to_have_count(3)

    # "Delete all" during a search deletes the matches only.
    page.fill("#search", "subject:invoice")
    expect(rows).to_have_count(2)
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("#delete-all").click()
    expect(rows).to_have_count(0)
    assert asked == ["Delete all 2 matching messages?"]
    page.fill("#search", "")
    expect(rows.locator(".subject")).to_have_text(["Lunch?"])


def test_delete_one_then_all(page, catcher):
    from playwright.sync_api import expect

    smtp(catcher, message("Keep 1"), message("Delete me"), message("Keep 2"))
    open_page(page, catcher)
    rows = page.locator("#messages .row")
    page.locator("#messages .row", has_text="Delete me").click()
    expect(page.locator("#m-subject")).to_have_text("Delete me")
    page.locator("#m-delete").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#message")).to_be_hidden()
    assert sorted(m["Subject"] for m in get_json(catcher, "/api/v1/messages")["messages"]) == ["Keep 1", "Keep 2"]

    expect(page.locator("#unread")).to_have_text("2 unread")
    page.locator("#mark-all-read").click()
    expect(page.locator("#messages .row.unread")).to_have_count(0)
    expect(page.locator("#unread")).to_be_hidden()
    assert get_json(catcher, "/api/v1/messages")["unread"] == 0

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#delete-all").click()
    expect(rows).to_have_count(2)  # cancelled: nothing happens
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#delete-all").click()
    expect(rows).to_have_count(0)
    expect(page.locator("#count")).to_have_text("0 messages")
    assert get_json(catcher, "/api/v1/messages")["total"] == 0


# -- the message view ---------------------------------------------------------------

def frame_of(tab):
    handle = tab.locator("#m-html").element_handle()
    frame = handle.content_frame()
    assert frame is not None
    return frame


def test_html_renders_in_the_sandboxed_frame(page, catcher):
    from playwright.sync_api import expect

    msg = message("Newsletter", html='<h1 style="color: rgb(37, 99, 235)">Big news</h1>'
                                     '<img id="logo" alt="logo" src="cid:logo@example.com">'
                                     '<a id="link" href="https://example.com/">read more</a>')
    msg.get_payload()[1].add_related(PIXEL_PNG, maintype="image", subtype="png", cid="<logo@example.com>",
                                     filename="logo.png")
    smtp(catcher, msg)
    open_page(page, catcher)
    page.locator("#messages .row").click()

    iframe = page.locator("#m-html")
    sandbox = iframe.get_attribute("sandbox").split()
    assert "allow-scripts" not in sandbox and "allow-same-origin" not in sandbox
    expect(page.frame_locator("#m-html").locator("h1")).to_have_text("Big news")
    frame = frame_of(page)
    # Inline styles apply; the inline (cid:) image loads from the message's own part.
    assert frame.locator("h1").evaluate("h => getComputedStyle(h).color") == "rgb(37, 99, 235)"
    frame.wait_for_function("document.getElementById('logo').complete")
    assert frame.locator("#logo").evaluate("img => img.naturalWidth") == 1
    # Links open in a new tab, never inside the frame or over the page.
    assert frame.evaluate("document.querySelector('base').target") == "_blank"
    # The frame's document has an opaque origin: nothing of the page is reachable.
    assert frame.evaluate("window.origin") == "null"

    status, headers, body = call(catcher, "GET", iframe.get_attribute("src"))
    assert status == 200
    policy = headers["Content-Security-Policy"]
    assert policy == page_module.VIEW_CSP
    assert "sandbox" in policy and "allow-scripts" not in policy and "allow-same-origin" not in policy
    assert "default-src 'none'" in policy


def test_scripts_in_a_message_do_not_run(page, catcher):
    from playwright.sync_api import expect

    mark = "document.documentElement.setAttribute('data-ran', '{}'); top.document.title = 'pwned'"
    hostile = message(
        '<img src=x onerror="document.title=\'pwned\'"> Hostile',
        html=(f"<p id=text>still shown</p><script>{mark.format('script')}</script>"
              f"<img src=\"/nonexistent.png\" onerror=\"{mark.format('onerror')}\">"
              f"<svg onload=\"{mark.format('svg')}\"></svg>"
              f"<iframe srcdoc=\"<script>parent.{mark.format('nested')}</script>\"></iframe>"),
        sender='"<b onclick=alert(1)>Mallory</b>" <mallory@example.com>',
    )
    smtp(catcher, hostile)
    open_page(page, catcher)
    row = page.locator("#messages .row")
    # Header values are text, never markup.
    expect(row.locator(".subject")).to_have_text('<img src=x onerror="document.title=\'pwned\'"> Hostile')
    expect(row.locator(".from")).to_contain_text("<b onclick=alert(1)>Mallory</b>")
    assert page.locator("#messages img, #messages b").count() == 0
    row.click()
    expect(page.locator("#m-subject")).to_have_text('<img src=x onerror="document.title=\'pwned\'"> Hostile')
    expect(page.locator("#m-from")).to_contain_text("<b onclick=alert(1)>Mallory</b>")

    expect(page.frame_locator("#m-html").locator("#text")).to_have_text("still shown")
    frame = frame_of(page)
    frame.wait_for_function("document.readyState === 'complete'")
    # The broken image did fail to load (so its onerror would have fired).
    assert frame.locator("img").evaluate("img => img.complete && img.naturalWidth === 0")
    page.wait_for_timeout(300)
    assert frame.evaluate("document.documentElement.getAttribute('data-ran')") is None
    assert "pwned" not in page.title()

    # Opened on its own, the view is still sandboxed by its own policy.
    view = page.context.new_page()
    view.goto(catcher.url.rstrip("/") + page.locator("#m-html").get_attribute("src"))
    expect(view.locator("#text")).to_have_text("still shown")
    view.wait_for_timeout(300)
    assert view.evaluate("document.documentElement.getAttribute('data-ran')") is None
    assert view.evaluate("window.origin") == "null"
    assert "pwned" not in view.title()
    view.close()


def test_remote_content_is_blocked_until_asked_for(page, catcher, recorder):
    from playwright.sync_api import expect

    smtp(catcher, message("Tracked", html=(
        f'<meta http-equiv="refresh" content="0; url={recorder.url}/refresh">'
        f'<link rel="stylesheet" href="{recorder.url}/style.css">'
        f'<style>@import url({recorder.url}/import.css);</style>'
        f'<p id="text">hello</p><img id="pixel" src="{recorder.url}/pixel.png">'
        f'<img srcset="{recorder.url}/srcset.png 2x"><video poster="{recorder.url}/poster.png"></video>'
        f'<iframe src="{recorder.url}/frame"></iframe><object data="{recorder.url}/object"></object>'
        f'<div style="background: url({recorder.url}/background.png)">x</div>')))
    open_page(page, catcher)
    page.locator("#messages .row").click()
    expect(page.frame_locator("#m-html").locator("#text")).to_have_text("hello")
    frame_of(page).wait_for_function("document.readyState === 'complete'")
    page.wait_for_timeout(500)
    assert recorder.hits == []
    assert frame_of(page).url.startswith(catcher.url)  # the refresh did not navigate it

    # Positive control: asked for, the same message loads them.
    page.locator("#remote").click()
    expect(page.frame_locator("#m-html").locator("#text")).to_have_text("hello")
    frame_of(page).wait_for_function("document.getElementById('pixel').complete")
    assert "/pixel.png" in recorder.hits and "/style.css" in recorder.hits
    assert frame_of(page).evaluate("document.documentElement.getAttribute('data-ran')") is None


def test_an_attachment_downloads(page, catcher):
    from playwright.sync_api import expect

    content = os.urandom(5000) + b"\r\n.\r\nend\n"
    msg = message("With a file", "See the attachment.\n")
    msg.add_attachment(content, maintype="application", subtype="octet-stream", filename="data.bin")
    smtp(catcher, msg)
    open_page(page, catcher)
    page.locator("#messages .row").click()
    link = page.locator("#m-attachments a", has_text="data.bin")
    expect(link).to_be_visible()
    expect(link).to_contain_text("4.9 kB")
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "data.bin"
    with open(download.path(), "rb") as saved:
        assert saved.read() == content

    with page.expect_download() as info:
        page.locator("#m-download").click()
    with open(info.value.path(), "rb") as saved:
        assert b"Subject: With a file" in saved.read()


# -- more of the list -----------------------------------------------------------------

def test_the_list_pages_and_follows_changes_made_elsewhere(page, catcher):
    from playwright.sync_api import expect

    smtp(catcher, *(message(f"Bulk {number:02}") for number in range(55)))
    open_page(page, catcher)
    rows = page.locator("#messages .row")
    expect(rows).to_have_count(50)
    expect(page.locator("#count")).to_have_text("55 messages")
    page.locator("#more").click()
    expect(rows).to_have_count(55)
    expect(page.locator("#more")).to_be_hidden()
    expect(rows.last.locator(".subject")).to_have_text("Bulk 00")

    # Another client (a test suite using the API) changes the mailbox.
    status, _, _ = call(catcher, "PUT", "/api/v1/messages", {"Read": True})
    assert status == 200
    expect(page.locator("#messages .row.unread")).to_have_count(0)
    expect(page.locator("#unread")).to_be_hidden()

    newest = get_json(catcher, "/api/v1/messages")["messages"][0]
    status, _, _ = call(catcher, "DELETE", "/api/v1/messages", {"IDs": [newest["ID"]]})
    assert status == 200
    expect(rows).to_have_count(54)
    expect(page.locator("#messages .row", has_text=newest["Subject"])).to_have_count(0)
    expect(page.locator("#count")).to_have_text("54 messages")

    status, _, _ = call(catcher, "DELETE", "/api/v1/messages")
    assert status == 200
    expect(rows).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()


def test_the_keyboard_moves_through_the_list(page, catcher):
    from playwright.sync_api import expect

    smtp(catcher, message("Oldest"), message("Middle"), message("Newest"))
    open_page(page, catcher)
    page.locator("#messages .row", has_text="Newest").click()
    expect(page.locator("#m-subject")).to_have_text("Newest")
    keys_open(page, [("ArrowDown", "Middle"), ("ArrowDown", "Oldest"), ("ArrowUp", "Middle")])
    page.keyboard.press("Escape")
    expect(page.locator("#message")).to_be_hidden()
    page.keyboard.press("/")
    expect(page.locator("#search")).to_be_focused()


def test_the_page_works_behind_basic_auth(browser, make_catcher):
    from playwright.sync_api import expect

    server = make_catcher(http_auth=("ann", "s3cret"))
    status, _, _ = call(server, "GET", "/")
    assert status == 401
    smtp(server, message("Behind a password"))
    context = browser.new_context(http_credentials={"username": "ann", "password": "s3cret"})
    try:
        tab = context.new_page()
        open_page(tab, server)  # the event socket too
        expect(tab.locator("#messages .row .subject")).to_have_text("Behind a password")
        smtp(server, message("Live behind a password"))
        expect(tab.locator("#messages .row")).to_have_count(2)
    finally:
        context.close()


def test_the_page_reconnects_to_a_restarted_server(page, catcher, make_catcher):
    from playwright.sync_api import expect

    smtp(catcher, message("Before the restart"))
    open_page(page, catcher)
    port = catcher.http_port
    catcher.stop()
    expect(page.locator("#live")).to_have_attribute("data-state", "offline")

    restarted = make_catcher(http_port=port)  # the same mail folder
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    smtp(restarted, message("After the restart"))
    expect(page.locator("#messages .row .subject")).to_have_text(["After the restart", "Before the restart"])
