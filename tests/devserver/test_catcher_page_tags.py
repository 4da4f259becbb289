"""The catcher's page shows tags (issue 20, item 3): in the list and in the
message view, and a click on one searches ``tag:NAME``.  Headless Chromium
(conftest's ``browser``), real SMTP on loopback."""

from __future__ import annotations

from catcher_http import smtp, tagged
from catcher_page import open_page


def test_tags_show_in_the_list_and_the_message_and_a_click_searches_them(page, catcher):
    from playwright.sync_api import expect

    smtp(catcher, tagged("Invoice", "Billing, Two words"), tagged("Lunch", "Two words"), tagged("Plain", None))
    open_page(page, catcher)
    rows = page.locator("#messages .row")
    expect(rows).to_have_count(3)
    invoice = rows.filter(has_text="Invoice")
    expect(invoice.locator("button.tag")).to_have_text(["Billing", "Two words"])
    expect(rows.filter(has_text="Plain").locator("button.tag")).to_have_count(0)

    invoice.locator(".from").click()
    expect(page.locator("#m-subject")).to_have_text("Invoice")
    expect(page.locator("#m-tags button.tag")).to_have_text(["Billing", "Two words"])

    page.locator("#m-tags button.tag", has_text="Two words").click()
    expect(page.locator("#search")).to_have_value('tag:"Two words"')
    expect(rows).to_have_count(2)
    expect(page.locator("#count")).to_have_text("2 matches")

    rows.filter(has_text="Lunch").locator("button.tag").click()  # in a row: searches, the row stays shut
    expect(page.locator("#m-subject")).to_have_text("Invoice")
    page.fill("#search", "")
    expect(rows).to_have_count(3)
    invoice.locator("button.tag", has_text="Billing").click()
    expect(page.locator("#search")).to_have_value("tag:Billing")
    expect(rows).to_have_count(1)
    expect(page.locator("#m-subject")).to_have_text("Invoice")  # still the message opened before


def test_tags_set_through_the_api_reach_an_open_page_and_keep_the_read_state(page, catcher):
    from playwright.sync_api import expect

    from catcher_http import call, get_json

    smtp(catcher, tagged("Invoice", None), tagged("Other", None))
    open_page(page, catcher)
    rows = page.locator("#messages .row")
    expect(rows).to_have_count(2)
    invoice = rows.filter(has_text="Invoice")
    invoice.locator(".from").click()  # read: the row is no longer unread
    expect(invoice).not_to_have_class("row unread")
    message_id = invoice.get_attribute("data-id")
    assert call(catcher, "PUT", "/api/v1/tags", {"IDs": [message_id], "Tags": ["Paid"]})[0] == 200
    expect(invoice.locator("button.tag")).to_have_text(["Paid"])  # the store's update event
    expect(invoice).not_to_have_class("row unread")
    expect(page.locator("#unread")).to_have_text("1 unread")
    assert get_json(catcher, "/api/v1/messages")["unread"] == 1


def test_the_tag_editor_sets_the_open_messages_tags(page, catcher):
    from playwright.sync_api import expect

    from catcher_http import get_json

    smtp(catcher, tagged("Invoice", "Old"), tagged("Other", None))
    open_page(page, catcher)
    invoice = page.locator("#messages .row").filter(has_text="Invoice")
    invoice.locator(".from").click()
    expect(page.locator("#m-tags-input")).to_have_value("Old")
    page.fill("#m-tags-input", "paid, Q3 <2026>, paid")
    page.locator("#m-tags-form button[type=submit]").click()
    expect(page.locator("#m-tags button.tag")).to_have_text(["paid", "Q3 2026"])
    expect(invoice.locator("button.tag")).to_have_text(["paid", "Q3 2026"])
    assert get_json(catcher, "/api/v1/tags") == ["paid", "Q3 2026"]
    page.fill("#m-tags-input", "")
    page.locator("#m-tags-form button[type=submit]").click()
    expect(page.locator("#m-tags")).to_be_hidden()
    assert get_json(catcher, "/api/v1/tags") == []
