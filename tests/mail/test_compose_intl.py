"""International addresses in composed and hand-built mail (issue 18).

* Every address header (From, Sender, To, Cc, Reply-To, the Resent- forms,
  the address lists of :headers such as Disposition-Notification-To) sends
  a non-ASCII domain as its A-labels, never as an encoded word inside the
  addr-spec; display names stay RFC 2047 encoded words outside the angle
  brackets.  Judged by Perl's Mail::Address (the parser that read
  ``bob@=?utf-8?q?b=C3=BCcher?=.test`` as the address) and by ``email``.
* A From with an IDNA domain gets a Message-ID on the A-label; no path
  raises a bare ``UnicodeError``: every failure is a ComposeError or an
  EnvelopeError naming the address.
* A non-ASCII local part makes UTF-8 headers (RFC 6532) and needs the
  server's SMTPUTF8 (RFC 6531): without it ``send`` raises an EnvelopeError
  naming the address and the extension before MAIL (aiosmtpd with and
  without SMTPUTF8, and the scripted server's transcript).
"""

from __future__ import annotations

import base64
import email.message
import email.policy
import email.utils
import os
import re
import shutil
import subprocess
from email.parser import BytesParser

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st

from smtp_core import ComposeError, EnvelopeError, dkim_sign, envelope, message, send
from smtp_core.mail import mailaddr, wireform

T = 10  # seconds: the bound of any single wait here
DOMAIN, A_LABEL = "bücher.test", "xn--bcher-kva.test"
DATE = "Tue, 01 Dec 2026 03:00:00 +0000"


def headers_of(data: bytes) -> dict:
    """Each header of ``data`` unfolded, by lower-case name (a list per name)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    found: dict = {}
    for line in re.sub(r"\r\n[ \t]", " ", head).split("\r\n"):
        name, _, value = line.partition(":")
        found.setdefault(name.lower(), []).append(value.strip())
    return found


def perl_addresses(value: str) -> list[tuple[str, str]]:
    """``(phrase, address)`` of each address Perl's Mail::Address finds in ``value``."""
    if shutil.which("perl") is None or subprocess.run(["perl", "-MMail::Address", "-e1"]).returncode:
        if os.environ.get("CI") == "true":
            pytest.fail("Perl's Mail::Address (Debian: libmailtools-perl) is missing")
        pytest.skip("Perl's Mail::Address (Debian: libmailtools-perl) is missing")
    script = 'use Mail::Address; print join("\\n", map { $_->phrase . "\\t" . $_->address } ' \
             'Mail::Address->parse(<STDIN>));'
    out = subprocess.run(["perl", "-e", script], input=value.encode(), capture_output=True, check=True, timeout=T)
    return [tuple(line.split("\t")) for line in out.stdout.decode().splitlines()]


ADDRESS_SPEC = {
    "from": "Åsa Öberg <asa@%s>" % DOMAIN,
    "sender": "Sekretariat <office@%s>" % DOMAIN,
    "to": ["Bob Bücher <bob@%s>" % DOMAIN, "carol@BÜCHER.test"],
    "cc": '"Bücher, Dan" <dan@%s>' % DOMAIN,
    "bcc": "eve@%s" % DOMAIN,
    "reply-to": "Antwort <reply@%s>" % DOMAIN,
    "headers": {"Disposition-Notification-To": "Åsa <asa@%s>" % DOMAIN,
                "Mail-Followup-To": "list@%s" % DOMAIN,
                "Resent-From": "Fwd Bücher <fwd@%s>" % DOMAIN, "Resent-To": "zed@%s" % DOMAIN,
                "Resent-Date": DATE, "In-Reply-To": "<1.x@%s>" % DOMAIN},
    "subject": "Grüße", "date": DATE, "body": "hi\n",
}
SHOWN = {"from": [("Åsa Öberg", "asa")], "sender": [("Sekretariat", "office")],
         "to": [("Bob Bücher", "bob"), ("", "carol")], "cc": [("Bücher, Dan", "dan")],
         "reply-to": [("Antwort", "reply")], "disposition-notification-to": [("Åsa", "asa")],
         "mail-followup-to": [("", "list")], "resent-from": [("Fwd Bücher", "fwd")],
         "resent-to": [("", "zed")]}


