"""Make docs/img/catcher.png: the mail catcher's page with the demo's mail.

Starts a dev server with its page on a free loopback port, sends the two
messages of the demo (``gostd-smtp-demo``) and an HTML message of the kind an
application sends (inline logo, PDF attachment), opens the page in headless
Chromium from Debian (``/usr/bin/chromium``) and saves a screenshot::

    .venv/bin/python docs/img/catcher.py [OUTPUT.png]
"""

from __future__ import annotations

import email.message
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from smtp_core import send
from smtp_core.devserver import DevServer

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

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
    """What ``gostd-smtp-demo`` sends, then an application's HTML message."""
    step_by_step = (b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Hello from Hy\r\n\r\n"
                    b"Sent with go.std.net.smtp over STARTTLS.\r\n"
                    b".A line starting with a dot arrives intact.\r\n")
    send_mail = (b"From: alice@example.com\r\nSubject: SendMail from Hy\r\n\r\n"
                 b"One call, two recipients.\r\n")
    welcome = email.message.EmailMessage()
    welcome["From"] = "Example App <noreply@app.example>"
    welcome["To"] = "Bob Builder <bob@example.com>"
    welcome["Subject"] = "Welcome aboard: confirm your address"
    welcome.set_content("Welcome aboard, Bob!\n\nYour account is ready. Confirm your address:\n"
                        "https://example.com/confirm?token=4f1c\n")
    welcome.add_alternative(WELCOME_HTML, subtype="html")
    welcome.get_payload()[1].add_related(logo_png, maintype="image", subtype="png",
                                         cid="<logo@example.com>", filename="logo.png")
    welcome.add_attachment(b"%PDF-1.4\n" + bytes(24_000), maintype="application", subtype="pdf",
                           filename="invoice-1042.pdf")
    return [
        ("alice@example.com", ["bob@example.com"], step_by_step),
        ("alice@example.com", ["carol@example.com", "dave@example.com"], send_mail),
        (None, None, welcome),
    ]


def main(output: str) -> None:
    with tempfile.TemporaryDirectory(prefix="catcher-screenshot-") as folder, \
            DevServer(tls_port=None, maildir=folder, http_port=0) as server:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            drawing = browser.new_page()
            drawing.set_content(f'<body style="margin:0">{LOGO_SVG}</body>')
            logo_png = drawing.locator("svg").screenshot(omit_background=True)
            for sender, recipients, message in demo_messages(logo_png):
                send(f"{server.host}:{server.port}", sender, recipients, message, tls="none", timeout=10)
            page = browser.new_page(viewport={"width": 1280, "height": 720}, device_scale_factor=1)
            page.goto(server.url)
            page.locator("#live[data-state=live]").wait_for()
            page.locator(".row", has_text="Welcome aboard").click()
            page.frame_locator("#m-html").locator("h1").wait_for()
            page.wait_for_timeout(300)
            page.screenshot(path=output)
            browser.close()
    print(f"wrote {output}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("catcher.png")))
