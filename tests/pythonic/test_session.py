"""The Pythonic ``send``: pipelining, per-recipient results, SIZE, SMTPUTF8,
IDNA, message inputs, and a client left ready after every failure.

Exact bytes and round trips are checked on the scripted server; behaviour
against real servers on the dev server (aiosmtpd underneath) and on a bare
aiosmtpd that advertises PIPELINING.
"""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from email_messages import email_message
from servers import addr
import smtp_core
from smtp_core import (
    EnvelopeError,
    LineError,
    MessageRefused,
    MessageTooLarge,
    PlainAuth,
    RecipientsRefused,
    SendResult,
    TLSConfig,
    connect,
    send,
)
from smtp_core.protocol.dotstuff import DotEncoder, unstuff
from smtp_core.pythonic.message import stuffed_dots as _stuffed_dots

T = 10  # seconds: the bound of any single wait in these tests

EHLO_PIPE = "250-test.example\n250-PIPELINING\n250-8BITMIME\n250 SIZE 100000"
EHLO_PLAIN = "250-test.example\n250 8BITMIME"
BODY = b"Subject: x\r\n\r\nhi\r\n"




# --------------------------------------------------------------------------
# Pipelining: byte order and round trips
# --------------------------------------------------------------------------


def test_fifty_recipients_take_two_round_trips(scripted):
    rcpts = ["r%d@example.com" % i for i in range(50)]
    srv = scripted(["220 hi", EHLO_PIPE, "250 sender ok"] + ["250 ok"] * 50 + ["354 go", "250 queued", "221 bye"])
    result = send(srv.address, "a@example.com", rcpts, BODY, tls="none", timeout=T)
    assert result.accepted == rcpts and result.refused == {}
    assert result.reply == (250, "queued") and result.size == len(BODY)
    conn = srv.connections[0]
    srv.wait_done()
    # Units: EHLO, MAIL, 50 RCPT, DATA, body, QUIT; how many reads each needed.
    # MAIL arrived in one read with every RCPT and DATA (0: already buffered),
    # the body with its end in one more: two waits for the client.
    assert conn.waits == [1, 1] + [0] * 51 + [1, 1]
    expected = (b"EHLO localhost\r\n"
                b"MAIL FROM:<a@example.com> BODY=8BITMIME SIZE=%d\r\n" % len(BODY)
                + b"".join(b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts)
                + b"DATA\r\n" + BODY + b".\r\nQUIT\r\n")
    assert srv.transcript(0) == expected


def test_without_pipelining_each_command_waits_for_its_reply(scripted):
    srv = scripted(["220 hi", EHLO_PLAIN, "250 ok", "250 ok", "250 ok", "354 go", "250 queued", "221 bye"])
    result = send(srv.address, "a@example.com", ["b@example.com", "c@example.com"], BODY, tls="none", timeout=T)
    assert result.accepted == ["b@example.com", "c@example.com"]
    srv.wait_done()
    assert srv.connections[0].waits == [1] * 7
    assert srv.transcript(0) == (b"EHLO localhost\r\nMAIL FROM:<a@example.com> BODY=8BITMIME\r\n"
                                 b"RCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n"
                                 + BODY + b".\r\nQUIT\r\n")


def test_pipelining_false_keeps_lockstep(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "354 go", "250 queued", "221 bye"])
    send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="none", timeout=T, pipelining=False)
    srv.wait_done()
    assert srv.connections[0].waits == [1] * 6


def test_partial_refusals_are_reported_not_lost(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", "250 ok", "550 5.1.1 no such user", "451 4.2.0 later",
                    "251 forwarded", "354 go", "250 queued", "221 bye"])
    rcpts = ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    result = send(srv.address, "s@x.example", rcpts, BODY, tls="none", timeout=T)
    assert result.accepted == ["a@x.example", "d@x.example"]
    assert {k: (e.code, e.msg, e.temporary) for k, e in result.refused.items()} == {
        "b@x.example": (550, "5.1.1 no such user", False),
        "c@x.example": (451, "4.2.0 later", True),
    }
    assert list(result.recipients) == rcpts
    assert result.recipients["d@x.example"] == (251, "forwarded")


# --------------------------------------------------------------------------
# Failures leave the client ready (RSET) for the next message
# --------------------------------------------------------------------------