def test_every_address_header_sends_the_a_label_and_encodes_only_the_name():
    data = envelope(message(ADDRESS_SPEC)).data
    assert b"=?utf-8?q?b=C3=BCcher" not in data and "bücher".encode() not in data.split(b"\r\n\r\n")[0]
    found = headers_of(data)
    assert "bcc" not in found
    for name, expected in SHOWN.items():
        [value] = found[name]
        # No encoded word between the angle brackets, nor in a bare addr-spec.
        assert not re.search(r"<[^>]*=\?|@=\?|=\?[^ ]*@", value), (name, value)
        by_perl = perl_addresses(value)
        assert [a for _, a in by_perl] == ["%s@%s" % (local, A_LABEL) for _, local in expected], (name, value)
        # The names come back as written once their encoded words are read.
        reading = email.policy.default.clone(header_factory=mailaddr.HEADER_FACTORY)  # knows the other lists
        got = BytesParser(policy=reading).parsebytes(data)[name]
        assert [(a.display_name, a.addr_spec) for a in got.addresses] == [
            (shown, "%s@%s" % (local, A_LABEL)) for shown, local in expected]
    assert found["to"][0].startswith("Bob =?utf-8?q?B=C3=BCcher?= <bob@%s>" % A_LABEL)
    assert found["in-reply-to"] == ["<1.x@%s>" % A_LABEL]


def test_the_issue_case_reads_as_the_a_label_address():
    m = message({"from": "a@example.com", "to": "Bob Bücher <bob@bücher.test>", "body": "x\n"})
    [value] = headers_of(envelope(m).data)["to"]
    assert value == "Bob =?utf-8?q?B=C3=BCcher?= <bob@xn--bcher-kva.test>"
    assert perl_addresses(value) == [("Bob =?utf-8?q?B=C3=BCcher?=", "bob@xn--bcher-kva.test")]


def hand_built(policy=email.policy.default, **headers) -> email.message.Message:
    m = email.message.EmailMessage(policy=policy) if policy is not None else email.message.Message()
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    if policy is None:
        m.set_payload("hi\n")
    else:
        m.set_content("hi\n")
    return m


@pytest.mark.parametrize("policy", [email.policy.default, email.policy.SMTP, None],
                         ids=["default", "SMTP", "compat32"])
def test_a_hand_built_message_goes_out_with_a_labels(policy):
    m = hand_built(policy, From="Åsa <asa@%s>" % DOMAIN, To="Bob Bücher <bob@%s>" % DOMAIN,
                   Cc="cc@%s" % DOMAIN, Reply_To="r@%s" % DOMAIN,
                   Message_ID=email.utils.make_msgid(domain=DOMAIN), References="<0@%s> <1@%s>" % (DOMAIN, DOMAIN))
    sender, recipients, data = envelope(m)
    assert sender == "asa@" + A_LABEL
    assert recipients == ["bob@" + A_LABEL, "cc@" + A_LABEL]
    found = headers_of(data)
    for name in ("from", "to", "cc", "reply-to"):
        assert [a for _, a in perl_addresses(found[name][0])] == [
            a.replace(DOMAIN, A_LABEL) for _, a in email.utils.getaddresses([str(m[name])])]
        assert "=?" not in found[name][0].rpartition("<")[2]
    assert found["message-id"][0].endswith("@%s>" % A_LABEL)
    assert found["references"] == ["<0@%s> <1@%s>" % (A_LABEL, A_LABEL)]
    assert str(m["To"]) == "Bob Bücher <bob@%s>" % DOMAIN  # the caller's message is left as it was


def test_resent_block_of_a_hand_built_message_gives_the_envelope_in_a_labels():
    m = hand_built(From="a@example.com", To="b@example.com", Resent_From="Fwd <fwd@%s>" % DOMAIN,
                   Resent_To="Zoë Z <zed@%s>" % DOMAIN, Resent_Date=DATE)
    sender, recipients, data = envelope(m)
    assert (sender, recipients) == ("fwd@" + A_LABEL, ["zed@" + A_LABEL])
    assert headers_of(data)["resent-to"] == ["=?utf-8?q?Zo=C3=AB?= Z <zed@%s>" % A_LABEL]


# -- defect 2: an IDNA From domain, and errors that are documented -----------------------


