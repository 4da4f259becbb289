"""The dev server against a hostile client, and the protocol around the catcher.

A client chooses its AUTH user name, its envelope and its message: none of
them may forge a console line, reach the terminal as an escape sequence,
add a header line to the stored copy, or crash a command into a 500.  Files
it leaves are private.  Also: PIPELINING is advertised (and ``send_many``
uses it), STARTTLS inside TLS is refused, and a client's ``*`` (cancelling
AUTH) is not a warning on the console.  Real servers on loopback, raw
sockets where smtplib would refuse to send the hostile bytes.
"""

from __future__ import annotations

import base64
import hmac
import logging
import smtplib
import ssl
import stat

import pytest

from raw_smtp import TIMEOUT, b64, raw_sessions  # noqa: F401 (raw_sessions is a fixture)

import smtp_core
from smtp_core.devserver.mailbox.received import escape_controls

FORGED_LINE = "[smtp-devserver] from <ceo@corp.example> to <all@corp.example>: 'pay' (1 bytes)"


def test_escape_controls_leaves_ordinary_text_alone():
    assert escape_controls("jörg@exämple.de 'Grüße' \\n") == "jörg@exämple.de 'Grüße' \\n"
    for character in "\r\n\x00\x1b\x7f\x85\u2028\u2029\u202e\u200f\udcff":
        assert character not in escape_controls("a" + character + "b")


def test_console_line_cannot_be_forged_or_reach_the_terminal_raw(make_devserver, raw_sessions, capsys):
    server = make_devserver(accept_any_login=True, quiet=False)
    session = raw_sessions(server)
    session.cmd("EHLO client")
    user = "mallory\n" + FORGED_LINE + "\x1b[2K\r"
    assert session.cmd("AUTH PLAIN " + b64(b"\0" + user.encode() + b"\0pw"))[0] == 235
    assert session.cmd('MAIL FROM:<"a\x1b]0;owned\x07"@example.com>')[0] == 250
    assert session.cmd('RCPT TO:<"b\x1b[31m"@example.com>')[0] == 250
    assert session.cmd("DATA")[0] == 354
    body = "Subject: =?utf-8?q?hi=0A=1B[5m?= \u202etxt.exe\r\n\r\nbody\r\n.".encode()
    assert session.cmd(body)[0] == 250
    [record] = server.wait_for(1)
    assert record.authenticated_as == user  # the record keeps the exact value
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("[smtp-devserver] from <")
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in out
    assert "AUTH mallory\\n[smtp-devserver] from <ceo@corp.example>" in out
    assert "\\x1b[31m" in out and "\\u202e" in out


def test_envelope_values_never_become_stored_header_lines(make_devserver, raw_sessions):
    server = make_devserver()
    session = raw_sessions(server)
    session.cmd("EHLO client")
    forged = "\rX-Envelope-From: <ceo@corp.example>\r"
    assert session.cmd(f'MAIL FROM:<"a{forged}"@example.com>')[0] == 250
    assert session.cmd(f'RCPT TO:<"b{forged}"@example.com>')[0] == 250
    assert session.cmd("DATA")[0] == 354
    assert session.cmd(b"Subject: s\r\n\r\nbody\r\n.")[0] == 250
    [record] = server.wait_for(1)
    assert record.envelope_from == f'"a{forged}"@example.com'
    stored = (server.maildir / "new" / record.maildir_key).read_bytes()
    header_block = stored.split(b"\n\n", 1)[0]
    assert b"\r" not in header_block
    names = [line.split(b":", 1)[0] for line in header_block.split(b"\n")]
    assert names == [b"Return-Path", b"X-Envelope-From", b"X-Envelope-To", b"Subject"]
    assert record.message.get_all("X-Envelope-From") == ['<"a\\rX-Envelope-From: <ceo@corp.example>\\r"@example.com>']


def test_replies_echo_no_control_characters(make_devserver, raw_sessions):
    server = make_devserver(users={"alice": "pw"}, reject_rcpt=["x\x1b@example.com"])
    session = raw_sessions(server)
    session.cmd("EHLO client")
    session.cmd("MAIL FROM:<a@example.com>")
    code, lines = session.cmd("RCPT TO:<x\x1b@example.com>")
    assert code == 550 and b"\x1b" not in lines[0] and b"x\\x1b@example.com" in lines[0]
    code, lines = session.cmd("VRFY <alice@ex\x1bample.com>")
    assert code == 250 and lines[0] == b"2.1.5 <alice@ex\\x1bample.com>"


