"""Addresses and host names on the wire (issue 10, item 5): IDNA 2008 with
UTS 46, never Python's IDNA 2003 codec, and no Unicode input that turns
into ``<``, ``>``, a space or a control byte on the wire.

Every place a name is converted: the sender, the recipients (with and
without SMTPUTF8), the EHLO name, the name dialled, and the server's name
for SNI and the certificate check.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scripted import ScriptedServer, SNIRecordingServer, Starttls

from smtp_core import EnvelopeError, LineError, TLSConfig, connect, send
from smtp_core.gocompat.goformat import go_quote
from smtp_core.pythonic.addresses import dial_address, wire_address, wire_domain

T = 10
BODY = b"Subject: idna\r\n\r\nhi\r\n"
EHLO_UTF8 = "250-test.example\n250-PIPELINING\n250-8BITMIME\n250 SMTPUTF8"
ONE_MESSAGE = ["250 ok", "250 ok", "354 go", "250 queued"]

# The issue's sender: full-width > and <, a no-break space, a full-width @.
HOSTILE = "alice@example.org\uff1e\u00a0AUTH=\uff1cceo\uff20corp.example"


def test_a_sharp_s_is_not_folded_to_ss(scripted):
    srv = scripted(["220 hi", EHLO_UTF8] + ONE_MESSAGE + ["221 bye"])
    send(srv.address, "me@faß.de", ["bob@straße.example"], BODY, tls="none", timeout=T)
    transcript = srv.transcript(0)
    assert b"MAIL FROM:<me@xn--fa-hia.de>" in transcript  # IDNA 2003 said fass.de
    assert b"RCPT TO:<bob@xn--strae-oqa.example>\r\n" in transcript


def test_the_issues_sender_is_refused_before_anything_is_sent(scripted):
    srv = scripted(["220 hi", EHLO_UTF8] + ONE_MESSAGE + ["221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(EnvelopeError) as info:
            send(c, HOSTILE, ["bob@example.com"], BODY)
        assert go_quote(HOSTILE) in str(info.value)
        send(c, "alice@example.org", ["bob@example.com"], BODY)  # the client is still good
        c.quit()
    assert srv.transcript(0).count(b"MAIL FROM") == 1 and b"auth=" not in srv.transcript(0).lower()


def test_hostile_addresses_cost_no_connection(free_port):
    # Refused with the other arguments, before connecting: nothing listens here.
    for sender, rcpt in [(HOSTILE, "b@example.com"), ("a@example.com", "b@exa\u2028mple.com"),
                         ("a@example.com", "b@example.org\uff1e"), ("a@ex\u00e4mple.com", "b\u3000@example.com")]:
        with pytest.raises(EnvelopeError):
            send("127.0.0.1:%d" % free_port, sender, [rcpt], BODY, tls="none", timeout=T)


@pytest.mark.parametrize("domain", ["example.org\uff1e", "ex\u00e4mple.com\uff1e\uff21UTH=x", "-b\u00fccher.example",
                                    "\u00fc" * 64 + ".example", "a_b.b\u00fccher.example", "b\u00fccher..example"])
def test_a_domain_that_is_not_ldh_after_conversion_is_refused(domain):
    with pytest.raises(EnvelopeError, match="domain"):
        wire_address("bob@" + domain)


def test_smtputf8_keeps_the_local_part_and_converts_the_domain(scripted):
    srv = scripted(["220 hi", EHLO_UTF8] + ONE_MESSAGE + ["221 bye"])
    send(srv.address, "jürgen@bücher.example", ["zoë@faß.de"], BODY, tls="none", timeout=T)
    transcript = srv.transcript(0)
    assert "MAIL FROM:<jürgen@xn--bcher-kva.example> BODY=8BITMIME SMTPUTF8\r\n".encode() in transcript
    assert "RCPT TO:<zoë@xn--fa-hia.de>\r\n".encode() in transcript


def test_the_ehlo_name_is_converted_and_checked(scripted):
    srv = scripted(["220 hi", "250 test.example", "221 bye"])
    with connect(srv.address, tls="none", local_name="mx.bücher.example", timeout=T) as c:
        c.quit()
    assert srv.transcript(0).startswith(b"EHLO mx.xn--bcher-kva.example\r\n")
    srv = scripted(["220 hi", "250 test.example", "221 bye"])
    with pytest.raises(ValueError, match="host name"):
        connect(srv.address, tls="none", local_name="mx.example\uff1e x", timeout=T)
    srv.wait_done()
    assert b"EHLO" not in srv.transcript(0)


# Characters UTS 46's mapping removes: invisible, so the address would
# silently become another (issue 21, finding 16).
DROPPED = ["\u200b", "\u00ad", "\u2060", "\ufe0f", "\u180b", "\u034f", "\U000e0100"]


@pytest.mark.parametrize("invisible", DROPPED, ids=lambda c: "U+%04X" % ord(c))
def test_an_invisible_character_in_a_domain_is_refused_not_dropped(scripted, invisible):
    srv = scripted(["220 hi", EHLO_UTF8] + ONE_MESSAGE + ["221 bye"])
    sender, recipient = "a@ex%sample.com" % invisible, "b@b\u00fccher%s.example" % invisible
    with connect(srv.address, tls="none", timeout=T) as c:
        for envelope in [(sender, ["b@example.com"]), ("a@example.com", [recipient]),
                         ("a@example.com", ["ok@example.com", recipient])]:
            with pytest.raises(EnvelopeError) as info:
                send(c, envelope[0], envelope[1], BODY)
            refused = sender if envelope[0] == sender else recipient
            assert str(info.value).startswith("smtp: the address %s has a domain that holds U+%04X"
                                              % (go_quote(refused), ord(invisible)))
        send(c, "a@ex\u00e4mple.com", ["b@example.com"], BODY)  # the client is still good
        c.quit()
    transcript = srv.transcript(0)
    assert transcript.count(b"MAIL FROM") == 1 and b"MAIL FROM:<a@xn--exmple-cua.com>" in transcript
    # What dropping the character would have sent:
    assert b"MAIL FROM:<a@example.com>" not in transcript and b"xn--bcher-kva" not in transcript


@pytest.mark.parametrize("invisible", DROPPED[:3], ids=lambda c: "U+%04X" % ord(c))
def test_an_invisible_character_in_a_host_name_is_refused(scripted, invisible):
    srv = scripted(["220 hi", "250 test.example", "221 bye"])
    with pytest.raises(ValueError, match=r"host name .* holds U\+%04X" % ord(invisible)):
        connect(srv.address, tls="none", local_name="mx.b\u00fccher%s.example" % invisible, timeout=T)
    srv.wait_done()
    assert b"EHLO" not in srv.transcript(0)
    with pytest.raises(ValueError, match="host name"):
        dial_address("mx%s.b\u00fccher.example:25" % invisible)


def test_visible_mappings_still_apply():
    # Case and width are how a character is written, not which one it is.
    assert wire_address("a@EX\u00c4MPLE.com") == ("a@xn--exmple-cua.com", False)
    assert wire_address("a@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com") == ("a@example.com", False)


def test_the_name_dialled_is_idna_2008():
    assert dial_address("faß.de:25") == "xn--fa-hia.de:25"
    assert dial_address("127.0.0.1:25") == "127.0.0.1:25"
    # Refused before any lookup (Python's resolver would try IDNA 2003).
    with pytest.raises(ValueError, match="host name"):
        connect("exa\u2028mple.invalid:25", tls="none", timeout=T)


def test_a_certificate_for_fass_de_is_not_one_for_fass_sharp_s(pki):
    # IDNA 2003 (Python's ssl converts names with it) would check faß.de
    # against fass.de and accept this certificate.
    cert = pki.issue("fass.de", "xn--bcher-kva.example")
    trust = TLSConfig(root_cas=pki.ca_path)
    script = ["220 hi", "250-mx\n250 STARTTLS", Starttls("220 go"), "250 mx", "221 bye"]
    with SNIRecordingServer(script, script, cert=cert) as srv:
        with pytest.raises(OSError):
            connect(srv.address, tls="required", tls_config=trust, server_name="faß.de", timeout=T)
        c = connect(srv.address, tls="required", tls_config=trust, server_name="bücher.example", timeout=T)
        state, ok = c.tls_connection_state()
        assert ok and state.ServerName == "xn--bcher-kva.example"
        assert c.server_name == "bücher.example"  # authentication sees the name as written
        c.quit()
        srv.wait_done()
    assert srv.sni == ["xn--fa-hia.de", "xn--bcher-kva.example"]


def test_wire_domain_leaves_ascii_alone():
    assert wire_domain("Example.COM") == "Example.COM"
    assert wire_domain("[192.0.2.1]") == "[192.0.2.1]"


# --------------------------------------------------------------------------
# Any Unicode address: only allowed bytes on the wire, or refused first
# --------------------------------------------------------------------------

_ADDRESS_BYTES = rb"[^<> \x00-\x1f\x7f]*"
MAIL_LINE = re.compile(rb"MAIL FROM:<(" + _ADDRESS_BYTES + rb")>( BODY=8BITMIME)?( SMTPUTF8)?\r\n")
RCPT_LINE = re.compile(rb"RCPT TO:<(" + _ADDRESS_BYTES + rb")>\r\n")
# Characters that are syntax, spaces or line ends, or that NFKC or UTS 46
# turn into them: the look-alikes are the point.
_TRICKY = list("<>@. \t\r\n\x00\x7f\x85\u00a0\u2028\u2029\u3000\ufeff\uff1c\uff1e\uff20\uff0e\u3002\u2024"
               "\ufe64\ufe65\u226e\u226f\u00df\u03c2\u200d\u0301aZ9-_") + ["\ud800", "\udc0d"]
_CHARS = st.one_of(st.sampled_from(_TRICKY), st.characters())
_TEXT = st.text(_CHARS, max_size=20)
ADDRESSES = st.one_of(_TEXT, st.builds(lambda local, domain: local + "@" + domain, _TEXT, _TEXT))

EXAMPLES = 250


def test_any_unicode_address_sends_only_allowed_bytes_or_is_refused():
    script = ["220 hi", EHLO_UTF8] + ONE_MESSAGE * (2 * EXAMPLES)
    with ScriptedServer(script, deadline=300) as srv:
        client = connect(srv.address, tls="none", timeout=T)
        sent = []

        @settings(max_examples=EXAMPLES, deadline=None, database=None)
        @given(sender=ADDRESSES, recipient=ADDRESSES)
        def one(sender, recipient):
            try:
                send(client, sender, [recipient], BODY)
            except LineError:
                assert re.search("[\r\n\x00]", sender + recipient)
                return
            except EnvelopeError as err:
                assert go_quote(sender) in str(err) or go_quote(recipient) in str(err)
                return
            sent.append((sender, recipient))

        one()
        client.close()  # the script has replies left: no QUIT
        srv.wait_done()
        transcript = srv.transcript(0)
    lines = transcript.split(b"\r\n")
    mails = [line + b"\r\n" for line in lines if line.startswith(b"MAIL")]
    rcpts = [line + b"\r\n" for line in lines if line.startswith(b"RCPT")]
    assert len(mails) == len(rcpts) == len(sent) > 0
    for line in mails + rcpts:
        found = MAIL_LINE.fullmatch(line) or RCPT_LINE.fullmatch(line)
        assert found, line
        address = found.group(1).decode("utf-8")  # valid UTF-8 ...
        assert not re.search("[\x80-\xa0\u2028\u2029\ufeff\u3000]", address), line  # ... without hidden line ends
