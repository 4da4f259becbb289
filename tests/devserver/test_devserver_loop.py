"""The dev server's own SMTP command loop (smtp_core.devserver.smtp.protocol
over .grammar), on real sockets: a pipelined burst answered in order with
one write, a command line cut across TCP segments, lines over the limits,
nothing answered after QUIT, and the split of lines without I/O."""

from __future__ import annotations

import asyncio.selector_events
import base64
import logging

import pytest
from raw_smtp import Raw

from smtp_core.devserver.smtp import grammar
from smtp_core.devserver.smtp.protocol import DevSMTP


class Wire(Raw):
    """The tests' raw client, sending bytes exactly as cut (no CRLF added)."""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)


def test_a_pipelined_burst_is_answered_in_order_with_one_write(make_devserver, monkeypatch):
    arrivals, writes = [], []
    data_received, write = DevSMTP.data_received, asyncio.selector_events._SelectorSocketTransport.write

    def received(self, data):
        arrivals.append(data)
        data_received(self, data)

    def written(self, data):
        writes.append(bytes(data))
        write(self, data)

    monkeypatch.setattr(DevSMTP, "data_received", received)
    monkeypatch.setattr(asyncio.selector_events._SelectorSocketTransport, "write", written)
    server = make_devserver(reject_rcpt=["no@example.com"])
    wire = Wire(server)
    try:
        wire.send(b"EHLO client\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<no@example.com>\r\n"
                  b"RCPT TO:<b@example.com>\r\nNOOP\r\nDATA\r\n")
        replies = [wire.reply() for _ in range(6)]
        assert [code for code, _ in replies] == [250, 250, 550, 250, 250, 354]
        assert replies[2][1] == [b"5.1.1 <no@example.com>: Recipient address rejected"]
        wire.send(b"Subject: burst\r\n\r\nx\r\n.\r\n")
        assert wire.reply()[0] == 250
    finally:
        wire.close()
    assert server.wait_for(1)[0].envelope_to == ("b@example.com",)
    # Each arrival's replies leave in one write (the greeting is the first
    # write; the final dot's 250 follows the store, on its own).
    commands = [data for data in arrivals if data.startswith(b"EHLO")]
    assert commands and len(writes) == 1 + len(arrivals), (arrivals, writes)


def test_a_command_line_cut_across_segments_is_one_command(make_devserver):
    server = make_devserver()
    wire = Wire(server)
    try:
        wire.send(b"EHLO client\r\nMAIL FR")
        assert wire.reply()[0] == 250  # EHLO answered; the half line waits
        wire.send(b"OM:<a@example.com>\r")
        wire.send(b"\nRCPT TO:<b@exa")
        assert wire.reply() == (250, [b"OK"])
        wire.send(b"mple.com>\r\nDATA\r\n")
        assert [wire.reply()[0] for _ in range(2)] == [250, 354]
        wire.send(b"Subject: cut\r\n\r\nx\r\n.\r\n")
        assert wire.reply()[0] == 250
    finally:
        wire.close()
    (message,) = server.wait_for(1)
    assert (message.envelope_from, message.envelope_to) == ("a@example.com", ("b@example.com",))


def test_lines_over_the_limits_are_refused_and_the_session_goes_on(make_devserver):
    server = make_devserver()
    wire = Wire(server)
    try:
        wire.send(b"NOOP " + b"x" * 600 + b"\r\n")  # over 512: aiosmtpd's command limit
        assert wire.reply() == (500, [b"Command line too long"])
        # Over the line limit, sent in pieces without a line end for a while:
        # one refusal, at the line's end, however long it runs.
        for _ in range(20):
            wire.send(b"y" * 5000)
        wire.send(b"y\r\nNOOP\r\n")
        assert wire.reply() == (500, [b"Command line too long"])
        assert wire.reply() == (250, [b"OK"])
        wire.send(b"EHLO client\r\n")
        wire.reply()
        # After EHLO, MAIL has room for SIZE and SMTPUTF8 (548 bytes).
        address = b"a" * 500 + b"@example.com"
        wire.send(b"MAIL FROM:<" + address + b"> SIZE=10\r\n")
        assert wire.reply() == (250, [b"OK"])
    finally:
        wire.close()


@pytest.mark.parametrize("burst, codes", [
    (b"QUIT\r\nNOOP\r\nNOOP\r\n", [221]),  # nothing answered after QUIT
    (b"BOGUS\r\n" * 6, [500] * 4 + [502]),  # the fifth unknown command ends the session
], ids=["quit", "fifth-unknown-command"])
def test_the_session_ends_and_nothing_after_is_answered(make_devserver, burst, codes):
    server = make_devserver()
    wire = Wire(server)
    try:
        wire.send(burst)
        replies = [wire.reply() for _ in codes]
        assert [code for code, _ in replies] == codes
        assert replies[0][1] in ([b"Bye"], [b'Error: command "BOGUS" not recognized'])
        assert wire.file.read() == b""  # closed, with no other reply
    finally:
        wire.close()


def test_a_line_without_end_is_held_within_the_limit():
    lines = grammar.CommandLines()
    for _ in range(1000):
        lines.feed(b"z" * 10_000)
        assert lines.next_line() is None
        assert lines.pending() <= grammar.LINE_LIMIT + 10_000
    lines.feed(b"\r\nRSET\r\n")
    assert lines.next_line() is grammar.TOO_LONG_LINE
    assert lines.next_line() == b"RSET"


def test_the_debug_log_shows_the_commands_but_no_credentials(make_devserver, caplog):
    caplog.set_level(logging.DEBUG, logger="smtp_core.devserver.smtp.protocol")
    server = make_devserver(users={"alice": "s3cret"})
    wire = Wire(server)
    response = base64.b64encode(b"\0alice\0s3cret").decode()
    try:
        wire.send(f"EHLO client\r\nAUTH PLAIN {response}\r\nNOOP\r\n".encode())
        assert [wire.reply()[0] for _ in range(3)] == [250, 235, 250]
    finally:
        wire.close()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "AUTH PLAIN [response not logged]" in logged and "NOOP" in logged
    assert response not in logged