@pytest.fixture(scope="module")
def dkim_key() -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def test_from_with_an_idna_domain_gets_an_a_label_message_id_sends_and_signs(pipelining_server, dkim_key):
    # The issue: envelope, send and dkim-sign raised a bare UnicodeEncodeError.
    m = message({"from": "asa@" + DOMAIN, "to": "bob@example.com", "body": "hi\n"})
    assert m["Message-ID"].endswith("@%s>" % A_LABEL)
    data = envelope(m).data
    assert headers_of(data)["message-id"] == [m["Message-ID"]]
    signed = dkim_sign(m, domain=A_LABEL, selector="s1", private_key=dkim_key)
    assert signed.startswith(b"DKIM-Signature:") and signed.endswith(data)
    handler, address = pipelining_server
    send(address, m, tls="none", timeout=T, dkim={"domain": A_LABEL, "selector": "s1", "private-key": dkim_key})
    [(sender, _, got)] = handler.messages
    assert sender == "asa@" + A_LABEL
    # The same signature but for its time (t=, and so b=): the two were made
    # apart, and a second may tick between them.
    (sent_tags, sent_rest), (local_tags, local_rest) = signature_tags(got), signature_tags(signed)
    assert sent_rest == local_rest == data.replace(b"\r\n", b"\n")
    assert {k: v for k, v in sent_tags.items() if k not in (b"t", b"b")} == \
        {k: v for k, v in local_tags.items() if k not in (b"t", b"b")}
    assert sent_tags[b"d"] == A_LABEL.encode()
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(serialization.load_pem_private_key(
        dkim_key, None).public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo))
    assert dkim.verify(got, dnsfunc=lambda name, timeout=5: record
                       if name == b"s1._domainkey." + A_LABEL.encode() + b"." else None)


def signature_tags(raw: bytes) -> tuple[dict[bytes, bytes], bytes]:
    """The tags of ``raw``'s leading DKIM-Signature (unfolded) and the rest, with LF line ends."""
    raw = raw.replace(b"\r\n", b"\n")
    match = re.match(rb"DKIM-Signature:([^\n]*\n(?:[ \t][^\n]*\n)*)", raw)
    assert match, raw[:80]
    value = re.sub(rb"\s", b"", match.group(1))
    return dict(tag.split(b"=", 1) for tag in value.split(b";") if tag), raw[match.end():]


def test_a_given_message_id_on_an_idna_domain_goes_out_as_the_a_label():
    m = message({"from": "a@example.com", "message-id": "x.1@" + DOMAIN, "body": "hi\n"})
    assert m["Message-ID"] == "<x.1@%s>" % A_LABEL


BAD_DOMAIN = "bob@bü_cher.test"  # "_" is not allowed in an IDNA 2008 label


@pytest.mark.parametrize("key", ["from", "sender", "to", "cc", "bcc", "reply-to"])
def test_an_idna_domain_that_cannot_go_is_a_compose_error_naming_the_address(key):
    spec = {"from": "a@example.com", "body": "hi\n", key: "Bob <%s>" % BAD_DOMAIN}
    with pytest.raises(ComposeError) as caught:
        message(spec)
    assert not isinstance(caught.value, UnicodeError)
    assert ":%s" % key in str(caught.value) and '"%s"' % BAD_DOMAIN in str(caught.value)


@pytest.mark.parametrize("name", ["Resent-To", "Disposition-Notification-To", "Errors-To"])
def test_an_address_header_of_headers_is_checked_like_the_keys(name):
    with pytest.raises(ComposeError) as caught:
        message({"from": "a@example.com", "headers": {name: BAD_DOMAIN}})
    assert name in str(caught.value) and '"%s"' % BAD_DOMAIN in str(caught.value)
    with pytest.raises(ComposeError) as caught:
        message({"from": "a@example.com", "headers": {name: "not an address"}})
    assert "is not an address" in str(caught.value)


def test_a_message_id_whose_right_side_cannot_go_is_a_compose_error():
    with pytest.raises(ComposeError) as caught:
        message({"from": "a@example.com", "message-id": "1@bü_cher.test"})
    assert ":message-id" in str(caught.value) and '"<1@bü_cher.test>"' in str(caught.value)


@pytest.mark.parametrize("header", ["From", "To", "Cc", "Bcc", "Sender"])
def test_envelope_of_a_hand_built_message_names_the_bad_address(header):
    m = hand_built(**{"From": "a@example.com", "To": "b@example.com"})
    del m[header]
    m[header] = "Bob <%s>" % BAD_DOMAIN
    with pytest.raises((EnvelopeError, ComposeError)) as caught:
        envelope(m)
    assert not isinstance(caught.value, UnicodeError)
    assert '"%s"' % BAD_DOMAIN in str(caught.value)


