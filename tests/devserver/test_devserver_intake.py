"""The dev server's SMTP intake, made cheap without changing what it answers.

The DATA payload is read in chunks, with aiosmtpd's rules:
:mod:`smtp_core.devserver.smtp.dataread` against a line-by-line reference that
follows aiosmtpd's own loop (every payload, every way of cutting it into
chunks), then the real dev server on loopback: the end mark split across
segments, a pipelined command after it, the two limits, and the count of
feeds a 1 MiB message costs.  A MAIL or RCPT argument is parsed once, not
once per message.  Messages finished together are stored as one batch on
the store's thread: each keeps its own outcome and its own answer.
"""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings, strategies as st

import smtp_core
from smtp_core.devserver.mailbox.store import Incoming, MailStore, PartLimitError
from smtp_core.devserver.smtp.dataread import TOO_LONG, TOO_MUCH, DataReader

TIMEOUT = 10


def reference(payload: bytes, size_limit: int | None, line_length_limit: int) -> tuple[bytes, str | None, bytes]:
    """``(content, error, rest)`` by aiosmtpd's loop: CRLF-ended lines until
    a lone dot, sizes counted per line, dots unstuffed at the end."""
    lines, error, received, position = [], None, 0, 0
    while True:
        end = payload.find(b"\r\n", position)
        assert end >= 0, "the generated payload always ends"
        line = payload[position:end + 2]
        position = end + 2
        if line == b".\r\n":
            break
        if error is None and len(line) > line_length_limit + 2:  # its reader overruns first
            error = TOO_LONG
        received += len(line)
        if error is None and size_limit and received > size_limit:
            error = TOO_MUCH
        if error is None and len(line) > line_length_limit:
            error = TOO_LONG
        lines.append(line[1:] if line.startswith(b".") else line)
    return (b"" if error else b"".join(lines)), error, payload[position:]


# b"y" * 15: a line just within a limit of 20 (17 bytes with its CRLF),
# longer than the reader's search window, so measured, not refused.
LINE = st.lists(st.sampled_from([b"a", b".", b"\r", b"\n", b"x" * 40, b"y" * 15]), max_size=12).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(lines=st.lists(LINE, max_size=30), rest=st.sampled_from([b"", b"QUIT\r\n", b"MAIL FROM:<a@b>\r\n"]),
       cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=8),
       size_limit=st.sampled_from([None, 0, 50, 200]), line_length_limit=st.sampled_from([20, 1001]))
def test_the_chunked_reader_agrees_with_aiosmtpds_loop(lines, rest, cuts, size_limit, line_length_limit):
    payload = b"".join(line.replace(b"\r\n", b"\r \n") + b"\r\n" for line in lines) + b".\r\n" + rest
    expected = reference(payload, size_limit, line_length_limit)
    reader = DataReader(size_limit=size_limit, line_length_limit=line_length_limit)
    pieces, start = [], 0
    for cut in sorted(cut % (len(payload) + 1) for cut in cuts) + [len(payload)]:
        pieces.append(payload[start:cut])
        start = cut
    fed = 0
    while not reader.feed(pieces[fed]):
        fed += 1
    rest_seen = reader.rest + b"".join(pieces[fed + 1:])
    assert (reader.content, reader.error, rest_seen) == expected


@pytest.mark.parametrize("length, error", [(600, None), (999, None), (1000, TOO_LONG)])
def test_a_long_line_is_measured_wherever_the_chunks_cut_it(length, error):
    payload = b"Subject: x\r\n\r\n" + b"a\r\n" * 300 + b"y" * length + b"\r\n" + b"b\r\n" * 300 + b".\r\n"
    for size in (1, 7, 512, 4096, len(payload)):
        reader = DataReader(size_limit=None, line_length_limit=1001)
        pieces = [payload[start:start + size] for start in range(0, len(payload), size)]
        assert any(reader.feed(piece) for piece in pieces)
        assert reader.error == error
        assert reader.content == (b"" if error else payload[:-3])