SECOND = ["250 ok", "250 ok", "354 go", "250 queued as 2"]


def refused_then_sent(scripted, replies: list[str], error: type = MessageRefused,
                      recipients: tuple[str, ...] = ("b@example.com",)) -> tuple[Exception, bytes]:
    """``(the refusal, the transcript)`` of a first message that the server's
    ``replies`` (after EHLO, up to RSET's) refuse with ``error``, then a second
    message on the same connection, which must go, after an RSET."""
    srv = scripted(["220 hi", EHLO_PIPE] + replies + SECOND + ["221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(error) as caught:
            send(c, "a@example.com", list(recipients), BODY)
        assert send(c, "a@example.com", ["b@example.com"], BODY).reply == (250, "queued as 2")
        c.quit()
    transcript = srv.transcript(0)
    assert transcript.count(b"RSET\r\nMAIL FROM:") == 1
    return caught.value, transcript


def test_refused_mail_then_a_second_message(scripted):
    err, transcript = refused_then_sent(scripted, ["451 4.3.0 try later", "503 need MAIL", "503 need RCPT",
                                                   "250 reset"])
    assert (err.stage, err.code, err.temporary) == ("MAIL", 451, True)
    assert isinstance(err, smtp_core.ReplyError) and isinstance(err, smtp_core.SendError)
    assert err.result.recipients == {"b@example.com": (503, "need MAIL")}
    assert b"DATA\r\nRSET\r\nMAIL FROM:" in transcript


def test_refused_message_then_a_second_message(scripted):
    err, transcript = refused_then_sent(scripted, ["250 ok", "250 ok", "354 go", "554 5.7.1 spam", "250 reset"])
    assert (err.stage, err.code) == ("DATA end", 554)
    assert err.result.accepted == ["b@example.com"]
    assert err.result.reply == (554, "5.7.1 spam")
    assert str(err) == 'smtp: DATA end refused: 554 "5.7.1 spam"'
    assert (BODY + b".\r\nRSET\r\nMAIL FROM:") in transcript


def test_refused_data_command_then_a_second_message(scripted):
    err, _ = refused_then_sent(scripted, ["250 ok", "250 ok", "452 4.3.1 no space", "250 reset"])
    assert (err.stage, err.code) == ("DATA", 452)


def test_every_recipient_refused_raises_with_all_refusals(scripted):
    err, transcript = refused_then_sent(scripted, ["250 ok", "550 no b", "450 not now c", "554 no valid recipients",
                                                   "250 reset"],
                                        RecipientsRefused, ("b@example.com", "c@example.com"))
    assert {k: v.code for k, v in err.refused.items()} == {"b@example.com": 550, "c@example.com": 450}
    assert not err.temporary
    assert '"b@example.com": 550 "no b"' in str(err)
    assert b"DATA\r\nRSET\r\n" in transcript and BODY not in transcript.split(b"RSET")[0]


def test_data_accepted_without_recipients_is_ended_empty(scripted):
    # A server that says 354 to a pipelined DATA although every RCPT failed:
    # the client ends the empty message (no body!) before RSET.
    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", "550 no", "354 go on", "554 no recipients", "250 reset",
                    "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(RecipientsRefused):
            send(c, "a@example.com", ["b@example.com"], BODY)
        c.quit()
    assert srv.transcript(0).endswith(b"DATA\r\n.\r\nRSET\r\nQUIT\r\n")


def test_lockstep_all_refused_never_sends_data(scripted):
    srv = scripted(["220 hi", EHLO_PLAIN, "250 ok", "550 no", "250 reset", "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(RecipientsRefused):
            send(c, "a@example.com", ["b@example.com"], BODY)
        c.quit()
    assert b"DATA" not in srv.transcript(0)


def test_failure_then_success_on_the_dev_server(make_devserver):
    srv = make_devserver(reject_rcpt=["nobody@example.com"])
    with connect(addr(srv), tls="none", timeout=T) as c:
        with pytest.raises(RecipientsRefused) as caught:
            send(c, "a@example.com", ["nobody@example.com"], BODY)
        assert caught.value.refused["nobody@example.com"].code == 550
        result = send(c, "a@example.com", ["nobody@example.com", "bob@example.com"], BODY)
        assert result.accepted == ["bob@example.com"]
        assert list(result.refused) == ["nobody@example.com"]
        c.quit()
    [got] = srv.wait_for(1)
    assert got.envelope_to == ("bob@example.com",)


def test_an_invalid_address_sends_nothing_and_keeps_the_client(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + SECOND + ["221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(LineError):
            send(c, "a@example.com", ["b@example.com", "evil@example.com>\r\nRCPT TO:<x@y"], BODY)
        send(c, "a@example.com", ["b@example.com"], BODY)
        c.quit()
    assert srv.transcript(0).count(b"RCPT") == 1


def test_an_io_failure_closes_the_client(scripted):
    from scripted import Close

    srv = scripted(["220 hi", EHLO_PIPE, "250 ok", Close()])
    c = connect(srv.address, tls="none", timeout=T)
    with pytest.raises(smtp_core.ServerClosed):
        send(c, "a@example.com", ["b@example.com"], BODY)
    assert c.closed


# --------------------------------------------------------------------------
# A real server with PIPELINING (aiosmtpd, which processes pipelined input)
# --------------------------------------------------------------------------


def test_pipelined_sends_on_aiosmtpd(pipelining_server):
    handler, address = pipelining_server
    rcpts = ["r%d@example.com" % i for i in range(30)] + ["nobody@example.com"]
    with connect(address, tls="none", timeout=T) as c:
        assert c.extension("PIPELINING")[0]
        for n in range(5):
            result = send(c, "a@example.com", rcpts, b"Subject: %d\n\n.line\n" % n)
            assert len(result.accepted) == 30 and list(result.refused) == ["nobody@example.com"]
        with pytest.raises(RecipientsRefused):
            send(c, "a@example.com", ["no1@example.com", "no2@example.com"], BODY)
        send(c, "a@example.com", ["last@example.com"], BODY)
        c.quit()
    assert len(handler.messages) == 6
    assert handler.messages[0] == ("a@example.com", tuple(rcpts[:30]), b"Subject: 0\r\n\r\n.line\r\n")


# --------------------------------------------------------------------------
# SIZE (RFC 1870)
# --------------------------------------------------------------------------

TRICKY = [b"", b"no final newline", b".leading dot\n..two dots\r\n", b"a\r\n.\r\nb\r\n", b"bare\rcr\nlf\n",
          b"\r\r\n.\r\r\n", b"."]


@pytest.mark.parametrize("body", TRICKY)
def test_declared_size_is_what_the_server_receives(make_devserver, body):
    srv = make_devserver()
    result = send(addr(srv), "a@example.com", ["b@example.com"], body, tls="none", timeout=T)
    [got] = srv.wait_for(1)
    assert result.size == got.size
    assert "SIZE=%d" % got.size in got.mail_options


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.lists(st.sampled_from([b".", b"\r", b"\n", b"x", b"\r\n"])).map(b"".join))
def test_size_is_the_unstuffed_length(body):
    # The rule send() uses: encoded length, minus the end line, minus stuffed dots.
    enc = DotEncoder()
    wire = enc.encode(body) + enc.finish()
    assert len(wire) - 3 - _stuffed_dots(wire, True) == len(unstuff(wire))


def test_too_large_is_refused_before_mail(scripted):
    srv = scripted(["220 hi", "250-test\n250-PIPELINING\n250 SIZE 100"] + SECOND + ["221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(MessageTooLarge) as caught:
            send(c, "a@example.com", ["b@example.com"], b"x" * 99 + b"\n")
        assert (caught.value.size, caught.value.limit) == (101, 100)
        send(c, "a@example.com", ["b@example.com"], b"x" * 98)  # 100 bytes with its CRLF: fits
        c.quit()
    assert srv.transcript(0).count(b"MAIL FROM") == 1
    assert b"SIZE=100\r\n" in srv.transcript(0)


def test_size_zero_means_no_limit(scripted):
    srv = scripted(["220 hi", "250-test\n250 SIZE 0"] + SECOND + ["221 bye"])
    send(srv.address, "a@example.com", ["b@example.com"], b"x" * 5000, tls="none", timeout=T)
    assert b"SIZE=5002" in srv.transcript(0)


def test_dev_server_limit(make_devserver):
    srv = make_devserver(size_limit=1000)
    with pytest.raises(MessageTooLarge):
        send(addr(srv), "a@example.com", ["b@example.com"], b"y" * 2000, tls="none", timeout=T)
    assert srv.messages() == []


# --------------------------------------------------------------------------
# SMTPUTF8 and IDNA
# --------------------------------------------------------------------------


def test_smtputf8_only_when_a_local_part_needs_it(make_devserver):
    srv = make_devserver()
    send(addr(srv), "plain@example.com", ["bob@example.com"], BODY, tls="none", timeout=T)
    send(addr(srv), "jürgen@example.com", ["bob@example.com"], BODY, tls="none", timeout=T)
    first, second = srv.wait_for(2)
    assert "SMTPUTF8" not in first.mail_options  # offered, but not needed (Go would add it)
    assert "SMTPUTF8" in second.mail_options
    assert second.envelope_from == "jürgen@example.com"


def test_non_ascii_domains_go_as_idna(make_devserver):
    srv = make_devserver()
    result = send(addr(srv), "me@exämple.com", ["bob@bücher.example"], BODY, tls="none", timeout=T)
    [got] = srv.wait_for(1)
    assert got.envelope_from == "me@xn--exmple-cua.com"
    assert got.envelope_to == ("bob@xn--bcher-kva.example",)
    assert "SMTPUTF8" not in got.mail_options
    assert result.accepted == ["bob@bücher.example"]  # reported as the caller wrote it


def test_non_ascii_local_part_without_smtputf8_is_refused_clearly(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + SECOND + ["221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(EnvelopeError, match="needs SMTPUTF8"):
            send(c, "a@example.com", ["bob@example.com", "zoë@example.com"], BODY)
        send(c, "a@example.com", ["bob@bücher.example"], BODY)
        c.quit()
    transcript = srv.transcript(0)
    assert transcript.count(b"MAIL") == 1 and b"RCPT TO:<bob@xn--bcher-kva.example>" in transcript


def test_an_unconvertible_domain_is_an_envelope_error(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(EnvelopeError, match="IDNA"):
            send(c, "a@example.com", ["bob@" + "ü" * 70 + ".example"], BODY)
        c.quit()


# --------------------------------------------------------------------------
# Message inputs: bytes, files (streamed), EmailMessage
# --------------------------------------------------------------------------


class ReadRecorder:
    """A binary file that records every read() size (and refuses unbounded ones)."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.sizes: list = []

    def read(self, size=-1):
        if size is None or size < 0:
            raise AssertionError("read() without a size would load the whole file")
        self.sizes.append(size)
        return self.raw.read(size)

    def fileno(self):
        return self.raw.fileno()

    def tell(self):
        return self.raw.tell()


def test_a_large_file_is_streamed_in_chunks(make_devserver, tmp_path):
    line = b".dotted line that needs stuffing\n"
    content = b"Subject: big\r\n\r\n" + line * (3 * 1024 * 1024 // len(line))
    path = tmp_path / "big.eml"
    path.write_bytes(content)
    srv = make_devserver()
    with open(path, "rb") as f:
        recorder = ReadRecorder(f)
        result = send(addr(srv), "a@example.com", ["b@example.com"], recorder, tls="none", timeout=T)
    [got] = srv.wait_for(1)
    expected = content.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    assert got.raw == expected and result.size == len(expected)
    assert "SIZE=%d" % len(content) in got.mail_options  # the file's size: an estimate
    assert len(recorder.sizes) > 40 and max(recorder.sizes) <= 64 * 1024


def test_bytesio_and_bytearray(make_devserver):
    srv = make_devserver()
    send(addr(srv), "a@example.com", ["b@example.com"], io.BytesIO(b"Subject: one\n\nbody\n"), tls="none", timeout=T)
    send(addr(srv), "a@example.com", ["b@example.com"], bytearray(b"Subject: two\n\nbody"), tls="none", timeout=T)
    first, second = srv.wait_for(2)
    assert first.raw == b"Subject: one\r\n\r\nbody\r\n" and second.raw == b"Subject: two\r\n\r\nbody\r\n"
    assert "SIZE=19" in first.mail_options  # BytesIO is seekable: its length


def test_a_text_file_is_refused_before_mail(scripted, tmp_path):
    path = tmp_path / "m.txt"
    path.write_text("Subject: x\n\nhi\n")
    srv = scripted(["220 hi", EHLO_PIPE] + SECOND + ["221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with open(path, "r") as f, pytest.raises(TypeError, match="binary mode"):
            send(c, "a@example.com", ["b@example.com"], f)
        with open(path, "rb") as f:
            send(c, "a@example.com", ["b@example.com"], f)
        c.quit()
    assert srv.transcript(0).count(b"MAIL") == 1


def test_a_str_message_is_refused(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(TypeError, match="encode the text"):
            send(c, "a@example.com", ["b@example.com"], "Subject: x\r\n\r\nhi\r\n")
        c.quit()
    assert b"MAIL" not in srv.transcript(0)


def test_email_message_gives_the_envelope_and_loses_bcc(make_devserver):
    msg = email_message({"From": "Alice <alice@example.com>", "To": "Bob <bob@example.com>, carol@example.com",
                         "Cc": "dave@example.com", "Bcc": "secret@example.com", "Subject": "Grüße"},
                        "hello\n.dot\n")
    srv = make_devserver()
    result = send(addr(srv), None, None, msg, tls="none", timeout=T)
    [got] = srv.wait_for(1)
    assert got.envelope_from == "alice@example.com"
    assert got.envelope_to == ("bob@example.com", "carol@example.com", "dave@example.com", "secret@example.com")
    assert b"secret" not in got.raw and b"Bcc" not in got.raw
    assert msg["Bcc"] == "secret@example.com"  # the caller's message is untouched
    assert got.subject == "Grüße" and b"=?utf-8?" in got.raw  # RFC 2047 under email.policy.SMTP
    assert b"\r\n..dot\r\n" not in got.raw and b"\r\n.dot\r\n" in got.raw
    assert result.size == got.size


def test_email_message_prefers_sender_and_explicit_envelope_wins(make_devserver):
    msg = email_message({"From": "alice@example.com", "Sender": "list@example.com", "To": "bob@example.com"}, "x")
    srv = make_devserver()
    send(addr(srv), None, None, msg, tls="none", timeout=T)
    send(addr(srv), "bounce@example.com", ["other@example.com"], msg, tls="none", timeout=T)
    first, second = srv.wait_for(2)
    assert (first.envelope_from, first.envelope_to) == ("list@example.com", ("bob@example.com",))
    assert (second.envelope_from, second.envelope_to) == ("bounce@example.com", ("other@example.com",))


def test_email_message_with_utf8_address_uses_smtputf8(make_devserver):
    msg = email_message({"From": "jürgen@example.com", "To": "bob@example.com", "Subject": "Grüße"}, "x")
    srv = make_devserver()
    send(addr(srv), None, None, msg, tls="none", timeout=T)
    [got] = srv.wait_for(1)
    assert "SMTPUTF8" in got.mail_options
    assert "Subject: Grüße".encode() in got.raw  # raw UTF-8 headers under email.policy.SMTPUTF8


def test_email_message_without_from_needs_a_sender():
    msg = email_message({"To": "bob@example.com"})
    with pytest.raises(EnvelopeError, match="sender"):
        smtp_core.pythonic.envelope.envelope_from_headers(msg, None, None)


# --------------------------------------------------------------------------
# Connections: reuse, quit, auth once
# --------------------------------------------------------------------------


def test_many_messages_on_one_authenticated_tls_connection(make_devserver, pki):
    srv = make_devserver(users={"alice": "wonderland"}, require_auth=True)
    with connect(addr(srv), tls="required", tls_config=TLSConfig(root_cas=pki.ca_path),
                 auth=PlainAuth("", "alice", "wonderland", "127.0.0.1"), timeout=T) as c:
        for n in range(3):
            # auth= again is harmless: the client already authenticated once.
            send(c, "alice@example.com", ["bob@example.com"], b"Subject: %d\n\nx\n" % n,
                 auth=PlainAuth("", "alice", "wonderland", "127.0.0.1"))
        assert not c.closed
        c.quit()
    got = srv.wait_for(3)
    assert [m.subject for m in got] == ["0", "1", "2"]
    assert all(m.tls and m.authenticated_as == "alice" for m in got)


def test_send_prepares_a_client_from_dial(make_devserver, pki):
    srv = make_devserver(users={"alice": "wonderland"})
    c = smtp_core.dial(addr(srv), timeout=T)
    result = send(c, "a@example.com", ["b@example.com"], BODY, tls="required",
                  tls_config=TLSConfig(root_cas=pki.ca_path), auth=[smtp_core.LoginAuth("alice", "wonderland")])
    assert result.accepted == ["b@example.com"] and c.tls and not c.closed
    send(c, "a@example.com", ["b@example.com"], BODY, quit=True)
    assert c.closed
    assert all(m.tls and m.authenticated_as == "alice" for m in srv.wait_for(2))


def test_send_to_an_address_quits_and_to_a_client_does_not(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + SECOND + ["221 bye"], ["220 hi", EHLO_PIPE] + SECOND)
    send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="none", timeout=T)
    c = connect(srv.address, tls="none", timeout=T)
    send(c, "a@example.com", ["b@example.com"], BODY)
    assert not c.closed
    c.close()
    assert srv.transcript(0).endswith(b"QUIT\r\n")
    assert not srv.transcript(1).endswith(b"QUIT\r\n")


def test_recipients_may_be_one_string_and_duplicates_go_once(scripted):
    srv = scripted(["220 hi", EHLO_PIPE] + SECOND + ["221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        assert send(c, "a@example.com", "b@example.com", BODY).accepted == ["b@example.com"]
        c.quit()
    srv2 = scripted(["220 hi", EHLO_PIPE] + SECOND + ["221 bye"])
    send(srv2.address, "a@example.com", ["b@example.com", "b@example.com"], BODY, tls="none", timeout=T)
    assert srv2.transcript(0).count(b"RCPT") == 1


def test_result_repr_and_types():
    r = SendResult({"a@x": (250, "ok"), "b@x": (550, "no")}, (250, "queued"), 10)
    assert r.accepted == ["a@x"] and list(r.refused) == ["b@x"]
    assert "1 accepted, 1 refused" in repr(r)
    assert issubclass(EnvelopeError, ValueError) and issubclass(RecipientsRefused, smtp_core.SMTPError)


def test_empty_recipients_is_an_error(scripted):
    srv = scripted(["220 hi", EHLO_PIPE, "221 bye"])
    with connect(srv.address, tls="none", timeout=T) as c:
        with pytest.raises(EnvelopeError):
            send(c, "a@example.com", [], BODY)
        c.quit()


def test_invalid_tls_policy():
    with pytest.raises(ValueError, match="tls must be one of"):
        send("127.0.0.1:1", "a@x", ["b@x"], b"", tls="maybe")


def test_bad_arguments_cost_no_connection(free_port):
    # Nothing listens on free_port: these fail before connecting.
    address = "127.0.0.1:%d" % free_port
    with pytest.raises(LineError):
        send(address, "a@example.com", ["b@example.com\r\nDATA"], BODY, tls="none", timeout=T)
    with pytest.raises(TypeError):
        send(address, "a@example.com", ["b@example.com"], "text", tls="none", timeout=T)
    with pytest.raises(ConnectionRefusedError):
        send(address, "a@example.com", ["b@example.com"], BODY, tls="none", timeout=T)


def test_recipients_from_an_iterator(make_devserver):
    srv = make_devserver()
    result = send(addr(srv), "a@example.com", (r for r in ["b@example.com", "c@example.com"]), BODY,
                  tls="none", timeout=T)
    assert result.accepted == ["b@example.com", "c@example.com"]


def test_local_name_and_helo_fallback(scripted):
    srv = scripted(["220 hi", "500 what is EHLO", "250 hello"] + SECOND + ["221 bye"])
    send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="none", local_name="client.example.com",
         timeout=T)
    # After HELO there are no extensions: no BODY=, no SIZE=, one command per reply.
    assert srv.transcript(0).startswith(b"EHLO client.example.com\r\nHELO client.example.com\r\n"
                                        b"MAIL FROM:<a@example.com>\r\n")


# --------------------------------------------------------------------------
# The examples in the Pythonic layer's module docstrings
# --------------------------------------------------------------------------


