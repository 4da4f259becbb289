"""The catcher's page, round two (issue 20, item 12), in headless Chromium:
the report tabs (links, HTML check, spam), the release dialog, j/k/Delete,
the dark theme, and the one owner of the counts.

Named to sort after test_catcher_page.py and test_catcher_mailpit_extra.py
(whose fixtures it uses): once Playwright runs in a pytest process, later
``asyncio.run`` calls fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smtp_core.devserver.features import Features

from browser import new_tab
from catcher_http import call, relay_features, smtp
from catcher_page import keys_open, message, open_page
from catcher_peers import SPAMMY


def open_subject(tab, subject: str) -> None:
    from playwright.sync_api import expect

    tab.locator("#messages .row", has_text=subject).click()
    expect(tab.locator("#m-subject")).to_have_text(subject)


def test_link_and_html_check_reports_are_tabs_of_the_message(page, catcher, recorder, free_port):  # noqa: F811
    from playwright.sync_api import expect

    # (A threaded http.server: an asyncio server can't start once Playwright runs.)
    html = (f'<div style="display:flex"><a href="{recorder.url}/ok">fine</a> '
            f'<a href="http://127.0.0.1:{free_port}/gone">gone</a></div><script>alert(1)</script>')
    smtp(catcher, message("Checked", html=html))
    open_page(page, catcher)
    open_subject(page, "Checked")
    assert recorder.hits == []  # nothing is checked before its tab is opened
    page.locator('[data-tab="links"]').click()
    panel = page.locator('[data-panel="links"]')
    expect(panel.locator(".report-summary")).to_have_text("2 links checked, 1 error")
    expect(panel.locator("tbody tr")).to_have_count(2)
    expect(panel.locator("tbody tr", has_text="/gone").locator(".bad")).to_contain_text("Connect call failed")
    expect(panel.locator("tbody tr", has_text="/ok").locator(".good")).to_have_text("200 OK")
    assert recorder.hits == ["/ok"]  # HEAD unanswered (501), then one GET

    page.locator('[data-tab="html-check"]').click()
    checked = page.locator('[data-panel="html-check"]')
    expect(checked.locator(".report-summary")).to_contain_text("Supported ")
    expect(checked.locator("tbody tr", has_text="<script> element")).to_have_count(1)
    flex = checked.locator("tbody tr a", has_text="display:flex")
    expect(flex).to_have_attribute("href", "https://www.caniemail.com/features/css-display-flex/")
    # Spam is not offered when SpamAssassin is off; the message's script never ran.
    expect(page.locator('[data-tab="spam"]')).to_be_hidden()


def test_a_text_only_message_has_no_html_check(page, catcher):  # noqa: F811
    from playwright.sync_api import expect

    smtp(catcher, message("Plain only"))
    open_page(page, catcher)
    open_subject(page, "Plain only")
    expect(page.locator('[data-tab="html-check"]')).to_be_disabled()
    expect(page.locator('[data-panel="text"]')).to_have_class("panel active")


def test_the_spam_tab_shows_spamds_answer_when_enabled(browser, make_catcher, free_port):
    from playwright.sync_api import expect

    catcher = make_catcher(features=Features(spamassassin=f"127.0.0.1:{free_port}"))  # nothing listens there
    smtp(catcher, message("Maybe spam"))
    with new_tab(browser) as tab:
        open_page(tab, catcher)
        open_subject(tab, "Maybe spam")
        tab.locator('[data-tab="spam"]').click()
        expect(tab.locator('[data-panel="spam"] .report-summary')).to_have_text(
            f"dial tcp 127.0.0.1:{free_port}: connect: connection refused")


def test_the_spam_tab_shows_a_real_spamds_score_and_rules(browser, make_catcher, spamd):  # noqa: F811
    from playwright.sync_api import expect

    catcher = make_catcher(features=Features(spamassassin=spamd))
    smtp(catcher, ("a@example.com", ["b@example.com"], SPAMMY))
    with new_tab(browser) as tab:
        open_page(tab, catcher)
        tab.locator("#messages .row").first.click()
        tab.locator('[data-tab="spam"]').click()
        panel = tab.locator('[data-panel="spam"]')
        expect(panel.locator(".report-summary.bad")).to_contain_text(" — spam")
        expect(panel.locator("tbody tr", has_text="MISSING_DATE")).to_contain_text("Missing Date: header")


def test_release_dialog_sends_the_message_through_the_relay(browser, make_catcher, make_devserver):
    from playwright.sync_api import expect

    relay = make_devserver()
    catcher = make_catcher(features=relay_features(relay, allowed=re.compile(r"@example\.com$")))
    smtp(catcher, message("Release me", to="Bob <bob@example.com>"))
    with new_tab(browser) as tab:
        open_page(tab, catcher)
        open_subject(tab, "Release me")
        tab.locator("#m-release").click()
        dialog = tab.locator("#release-dialog")
        expect(dialog).to_be_visible()
        expect(tab.locator("#release-to")).to_have_value("bob@example.com")
        expect(tab.locator("#release-server")).to_have_text(f"127.0.0.1:{relay.port}")
        # A recipient the allow-list refuses: Mailpit's text, the dialog stays, nothing relayed.
        tab.locator("#release-to").fill("eve@elsewhere.test")
        tab.locator("#release-send").click()
        expect(tab.locator("#release-error")).to_contain_text("do not match the allowlist")
        expect(dialog).to_be_visible()
        assert relay.messages() == []
        tab.locator("#release-to").fill("carol@example.com, dan@example.com")
        tab.locator("#release-send").click()
        expect(dialog).to_be_hidden()
        expect(tab.locator("#toast")).to_have_text("Released to carol@example.com, dan@example.com")
    [relayed] = relay.wait_for(1)
    assert relayed.envelope_to == ("carol@example.com", "dan@example.com")
    assert b"Subject: Release me" in relayed.raw


def test_release_is_not_offered_without_a_relay(page, catcher):  # noqa: F811
    from playwright.sync_api import expect

    smtp(catcher, message("No relay"))
    open_page(page, catcher)
    open_subject(page, "No relay")
    expect(page.locator("#m-release")).to_be_hidden()


def test_j_k_and_delete_move_through_and_delete_mail(page, catcher):  # noqa: F811
    from playwright.sync_api import expect

    smtp(catcher, message("Oldest"), message("Middle"), message("Newest"))
    open_page(page, catcher)
    keys_open(page, [("j", "Newest"),  # nothing open: the first message
                     ("j", "Middle"), ("k", "Newest"), ("j", "Middle"),
                     ("Delete", "Oldest")])  # deletes Middle, opens the next one
    expect(page.locator("#messages .row")).to_have_count(2)
    expect(page.locator("#count")).to_have_text("2 messages")
    status, _, body = call(catcher, "GET", "/api/v1/messages")
    assert status == 200 and b"Middle" not in body
    # Keys typed into the search box are text, not commands.
    page.locator("#search").click()
    page.keyboard.type("jk")
    expect(page.locator("#search")).to_have_value("jk")
    expect(page.locator("#messages .row")).to_have_count(0)  # the search ran, nothing was deleted or moved


# Before the page's scripts: every Content-Security-Policy violation, kept for the test.
_WATCH_POLICY = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`));
"""