class Raw:
    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")
        assert self.reply()[0] == 220

    def reply(self) -> tuple[int, bytes]:
        line = self.file.readline(10_000)
        while line[3:4] == b"-":
            line = self.file.readline(10_000)
        return int(line[:3]), line[4:].rstrip()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def _start_data(raw: Raw) -> None:
    for command, code in ((b"EHLO t\r\n", 250), (b"MAIL FROM:<a@example.com>\r\n", 250),
                          (b"RCPT TO:<b@example.com>\r\n", 250), (b"DATA\r\n", 354)):
        raw.send(command)
        assert raw.reply()[0] == code


def test_an_end_mark_split_byte_by_byte_and_a_pipelined_command_after_it(make_devserver):
    server = make_devserver()
    raw = Raw(server.port)
    try:
        _start_data(raw)
        for byte in b"Subject: split\r\n\r\n..leading dot\r\n.":
            raw.send(bytes([byte]))
        raw.send(b"\r")
        raw.send(b"\nNOOP\r\n")  # pipelined right after the end mark
        assert raw.reply()[0] == 250
        assert raw.reply() == (250, b"OK")  # the NOOP, answered in its turn
    finally:
        raw.close()
    (message,) = server.wait_for(1)
    assert message.raw == b"Subject: split\r\n\r\n.leading dot\r\n"


def test_the_limits_give_aiosmtpds_replies_and_the_session_goes_on(make_devserver):
    server = make_devserver(size_limit=1000)
    raw = Raw(server.port)
    try:
        _start_data(raw)
        raw.send(b"x" * 2000 + b"\r\n.\r\n")
        assert raw.reply() == (500, b"Line too long (see RFC5321 4.5.3.1.6)")
        _start_data(raw)
        raw.send(b"y" * 900 + b"\r\n" + b"z" * 900 + b"\r\n.\r\n")
        assert raw.reply() == (552, b"Error: Too much mail data")
        _start_data(raw)
        raw.send(b"Subject: fine\r\n\r\nok\r\n.\r\n")
        assert raw.reply()[0] == 250
    finally:
        raw.close()
    assert [message.raw for message in server.wait_for(1)] == [b"Subject: fine\r\n\r\nok\r\n"]


def test_a_1_mib_message_costs_a_few_reads_not_one_per_line(make_devserver, monkeypatch):
    lines = 16_000
    body = b"".join(b"line %05d of the long message\r\n" % n for n in range(lines))
    calls = {"feed": 0}
    feed = DataReader.feed

    def counted(self, chunk):
        calls["feed"] += 1
        return feed(self, chunk)

    monkeypatch.setattr(DataReader, "feed", counted)
    server = make_devserver()
    smtp_core.send(f"127.0.0.1:{server.port}", "a@example.com", ["b@example.com"],
                   b"Subject: long\r\n\r\n" + body, tls="none", timeout=TIMEOUT)
    (message,) = server.wait_for(1)
    assert message.raw == b"Subject: long\r\n\r\n" + body
    # One feed per arrival from the socket (up to 256 KiB each), not one per
    # line as aiosmtpd's loop read them.
    assert calls["feed"] < lines // 10, calls


def test_an_address_named_again_is_not_parsed_again(make_devserver, monkeypatch):
    from smtp_core.devserver.smtp import grammar

    parsed = []
    real = grammar.get_angle_addr
    monkeypatch.setattr(grammar, "get_angle_addr", lambda text: (parsed.append(text), real(text))[1])
    import secrets

    token = secrets.token_hex(8)  # the memory is the process's: addresses no other test names
    server = make_devserver()
    raw = Raw(server.port)
    replies = []
    try:
        raw.send(b"EHLO t\r\n")
        raw.reply()
        for _ in range(3):
            for command in (f"MAIL FROM:<repeat-{token}@example.com>", f"RCPT TO:<rcpt-{token}@example.com>",
                            f"RCPT TO:<a b-{token}@example.com>", "DATA", "Subject: n\r\n\r\nx\r\n."):
                raw.send(command.encode() + b"\r\n")
                replies.append(raw.reply())
    finally:
        raw.close()
    envelope_replies = [replies[n:n + 3] for n in (0, 5, 10)]
    assert envelope_replies[0] == envelope_replies[1] == envelope_replies[2]  # the same answers every time
    assert [code for code, _ in replies][3:5] == [354, 250]
    (first, *others) = [message.envelope_to for message in server.wait_for(3)]
    assert f"rcpt-{token}@example.com" in first and others == [first, first]
    assert sorted(parsed) == [f"<a b-{token}@example.com>", f"<rcpt-{token}@example.com>",
                              f"<repeat-{token}@example.com>"], parsed