@pytest.mark.parametrize("header, value", [("Reply-To", "Bob <%s>" % BAD_DOMAIN),
                                           ("Message-ID", "<1@bü_cher.test>"),
                                           ("In-Reply-To", "<1@bü_cher.test>")])
def test_a_header_only_value_that_cannot_go_is_a_compose_error(header, value):
    m = hand_built(policy=None, From="a@example.com", To="b@example.com")
    m[header] = value
    with pytest.raises(ComposeError) as caught:
        envelope(m)
    assert not isinstance(caught.value, UnicodeError)
    assert "the %s header" % header in str(caught.value) and value.strip("<>Bob ").strip("<>") in str(caught.value)


def test_send_of_a_header_address_that_cannot_go_sends_no_mail(scripted):
    srv = scripted(["220 hi", "250-test.example\n250 SMTPUTF8", "221 bye"])
    m = hand_built(From="a@example.com", To="b@example.com", Reply_To="Bob <%s>" % BAD_DOMAIN)
    with pytest.raises(ComposeError) as caught:
        send(srv.address, m, tls="none", timeout=T)
    assert "the Reply-To header" in str(caught.value) and '"%s"' % BAD_DOMAIN in str(caught.value)
    srv.wait_done()
    assert b"MAIL" not in srv.transcript(0)


def test_send_and_dkim_sign_of_a_hand_built_message_with_u_labels(pipelining_server, dkim_key):
    handler, address = pipelining_server
    m = hand_built(From="Åsa <asa@%s>" % DOMAIN, To="bob@%s" % DOMAIN,
                   Message_ID=email.utils.make_msgid(domain=DOMAIN))
    result = send(address, m, tls="none", timeout=T)
    assert result.accepted == ["bob@" + A_LABEL]
    [(sender, recipients, data)] = handler.messages
    assert (sender, recipients) == ("asa@" + A_LABEL, ("bob@" + A_LABEL,))
    assert headers_of(data)["message-id"][0].endswith("@%s>" % A_LABEL)
    signed = dkim_sign(m, domain=A_LABEL, selector="s1", private_key=dkim_key)
    assert signed.startswith(b"DKIM-Signature:") and ("@%s>" % A_LABEL).encode() in signed


# -- SMTPUTF8: a non-ASCII local part ------------------------------------------------------

UTF8_SPEC = {"from": "Jürgen <jürgen@%s>" % DOMAIN, "to": "bob@example.com", "subject": "Grüße",
             "date": DATE, "message-id": "1@example.com", "body": "hi\n"}


def test_a_non_ascii_local_part_composes_utf8_headers():
    m = message(UTF8_SPEC)
    assert m.policy.utf8
    data = envelope(m).data
    assert "From: Jürgen <jürgen@%s>\r\n" % A_LABEL in data.decode("utf-8")
    assert "Subject: Grüße\r\n" in data.decode("utf-8")  # RFC 6532: UTF-8 as it is
    # Bcc never goes on the wire, so it alone asks for nothing.
    plain = message({"from": "a@example.com", "bcc": "jürgen@example.com", "body": "x\n"})
    assert not plain.policy.utf8


def aiosmtpd_server(free_port, smtputf8: bool):
    from aiosmtpd.controller import Controller

    from servers import PipeliningHandler

    class Recording(PipeliningHandler):
        def __init__(self) -> None:
            super().__init__()
            self.mails: list = []

        async def handle_MAIL(self, server, session, envelope, address, mail_options):
            self.mails.append((address, mail_options))
            envelope.mail_from, envelope.mail_options = address, mail_options
            return "250 OK"

    handler = Recording()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port, enable_SMTPUTF8=smtputf8)
    controller.start()
    return controller, handler, "127.0.0.1:%d" % free_port


@pytest.mark.parametrize("where", ["from", "reply-to"])
def test_send_with_smtputf8_offered(free_port, where):
    spec = dict(UTF8_SPEC, **{"from": "asa@example.com", where: "Jürgen <jürgen@%s>" % DOMAIN})
    controller, handler, address = aiosmtpd_server(free_port, smtputf8=True)
    try:
        send(address, message(spec), tls="none", timeout=T)
    finally:
        controller.stop()
    [(mail_from, options)] = handler.mails
    assert "SMTPUTF8" in options
    [(_, _, data)] = handler.messages
    assert ("jürgen@%s" % A_LABEL).encode() in data and "Subject: Grüße".encode() in data


