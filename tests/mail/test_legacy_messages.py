"""Message objects as input (issue 10, item 8): a header that would fold
into more than one (CVE-2024-6923: U+2028 in a compat32 Subject went out
as a Bcc), compat32 ``Header`` objects and non-ASCII text, Bcc and
Resent-Bcc.

Everything is received by a real server on loopback (aiosmtpd) and parsed
with the standard library: the headers that arrive are the ones written.
"""

from __future__ import annotations

import email
import email.header
import email.message
import email.parser
import email.policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smtp_core import HeaderError, SendResult, connect, send, send_many

T = 10
INJECTIONS = ["hi\u2028Bcc: evil@x.example\u2029X-Injected: yes", "hi\nBcc: evil@x.example", "hi\rX-Injected: yes",
              "hi\r\nX-Injected: yes", "hi\x85X-Injected: yes", "hi\x0bX-Injected: yes", "hi\x1cX-Injected: yes"]


def legacy(subject="hello", **headers) -> email.message.Message:
    msg = email.message.Message()
    msg["From"] = "alice@example.com"
    msg["To"] = "bob@example.com"
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_payload("body\n")
    return msg


def received(handler) -> list:
    return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in handler.messages]


@pytest.mark.parametrize("subject", INJECTIONS)
def test_a_line_break_in_a_legacy_header_is_refused_and_the_next_message_goes(pipelining_server, subject):
    handler, address = pipelining_server
    with connect(address, tls="none", timeout=T) as client:
        with pytest.raises(HeaderError, match="Subject header holds a line break"):
            send(client, None, None, legacy(subject))
        send(client, None, None, legacy("fine"))
        client.quit()
    [msg] = received(handler)
    assert msg["Subject"] == "fine" and msg["X-Injected"] is None and msg["Bcc"] is None


def test_a_message_parsed_from_text_is_checked_too(pipelining_server):
    handler, address = pipelining_server
    parsed = email.parser.Parser(policy=email.policy.default).parsestr(
        "From: a@example.com\nTo: b@example.com\nSubject: hi\u2028Bcc: evil@x.example\n\nbody\n")
    results = send_many(address, [parsed, legacy("after")], tls="none", timeout=T)
    assert isinstance(results[0], HeaderError) and isinstance(results[1], SendResult)
    assert [m["Subject"] for m in received(handler)] == ["after"]
    assert [m[1] for m in handler.messages] == [("bob@example.com",)]  # evil@x.example got nothing


def test_a_header_name_with_a_line_break_is_refused(pipelining_server):
    _, address = pipelining_server
    msg = legacy()
    msg["X-A\r\nBcc"] = "evil@x.example"
    with pytest.raises(HeaderError, match="header name"):
        send(address, None, None, msg, tls="none", timeout=T)


def test_legacy_non_ascii_text_and_header_objects_arrive_encoded(pipelining_server):
    handler, address = pipelining_server
    msg = legacy("Grüße aus Köln")
    msg["X-Long"] = email.header.Header("Ärger mit Übermut " * 8, "utf-8")
    msg["Comments"] = email.header.Header("hi\u2028Bcc: evil@x.example", "utf-8")  # encoded: harmless
    send(address, None, None, msg, tls="none", timeout=T)
    [got] = received(handler)
    assert got["Subject"] == "Grüße aus Köln"
    assert got["X-Long"] == "Ärger mit Übermut " * 8
    assert got["Comments"] == "hi\u2028Bcc: evil@x.example" and got["Bcc"] is None
    assert handler.messages[0][2].isascii()


def test_decoded_line_breaks_are_refused_where_they_would_go_out_raw(pipelining_server):
    # As UTF-8 (SMTPUTF8), a header object is written decoded: the U+2028
    # that an encoded word or a Header object hid would go out raw.
    handler, address = pipelining_server
    parsed = email.message_from_bytes(b"From: a@example.com\r\nSubject: =?utf-8?q?hi=E2=80=A8Bcc:_evil@x.example?=\r\n"
                                      b"\r\nbody\r\n", policy=email.policy.default)
    subject = parsed["Subject"]  # a header object: it is folded from its decoded text
    parsed.replace_header("Subject", subject)
    with_header = legacy(Comments=email.header.Header("hi\u2028Bcc: evil@x.example", "utf-8"))
    for msg in (parsed, with_header):
        with pytest.raises(HeaderError, match="U\\+2028"):
            send(address, "jörg@example.com", ["bob@example.com"], msg, tls="none", timeout=T)
        send(address, "joe@example.com", ["bob@example.com"], msg, tls="none", timeout=T)  # encoded: fine
    assert len(handler.messages) == 2 and all(b"\xe2\x80\xa8" not in raw for _, _, raw in handler.messages)


def test_bcc_and_resent_bcc_are_removed_and_resent_headers_give_the_envelope(pipelining_server):
    handler, address = pipelining_server
    msg = legacy(Bcc="hidden@example.com")
    msg["Resent-Date"] = "Mon, 30 Nov 2026 10:00:00 +0000"
    msg["Resent-From"] = "carol@example.com"
    msg["Resent-To"] = "dave@example.com"
    msg["Resent-Bcc"] = "secret@example.com"
    result = send(address, None, None, msg, tls="none", timeout=T)
    assert result.accepted == ["dave@example.com", "secret@example.com"]
    sender, rcpts, raw = handler.messages[0]
    assert sender == "carol@example.com" and rcpts == ("dave@example.com", "secret@example.com")
    got = email.message_from_bytes(raw, policy=email.policy.default)
    assert got["Bcc"] is None and got["Resent-Bcc"] is None and got["Resent-To"] == "dave@example.com"
    assert b"secret@" not in raw and b"hidden@" not in raw
    assert msg["Bcc"] == "hidden@example.com" and msg["Resent-Bcc"] == "secret@example.com"  # the caller's, intact


def test_two_resent_blocks_need_an_explicit_envelope(pipelining_server):
    handler, address = pipelining_server
    msg = legacy(Resent_Date="Mon, 30 Nov 2026 10:00:00 +0000")
    msg["Resent-Date"] = "Mon, 30 Nov 2026 11:00:00 +0000"
    with pytest.raises(ValueError, match="2 blocks of Resent- headers"):
        send(address, None, None, msg, tls="none", timeout=T)
    send(address, "a@example.com", ["b@example.com"], msg, tls="none", timeout=T)
    assert len(handler.messages) == 1


# Any header text: refused, or exactly the headers written arrive.
HEADER_TEXT = st.text(st.one_of(st.sampled_from(list("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029 \t:aé")),
                                st.characters(exclude_categories=["Cs"])), max_size=40)


def test_no_injected_header_reaches_the_server(pipelining_server):
    handler, address = pipelining_server
    client = connect(address, tls="none", timeout=T)
    expected: list = []

    @settings(max_examples=150, deadline=None, database=None)
    @given(subject=HEADER_TEXT, other=HEADER_TEXT, utf8=st.booleans())
    def one(subject, other, utf8):
        msg = legacy(subject, X_Other=other)
        sender = "jörg@example.com" if utf8 else None  # SMTPUTF8: the UTF-8 policy
        try:
            send(client, sender, ["bob@example.com"] if utf8 else None, msg)
        except HeaderError:
            return
        expected.append(["From", "To", "Subject", "X-Other"])

    handler.messages.clear()
    one()
    client.quit()
    assert expected and [list(m.keys()) for m in received(handler)] == expected
