"""The README's screenshot of the mail catcher, taken by a test.

The demo's two messages (as ``gostd-smtp-demo`` sends them) and an HTML
message of the kind an application sends (inline logo, PDF attachment) in
the page, the HTML one open, in headless Chromium.  Each run checks what a
newcomer sees; with ``CATCHER_SCREENSHOT`` set it also saves the picture::

    CATCHER_SCREENSHOT=docs/img/catcher.png .venv/bin/python -m pytest tests/devserver/test_catcher_screenshot.py
"""

from __future__ import annotations

import os
import shutil

from catcher_http import smtp
from email_messages import email_message

LOGO_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 64 64">'
            '<rect x="4" y="12" width="56" height="40" rx="7" fill="#2563eb"/>'
            '<path d="M8 18l24 18 24-18" fill="none" stroke="#fff" stroke-width="5"/></svg>')

WELCOME_HTML = """<!doctype html>
<html><body style="margin:0;background:#f4f6fa;font-family:Helvetica,Arial,sans-serif;color:#1f2937">
<table width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:32px 16px">
<table width="560" cellpadding="0" cellspacing="0" style="background:#fff;border-radius:10px;padding:32px">
<tr><td><img src="cid:logo@example.com" width="48" height="48" alt="Example logo">
<h1 style="font-size:24px;margin:16px 0 8px">Welcome aboard, Bob!</h1>
<p style="font-size:15px;line-height:1.6">Your account is ready. Your first invoice is attached;
confirm your address to start sending.</p>
<p style="margin:24px 0"><a href="https://example.com/confirm?token=4f1c"
 style="background:#2563eb;color:#fff;padding:12px 20px;border-radius:8px;text-decoration:none;font-weight:bold">
Confirm my address</a></p>
<p style="font-size:13px;color:#6b7280">Sent by the example app through go.std.net.smtp.</p>
</td></tr></table></td></tr></table></body></html>
"""


def demo_messages(logo_png: bytes) -> list:
    """``(sender, recipients, message)``: what the demo sends, then an application's HTML mail."""
    step_by_step = (b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Hello from Hy\r\n\r\n"
                    b"Sent with go.std.net.smtp over STARTTLS.\r\n"
                    b".A line starting with a dot arrives intact.\r\n")
    send_mail = (b"From: alice@example.com\r\nSubject: SendMail from Hy\r\n\r\n"
                 b"One call, two recipients.\r\n")
    welcome = email_message({"From": "Example App <noreply@app.example>", "To": "Bob Builder <bob@example.com>",
                             "Subject": "Welcome aboard: confirm your address"},
                            "Welcome aboard, Bob!\n\nYour account is ready. Confirm your address:\n"
                            "https://example.com/confirm?token=4f1c\n", html=WELCOME_HTML)
    welcome.get_payload()[1].add_related(logo_png, maintype="image", subtype="png",
                                         cid="<logo@example.com>", filename="logo.png")
    welcome.add_attachment(b"%PDF-1.4\n" + bytes(24_000), maintype="application", subtype="pdf",
                           filename="invoice-1042.pdf")
    return [
        ("alice@example.com", ["bob@example.com"], step_by_step),
        ("alice@example.com", ["carol@example.com", "dave@example.com"], send_mail),
        ("noreply@app.example", ["bob@example.com"], welcome),
    ]


def test_the_readme_screenshot(browser, catcher, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 720}, device_scale_factor=1,
                                  color_scheme="light")
    try:
        tab = context.new_page()
        tab.set_content(f'<body style="margin:0">{LOGO_SVG}</body>')
        logo_png = tab.locator("svg").screenshot(omit_background=True)
        smtp(catcher, *demo_messages(logo_png))

        tab.goto(catcher.url)
        expect(tab.locator("#live")).to_have_attribute("data-state", "live")
        expect(tab.locator("#messages .row")).to_have_count(3)
        tab.locator("#messages .row", has_text="Welcome aboard").click()
        frame = tab.frame_locator("#m-html")
        expect(frame.locator("h1")).to_have_text("Welcome aboard, Bob!")
        expect(frame.locator("img")).to_have_js_property("naturalWidth", 48)
        expect(tab.locator("#m-attachments")).to_contain_text("invoice-1042.pdf")
        for subject in ("Hello from Hy", "SendMail from Hy"):
            expect(tab.locator("#messages .row.unread", has_text=subject)).to_have_count(1)

        picture = tmp_path / "catcher.png"
        tab.screenshot(path=str(picture))
        assert picture.read_bytes().startswith(b"\x89PNG")
        target = os.environ.get("CATCHER_SCREENSHOT")
        if target:
            shutil.copyfile(picture, target)
    finally:
        context.close()