def test_the_new_parts_keep_to_the_pages_policy(browser, make_catcher, make_devserver):
    from playwright.sync_api import expect

    relay = make_devserver()
    catcher = make_catcher(features=relay_features(relay))
    smtp(catcher, message("Every tab", html='<p style="color:red">styled</p>'))
    with new_tab(browser, color_scheme="dark") as tab:
        tab.add_init_script(_WATCH_POLICY)
        open_page(tab, catcher)
        open_subject(tab, "Every tab")
        for name in ("text", "headers", "raw", "links", "html-check", "html"):
            tab.locator(f'[data-tab="{name}"]').click()
            expect(tab.locator(f'[data-panel="{name}"]')).to_have_class(re.compile(r"\bactive\b"))
        expect(tab.locator('[data-panel="html-check"] tbody tr')).not_to_have_count(0)
        tab.locator("#m-release").click()
        expect(tab.locator("#release-dialog")).to_be_visible()
        tab.keyboard.press("Escape")
        expect(tab.locator("#release-dialog")).to_be_hidden()
        assert tab.evaluate("window.__violations") == []


@pytest.mark.parametrize("scheme, background", [("dark", "rgb(11, 15, 23)"), ("light", "rgb(244, 246, 250)")])
def test_the_theme_follows_the_system(browser, catcher, scheme, background):
    with new_tab(browser, color_scheme=scheme) as tab:
        open_page(tab, catcher)
        assert tab.evaluate("getComputedStyle(document.body).backgroundColor") == background


def test_the_counts_follow_reads_arrivals_and_deletions(page, catcher):  # noqa: F811
    from playwright.sync_api import expect

    smtp(catcher, message("One"), message("Two"))
    open_page(page, catcher)
    expect(page.locator("#unread")).to_have_text("2 unread")
    open_subject(page, "One")
    expect(page.locator("#unread")).to_have_text("1 unread")
    expect(page).to_have_title("(1) Mail catcher · gostd-smtp")
    smtp(catcher, message("Three"))
    expect(page.locator("#unread")).to_have_text("2 unread")
    expect(page.locator("#count")).to_have_text("3 messages")
    page.locator("#m-delete").click()
    expect(page.locator("#count")).to_have_text("2 messages")
    expect(page.locator("#unread")).to_have_text("2 unread")
    call(catcher, "PUT", "/api/v1/messages", {"Read": True})
    expect(page.locator("#unread")).to_be_hidden()
    expect(page).to_have_title("Mail catcher · gostd-smtp")


# -- the modules (plain HTTP and source) --------------------------------------------

STATIC = Path(__file__).resolve().parents[2] / "smtp_core" / "devserver" / "web" / "static"
_IMPORT = re.compile(r'^import .* from "\./([\w-]+\.js)";$', re.M)
_WRITES_HTML = re.compile(rb"\.(inner|outer)HTML\b|insertAdjacentHTML|document\.write")  # message data as markup
_ASSIGNS_STATE = re.compile(r"\bmailbox\.(messages|total|unread|query|selected)\s*([-+]?=(?!=)|\+\+|--)")


def test_every_module_the_page_imports_is_served_as_javascript_under_the_policy(catcher):
    from smtp_core.devserver.web.page import PAGE_CSP, STATIC_FILES

    imported = {"page.js"}
    for source in STATIC.glob("*.js"):
        imported.update(_IMPORT.findall(source.read_text()))
    assert imported == {name for name in STATIC_FILES if name.endswith(".js")}  # none missing, none unused
    for name in sorted(imported):
        status, headers, body = call(catcher, "GET", f"/static/{name}")
        assert status == 200 and headers["Content-Type"] == "text/javascript; charset=utf-8", name
        assert headers["Content-Security-Policy"] == PAGE_CSP and not _WRITES_HTML.search(body), name


def test_only_the_mailbox_module_changes_the_lists_state_and_counts():
    owners = {source.name for source in STATIC.glob("*.js") if _ASSIGNS_STATE.search(source.read_text())}
    assert owners == {"mailbox.js"}