def test_maildir_files_are_private(make_devserver, tmp_path):
    maildir = tmp_path / "mail"
    server = make_devserver(maildir=maildir)
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: s\r\n\r\nx\r\n")
    [record] = server.wait_for(1)
    for folder in (maildir, maildir / "cur", maildir / "new", maildir / "tmp"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((maildir / "new" / record.maildir_key).stat().st_mode) == 0o600


def test_an_existing_open_maildir_gets_private_folders(make_devserver, tmp_path):
    maildir = tmp_path / "shared"
    for folder in ("cur", "new", "tmp"):
        (maildir / folder).mkdir(parents=True)
        (maildir / folder).chmod(0o755)
    make_devserver(maildir=maildir)
    assert all(stat.S_IMODE((maildir / f).stat().st_mode) == 0o700 for f in ("cur", "new", "tmp"))


@pytest.mark.parametrize("response", [
    "alice " + "é" * 32,                 # non-ASCII where the digest goes
    "alice ２" + "0" * 31,                # a full-width digit
    "alice",                             # no digest at all
    "alice " + "0" * 31,                 # too short
    "\udcff\udcfe " + "0" * 32 + "0",    # 33 digits
])
def test_malformed_cram_md5_response_is_501_and_the_session_goes_on(make_devserver, raw_sessions, response, caplog):
    server = make_devserver(users={"alice": "s3cret"})
    session = raw_sessions(server)
    session.cmd("EHLO client")
    assert session.cmd("AUTH CRAM-MD5")[0] == 334
    code, lines = session.cmd(b64(response.encode("utf-8", "surrogateescape")))
    assert code == 501, lines
    assert session.cmd("NOOP")[0] == 250
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_cram_md5_with_a_non_ascii_user_name_is_checked_normally(make_devserver, raw_sessions):
    server = make_devserver(users={"jörg": "s3cret"})
    for password, expected in (("s3cret", 235), ("wrong", 535)):
        session = raw_sessions(server)
        session.cmd("EHLO client")
        code, [challenge] = session.cmd("AUTH CRAM-MD5")
        digest = hmac.new(password.encode(), base64.b64decode(challenge), "md5").hexdigest()
        assert session.cmd(b64("jörg ".encode() + digest.encode()))[0] == expected


def test_logged_client_values_are_escaped(make_devserver, raw_sessions, caplog):
    caplog.set_level(logging.DEBUG)
    server = make_devserver()
    session = raw_sessions(server)
    session.cmd("EHLO client")
    assert session.cmd("X\x1b[2JFAKE")[0] == 500
    session.cmd("MAIL FROM:<a\x1b[31m@example.com>")
    session.cmd("QUIT")
    session.close()
    server.stop()
    messages = [r.getMessage() for r in caplog.records if r.name in ("mail.log", "smtp_core.devserver.smtp.protocol")]
    assert any("unrecognised" in m for m in messages)
    assert not any("\x1b" in m for m in messages)


def test_star_abort_is_not_a_console_warning(make_devserver, raw_sessions, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    server = make_devserver(users={"alice": "s3cret"})
    session = raw_sessions(server)
    session.cmd("EHLO client")
    for mechanism in ("CRAM-MD5", "LOGIN", "PLAIN"):
        assert session.cmd("AUTH " + mechanism)[0] == 334
        assert session.cmd("*")[0] == 501
    assert session.cmd("NOOP")[0] == 250
    aborts = [r for r in caplog.records if "aborted AUTH" in r.getMessage()]
    assert len(aborts) == 3 and all(r.levelno == logging.DEBUG for r in aborts)
    # Without any logging set-up, Python prints WARNING records on stderr.
    assert capsys.readouterr().err == ""


# -- the protocol around the catcher ----------------------------------------------------------

def test_pipelining_is_advertised_last_but_one(make_devserver, raw_sessions):
    session = raw_sessions(make_devserver())
    code, lines = session.cmd("EHLO client")
    assert code == 250 and lines[-2:] == [b"PIPELINING", b"HELP"]
    assert session.cmd("HELO client")[1] == [b"localhost"]  # HELO has no extensions


def test_send_many_pipelines_against_the_dev_server(make_devserver):
    # Pipelined, message n is taken from the iterator before message n - 1's
    # body is written, so the server cannot have stored it yet; in lockstep
    # it has, always.  Both orders are deterministic.
    server = make_devserver()

    def batch(seen):
        for n in range(6):
            seen.append(len(server.messages()))
            yield ("a@example.com", ["b@example.com"], b"Subject: %d\r\n\r\nx\r\n" % n)

    with smtp_core.connect("127.0.0.1:%d" % server.port, tls="none", timeout=TIMEOUT) as client:
        assert client.extension("PIPELINING")[0]
        pipelined: list = []
        smtp_core.send_many(client, batch(pipelined))
        lockstep: list = []
        smtp_core.send_many(client, batch(lockstep), pipelining=False)
        client.quit()
    assert [m.subject for m in server.wait_for(12)] == [str(n) for n in range(6)] * 2
    assert pipelined == [0, 0, 1, 2, 3, 4]
    assert lockstep == [6, 7, 8, 9, 10, 11]


def test_pipelined_commands_in_one_write_get_their_replies_in_order(make_devserver, raw_sessions):
    server = make_devserver(reject_rcpt=["no@example.com"])
    session = raw_sessions(server)
    session.cmd("EHLO client")
    session.sock.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<no@example.com>\r\n"
                         b"RCPT TO:<b@example.com>\r\nDATA\r\n")
    assert [session.reply()[0] for _ in range(4)] == [250, 550, 250, 354]
    assert session.cmd(b"Subject: p\r\n\r\nx\r\n.")[0] == 250
    assert server.wait_for(1)[0].envelope_to == ("b@example.com",)


def test_a_second_starttls_is_refused(make_devserver, raw_sessions, pki):
    server = make_devserver()
    context = ssl.create_default_context(cafile=pki.ca_path)
    with smtplib.SMTP(server.host, server.port, timeout=TIMEOUT) as client:
        client.starttls(context=context)
        code, text = client.docmd("STARTTLS")
        assert (code, text) == (554, b"5.5.1 Error: TLS already active")
        assert client.noop()[0] == 250  # still inside the one TLS layer
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: s\r\n\r\nx\r\n")
    assert server.wait_for(1)[0].tls


def test_starttls_on_the_implicit_tls_port_is_refused(make_devserver, raw_sessions, pki):
    server = make_devserver(tls_port=None)
    context = ssl.create_default_context(cafile=pki.ca_path)
    session = raw_sessions(server, port=server.tls_port, context=context)
    code, lines = session.cmd("EHLO client")
    assert b"STARTTLS" not in lines
    assert session.cmd("STARTTLS")[0] == 554
    assert session.cmd("NOOP")[0] == 250
