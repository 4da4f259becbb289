"""The catcher shows S/MIME (issue 18): "signed by <signer's subject>" and
"encrypted", in the message object (``SMIME``) and as a badge on the page.
Messages are composed with :smime (smtp_core.mail.smime, cryptography's PKCS#7
builders) and sent over loopback to the catcher.  The page check is in a
file that sorts after the other catcher page tests (Playwright)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from cryptography import x509

from smime_pki import Certificates

from smtp_core import message, send

T = 10.0


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("catcher-smime"))


def _subject(path: str) -> str:
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read()).subject.rfc4514_string()


def _catch(catcher, certs) -> dict:
    """Send a plain, a signed, an encrypted and a signed+encrypted message; their message objects by subject."""
    signer = certs.signer("catcher-signer", email="asa@example.com")
    bob = certs.signer("catcher-bob", email="bob@example.com", usage="encrypt")
    kinds = {"plain": None,
             "signed": {"cert": signer["cert"], "key": signer["key"], "chain": [certs.mid_path]},
             "encrypted": {"encrypt-to": [bob["cert"]]},
             "both": {"cert": signer["cert"], "key": signer["key"], "encrypt-to": [bob["cert"]]}}
    for subject, smime in kinds.items():
        spec = {"from": "asa@example.com", "to": "bob@example.com", "subject": subject, "body": "hi\n"}
        if smime:
            spec["smime"] = smime
        send("%s:%d" % (catcher.host, catcher.port), message(spec), tls="none", timeout=T)
    catcher.wait_for(len(kinds))

    def get(path: str):
        with urllib.request.urlopen(catcher.url.rstrip("/") + path, timeout=T) as response:
            return json.loads(response.read())

    found = {}
    for summary in get("/api/v1/messages")["messages"]:
        found[summary["Subject"]] = get("/api/v1/message/%s" % summary["ID"])
    return {"messages": found, "signer": _subject(signer["cert"])}


def test_the_message_object_says_signed_by_whom_and_encrypted(catcher, certs):
    seen = _catch(catcher, certs)
    shown = {subject: m["SMIME"] for subject, m in seen["messages"].items()}
    assert shown == {
        "plain": {"Signed": False, "SignedBy": "", "Encrypted": False},
        "signed": {"Signed": True, "SignedBy": seen["signer"], "Encrypted": False},
        "encrypted": {"Signed": False, "SignedBy": "", "Encrypted": True},
        "both": {"Signed": False, "SignedBy": "", "Encrypted": True},  # the signature is inside the envelope
    }
    assert "asa@example.com" in seen["signer"] and "intermediate" not in seen["signer"]


def test_the_page_shows_an_smime_badge(browser, catcher, certs):
    from playwright.sync_api import expect

    seen = _catch(catcher, certs)
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_default_timeout(T * 1000)
        tab.goto(catcher.url)
        for subject, text in (("signed", "signed by " + seen["signer"]), ("encrypted", "encrypted")):
            tab.locator("#messages .row", has_text=subject).first.click()
            expect(tab.locator("#m-subject")).to_have_text(subject)
            expect(tab.locator("#m-smime")).to_be_visible()
            expect(tab.locator("#m-smime")).to_have_text(text)
        tab.locator("#messages .row", has_text="plain").click()
        expect(tab.locator("#m-subject")).to_have_text("plain")
        expect(tab.locator("#m-smime")).to_be_hidden()
    finally:
        context.close()