def test_address_headers_seen_again_are_not_parsed_again_unless_long(tmp_path, monkeypatch):
    import email.utils
    import secrets

    from smtp_core.devserver.mailbox.store import MailStore

    parsed = []
    real = email.utils.getaddresses
    monkeypatch.setattr(email.utils, "getaddresses", lambda values: (parsed.append(list(values)), real(values))[1])
    token = secrets.token_hex(8)  # the memory is the process's: addresses no other test names
    short = f"Ann <ann-{token}@example.com>"
    long = ", ".join(f"r{n}-{token}@example.com" for n in range(100))  # over 2 KiB: parsed each time
    store = MailStore(tmp_path / "mail", max_messages=0)
    try:
        for _ in range(3):
            summary = store.add(f"From: {short}\r\nTo: {long}\r\nSubject: s\r\n\r\nx\r\n".encode(),
                                envelope_from="a@example.com", envelope_to=["b@example.com"])
            assert summary["From"] == {"Name": "Ann", "Address": f"ann-{token}@example.com"}
            assert len(summary["To"]) == 100
    finally:
        store.close()
    assert parsed.count([short]) == 1
    assert parsed.count([long]) == 3


def _multipart(parts: int, subject: str) -> bytes:
    leaves = b"".join(b"--b\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % number for number in range(parts))
    return (f"Subject: {subject}\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n".encode()
            + leaves + b"--b--\r\n")


def test_a_batch_stores_each_message_and_a_refused_one_fails_alone(tmp_path):
    store = MailStore(tmp_path / "mail", max_parts=3)
    try:
        outcomes = store.receive_many([
            Incoming(b"Subject: first\r\n\r\none\r\n", "a@example.com", ("b@example.com",)),
            Incoming(_multipart(5, "too many parts"), "a@example.com", ("b@example.com",)),
            Incoming(b"Subject: third\r\n\r\nthree\r\n", "a@example.com", ("c@example.com",), tls=True),
        ])
        assert isinstance(outcomes[1], PartLimitError)
        (first, first_stored), (third, third_stored) = outcomes[0], outcomes[2]
        assert (first["Subject"], third["Subject"]) == ("first", "third")
        assert third_stored.sequence == first_stored.sequence + 1 and third_stored.tls
        assert [summary["Subject"] for summary in store.summaries()] == ["third", "first"]
        assert [envelope.envelope_to for envelope in store.envelopes()] == [("b@example.com",), ("c@example.com",)]
    finally:
        store.close()


def test_sessions_that_finish_together_each_get_their_own_answer(make_devserver):
    """Messages finished on several connections at once are stored as one
    batch on the store's thread; each session gets its own message's key,
    and the one refused (its MIME parts) gets the 552 alone."""
    server = make_devserver(max_mime_parts=3)
    sessions = [Raw(server.port) for _ in range(8)]
    try:
        for session in sessions:
            _start_data(session)
        for number, session in enumerate(sessions):  # every payload out before any answer is read
            body = _multipart(5, "refused") if number == 3 else f"Subject: number {number}\r\n\r\nhi\r\n".encode()
            session.send(body + b".\r\n")
        answers = [session.reply() for session in sessions]
    finally:
        for session in sessions:
            session.close()
    assert answers[3][0] == 552
    keys = {number: answer[1].rsplit(b" ", 1)[-1].decode() for number, answer in enumerate(answers) if number != 3}
    assert all(answers[number][0] == 250 for number in keys)
    stored = {message.maildir_key: message.message["Subject"] for message in server.wait_for(7)}
    assert {number: stored[key] for number, key in keys.items()} == {number: f"number {number}" for number in keys}