@pytest.mark.parametrize("where, named", [("from", '"jürgen@xn--bcher-kva.test"'),
                                          ("reply-to", 'the Reply-To address "jürgen@xn--bcher-kva.test"')])
def test_send_without_smtputf8_is_refused_before_mail(free_port, where, named):
    spec = dict(UTF8_SPEC, **{"from": "asa@example.com", where: "Jürgen <jürgen@%s>" % DOMAIN})
    controller, handler, address = aiosmtpd_server(free_port, smtputf8=False)
    try:
        with pytest.raises(EnvelopeError) as caught:
            send(address, message(spec), tls="none", timeout=T)
    finally:
        controller.stop()
    text = str(caught.value)
    assert named in text and "SMTPUTF8" in text and "does not offer it" in text
    assert handler.mails == [] and handler.messages == []


def test_refusal_transcript_has_no_mail(scripted):
    srv = scripted(["220 hi", "250-test.example\n250 8BITMIME", "221 bye"])
    with pytest.raises(EnvelopeError):
        send(srv.address, message(dict(UTF8_SPEC, **{"reply-to": "zoë@example.com"},
                                       **{"from": "a@example.com"})), tls="none", timeout=T)
    srv.wait_done()
    assert b"MAIL" not in srv.transcript(0) and srv.transcript(0).startswith(b"EHLO ")


def test_serialising_a_non_ascii_local_part_without_utf8_names_it():
    m = hand_built(From="jürgen@example.com", To="b@example.com")
    with pytest.raises(ComposeError) as caught:
        wireform.wire_bytes(m, smtputf8=False)
    assert '"jürgen@example.com"' in str(caught.value) and "SMTPUTF8" in str(caught.value)
    assert b"From: j\xc3\xbcrgen@example.com" in wireform.wire_bytes(m)


# -- the catcher's API gives A-labels, as Mailpit's; its page shows U-labels ----------------


def _catch_intl(catcher) -> dict:
    import json
    import urllib.request

    m = message({"from": "Åsa <asa@%s>" % DOMAIN, "to": "Bob Bücher <bob@%s>" % DOMAIN,
                 "cc": "plain@example.com", "subject": "IDN", "body": "hi\n"})
    send("%s:%d" % (catcher.host, catcher.port), m, tls="none", timeout=T)
    [received] = catcher.wait_for(1)

    def get(path: str) -> bytes:
        with urllib.request.urlopen(catcher.url.rstrip("/") + path, timeout=T) as response:
            return response.read()

    return {"id": received.id, "summary": json.loads(get("/api/v1/messages"))["messages"][0],
            "message": json.loads(get("/api/v1/message/%s" % received.id)),
            "raw": get("/api/v1/message/%s/raw" % received.id),
            "search": lambda q: json.loads(get("/api/v1/search?query=" + urllib.request.quote(q)))["messages"]}


def test_the_catcher_api_gives_addresses_as_the_headers_hold_them(catcher):
    # Mailpit reads addresses with Go's net/mail, which leaves A-labels as they are.
    seen = _catch_intl(catcher)
    for shown in (seen["summary"], seen["message"]):
        assert shown["From"] == {"Name": "Åsa", "Address": "asa@" + A_LABEL}
        assert shown["To"] == [{"Name": "Bob Bücher", "Address": "bob@" + A_LABEL}]
        assert shown["Cc"] == [{"Name": "", "Address": "plain@example.com"}]
    assert b"<bob@%s>" % A_LABEL.encode() in seen["raw"] and "bücher".encode() not in seen["raw"]
    for query in ("bücher", "xn--bcher-kva", "to:bob@bücher"):
        assert [m["Subject"] for m in seen["search"](query)] == ["IDN"], query


def test_the_catcher_page_shows_u_labels_and_the_raw_tab_a_labels(browser, catcher):
    from playwright.sync_api import expect

    _catch_intl(catcher)
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_default_timeout(T * 1000)
        tab.goto(catcher.url)
        tab.locator("#messages .row", has_text="IDN").click()
        expect(tab.locator("#m-from")).to_have_text("Åsa <asa@%s>" % DOMAIN)
        expect(tab.locator("#m-to")).to_have_text("Bob Bücher <bob@%s>" % DOMAIN)
        tab.locator('[data-tab="raw"]').click()
        expect(tab.locator("#m-raw")).to_contain_text("<bob@%s>" % A_LABEL)
        assert "bücher" not in tab.locator("#m-raw").inner_text()
    finally:
        context.close()


