"""421 ends the session (RFC 5321, section 3.8) in ``send`` and ``send_many``.

A 421 to any command the Pythonic layer sends after the greeting (MAIL,
RCPT, DATA, the end of data, RSET, STARTTLS, AUTH) means the server is
closing the connection: the client reads no further reply and sends
nothing more, closes, and reports the message as refused with code 421;
``send_many`` stops and reports the messages in flight as not sent.  The
scripted server answers 421 and then keeps the connection open, the
worst case: a client that waited for the replies to its other pipelined
commands would wait for its timeout.  The next ``send`` on that client
fails at once with an I/O error, sending nothing; a fresh connection works.
"""

from __future__ import annotations

import pytest
from scripted import Starttls

import smtp_core
from smtp_core import (
    BatchAborted,
    MessageNotSent,
    MessageRefused,
    RecipientsRefused,
    SendResult,
    connect,
    prepare,
    send,
    send_many,
)

T = 10
CLOSING = "421 4.3.2 mx.example.test closing"
EHLO = "250 mx.example.test"
EHLO_PIPE = "250-mx.example.test\n250 PIPELINING"
BODY = b"Subject: x\r\n\r\nhi\r\n"
MAIL, RCPT, DATA = b"MAIL FROM:<a@example.com>\r\n", b"RCPT TO:<b@example.com>\r\n", b"DATA\r\n"
ENVELOPE = MAIL + RCPT + DATA
FRESH = ["220 mx", EHLO, "250 ok", "250 ok", "354 go", "250 queued", "221 bye"]

# stage: (replies before the 421, what the client sent after EHLO, lockstep, pipelined)
STAGES = {
    "MAIL": ([], MAIL, ENVELOPE),
    "RCPT": (["250 ok"], MAIL + RCPT, ENVELOPE),
    "DATA": (["250 ok", "250 ok"], ENVELOPE, ENVELOPE),
    "DATA end": (["250 ok", "250 ok", "354 go"], ENVELOPE + BODY + b".\r\n", ENVELOPE + BODY + b".\r\n"),
}


@pytest.mark.parametrize("pipelined", [False, True], ids=["lockstep", "pipelined"])
@pytest.mark.parametrize("stage", list(STAGES))
def test_421_at_each_stage_ends_the_session(scripted, stage, pipelined):
    before, lockstep_sent, pipelined_sent = STAGES[stage]
    srv = scripted(["220 mx", EHLO_PIPE if pipelined else EHLO] + before + [CLOSING], FRESH)
    client = connect(srv.address, tls="none", timeout=T)
    with pytest.raises(MessageRefused) as info:
        send(client, "a@example.com", ["b@example.com"], BODY)
    refused = info.value
    assert (refused.code, refused.stage, refused.temporary) == (421, stage, True)
    assert client.closed
    # The next send on that client fails at once, sending nothing ...
    with pytest.raises(OSError):
        send(client, "a@example.com", ["b@example.com"], BODY)
    assert client.closed
    # ... and a fresh connection works.
    result = send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="none", timeout=T)
    assert result.reply == (250, "queued")
    expected = pipelined_sent if pipelined else lockstep_sent
    assert srv.transcript(0) == b"EHLO localhost\r\n" + expected  # no QUIT, no RSET, nothing after


def test_421_to_rset_after_a_refusal_closes(scripted):
    srv = scripted(["220 mx", EHLO, "250 ok", "550 no such user", CLOSING])
    client = connect(srv.address, tls="none", timeout=T)
    with pytest.raises(RecipientsRefused):  # the message's own outcome
        send(client, "a@example.com", ["b@example.com"], BODY)
    assert client.closed
    assert srv.transcript(0) == b"EHLO localhost\r\n" + MAIL + RCPT + b"RSET\r\n"


def test_421_mid_batch_stops_pipelining(scripted):
    # Message 0 is accepted; message 1's envelope, which rode with message
    # 0's body, gets 421 to MAIL: message 2 is never taken, nothing more sent.
    srv = scripted(["220 mx", EHLO_PIPE, "250 ok", "250 ok", "354 go", "250 queued 0", CLOSING])
    taken = []

    def outbox():
        for n in range(5):
            taken.append(n)
            yield "a@example.com", ["b@example.com"], BODY

    with pytest.raises(BatchAborted) as info:
        send_many(srv.address, outbox(), tls="none", timeout=T)
    stop = info.value
    delivered, refused = stop.results
    assert type(delivered) is SendResult
    assert isinstance(refused, MessageRefused) and (refused.code, refused.stage) == (421, "MAIL")
    assert stop.error is refused and taken == [0, 1]
    assert srv.transcript(0) == b"EHLO localhost\r\n" + ENVELOPE + BODY + b".\r\n" + ENVELOPE


def test_421_to_the_end_of_data_reports_the_next_message_not_sent(scripted):
    srv = scripted(["220 mx", EHLO_PIPE, "250 ok", "250 ok", "354 go", CLOSING])
    client = connect(srv.address, tls="none", timeout=T)
    with pytest.raises(BatchAborted) as info:
        send_many(client, [("a@example.com", ["b@example.com"], BODY)] * 3)
    refused, unsent = info.value.results
    assert (refused.code, refused.stage) == (421, "DATA end")
    # Refused for certain (a reply came), unlike a message whose verdict never came.
    assert isinstance(unsent, MessageNotSent) and not unsent.uncertain and unsent.error is refused
    assert info.value.not_sent == [1] and client.closed
    # The next batch on that client: every message not sent, the connection untouched.
    with pytest.raises(BatchAborted) as again:
        send_many(client, [("a@example.com", ["b@example.com"], BODY)])
    [entry] = again.value.results
    assert isinstance(entry, MessageNotSent) and not entry.uncertain
    assert srv.transcript(0) == b"EHLO localhost\r\n" + ENVELOPE + BODY + b".\r\n" + ENVELOPE


def test_421_to_starttls_closes(scripted):
    srv = scripted(["220 mx", "250-mx\n250 STARTTLS", CLOSING])
    client = smtp_core.dial(srv.address, timeout=T)
    with pytest.raises(smtp_core.ReplyError) as info:
        prepare(client)
    assert info.value.code == 421 and client.closed
    assert srv.transcript(0) == b"EHLO localhost\r\nSTARTTLS\r\n"


def test_421_to_auth_closes_without_quit(scripted, pki):
    srv = scripted(["220 mx", "250-mx\n250 STARTTLS", Starttls(), "250-mx\n250 AUTH PLAIN", CLOSING])
    with pytest.raises(smtp_core.ReplyError) as info:
        connect(srv.address, tls_config=smtp_core.TLSConfig(root_cas=pki.ca_path), server_name="localhost",
                auth=smtp_core.PlainAuth("", "u", "p", "localhost"), timeout=T)
    assert info.value.code == 421
    sent = srv.transcript(0)
    assert sent.endswith(b"AUTH PLAIN AHUAcA==\r\n")  # no "*", no QUIT