IDN_CASES = {
    "bob@xn--bcher-kva.test": "bob@bücher.test",
    "BOB@XN--BCHER-KVA.TEST": "BOB@bücher.test",
    "a@xn--mnchen-3ya.xn--bcher-kva.test": "a@münchen.bücher.test",
    "a@xn--wgv71a119e.jp": "a@日本語.jp",
    "plain@example.com": "plain@example.com",
    "x@xn--zz.test": "x@xn--zz.test",  # not Punycode of anything IDNA allows
    "x@xn--.test": "x@xn--.test",
    "x@xn--bcher-kv!.test": "x@xn--bcher-kv!.test",
    "x@xn--99999999999999999999.test": "x@xn--99999999999999999999.test",  # overflows
    "no-at-sign": "no-at-sign",
}


def test_the_page_decodes_a_labels_only_when_they_come_back_the_same(browser, catcher):
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.goto(catcher.url)
        shown = tab.evaluate("""async (cases) => {
            const idn = await import("/static/idn.js");
            return Object.fromEntries(cases.map((address) => [address, idn.shownAddress(address)]));
        }""", list(IDN_CASES))
    finally:
        context.close()
    assert shown == IDN_CASES
    # The server's own rule (the search text's U-labels) agrees.
    from smtp_core.devserver.mailbox.mailview import shown_address
    assert {address: shown_address(address) for address in IDN_CASES} == IDN_CASES


# -- folding an address list keeps every address (CPython gh-100884) ------------------------

LONG_NAMES = ["Jürgen Müller-Lüdenscheidt <user%d@example.test>" % i for i in range(3)]


@pytest.mark.parametrize("built", ["composed", "hand-built"])
def test_a_folded_address_list_keeps_every_recipient(built):
    # Python before the fix of gh-100884 (3.11.7 among them) folds the first
    # comma here into "=?utf-8?q?=2C?=": two recipients become one.
    if built == "composed":
        m = message({"from": "a@example.com", "to": LONG_NAMES, "cc": LONG_NAMES, "body": "x\n"})
    else:
        m = hand_built(From="a@example.com", To=", ".join(LONG_NAMES), Cc=", ".join(LONG_NAMES))
    data = envelope(m).data
    assert b"=?utf-8?q?=2C?=" not in data
    found = headers_of(data)
    for name in ("to", "cc"):
        assert [a for _, a in perl_addresses(found[name][0])] == ["user%d@example.test" % i for i in range(3)]
        assert len(BytesParser(policy=email.policy.default).parsebytes(data)[name].addresses) == 3


# -- any display name, any IDNA domain: the address reads back as the A-label ---------------

_LABELS = ["bücher", "faß", "straße", "日本語", "пример", "ελληνικά", "café", "münchen", "example", "x-y"]
_NAMES = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Co", "Cn"),
                               blacklist_characters="\x85\u2028\u2029"), max_size=40)


@settings(max_examples=150)
@given(st.lists(st.tuples(_NAMES, st.sampled_from(_LABELS), st.sampled_from(["test", "de", "рф"])),
                min_size=1, max_size=5))
def test_any_display_name_and_idna_domain_round_trips(entries):
    from email.headerregistry import Address

    import idna

    to = [Address(name, "u%d" % i, "%s.%s" % (label, tld)) for i, (name, label, tld) in enumerate(entries)]
    data = envelope(message({"from": "a@example.com", "to": to, "body": "x\n"})).data
    [value] = headers_of(data)["to"]
    assert not re.search(r"@[^\s,>]*=\?", value)  # no encoded word in a domain
    got = BytesParser(policy=email.policy.default).parsebytes(data)["To"].addresses
    expected = [("".join(a.display_name.split()), "%s@%s" % (a.username, idna.encode(a.domain, uts46=True).decode()))
                for a in to]
    # White space in a name is compared away: email's reader collapses runs
    # of it and puts a space between a b- and a q-encoded word (RFC 2047,
    # 6.2, says to drop it); the names are otherwise exact.
    assert [("".join(a.display_name.split()), a.addr_spec) for a in got] == expected
