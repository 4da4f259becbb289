"""The dev server's SMTP side against a client that takes too much (issue 21:
findings 7, 17 and 22): connections at once, idle and trickled sessions,
recipients per message, guessed passwords.  Real sockets on loopback."""

from __future__ import annotations

import base64
import hmac
import smtplib
import socket
import time

import pytest

from smtp_core.devserver.smtp.limits import SmtpLimits
from cli_process import DevServerProcess
from raw_smtp import Raw, b64, raw_sessions  # noqa: F401 (raw_sessions is a fixture)

TIMEOUT = 10.0
MESSAGE = b"Subject: limits\r\n\r\nbody\r\n"


def at_eof(session: Raw) -> bool:
    return session.file.read() == b""


# -- finding 7: connections at once, idle and slow sessions --------------------------------

def test_one_connection_past_the_limit_is_told_421_and_closed(make_devserver, raw_sessions):
    server = make_devserver(smtp_limits=SmtpLimits(max_connections=3))
    admitted = [raw_sessions(server) for _ in range(3)]
    assert all(session.greeting[0] == 220 for session in admitted)
    extra = raw_sessions(server)
    assert extra.greeting == (421, [b"4.7.0 localhost Too many connections, try again later"])
    assert at_eof(extra)
    # The admitted sessions work on; once one leaves, its slot is free again
    # (the server has run connection_lost before the client sees the close).
    assert admitted[0].cmd("NOOP")[0] == 250
    assert admitted[0].cmd("QUIT")[0] == 221 and at_eof(admitted[0])
    newcomer = raw_sessions(server)
    assert newcomer.greeting[0] == 220
    assert newcomer.cmd("EHLO client")[0] == 250


def test_refused_connections_hold_no_slot(make_devserver, raw_sessions):
    server = make_devserver(smtp_limits=SmtpLimits(max_connections=1))
    first = raw_sessions(server)
    assert first.greeting[0] == 220
    for _ in range(5):
        refused = raw_sessions(server)
        assert refused.greeting[0] == 421 and at_eof(refused)
    assert first.cmd("QUIT")[0] == 221 and at_eof(first)
    assert raw_sessions(server).greeting[0] == 220


def test_an_idle_session_is_told_421_and_closed(make_devserver, raw_sessions):
    server = make_devserver(smtp_limits=SmtpLimits(idle_timeout=0.5))
    idle = raw_sessions(server)
    assert idle.cmd("EHLO client")[0] == 250
    # Nothing more is sent: the server speaks first, then closes.
    assert idle.reply() == (421, [b"4.4.2 localhost Error: timeout exceeded"])
    assert at_eof(idle)


def test_a_command_trickled_byte_by_byte_does_not_keep_the_session(make_devserver, raw_sessions):
    server = make_devserver(smtp_limits=SmtpLimits(idle_timeout=0.5))
    slow = raw_sessions(server)
    closed = False
    for byte in b"NOOP" + b" x" * 20:  # bounded: 42 bytes, 0.1 s apart, never a whole line
        try:
            slow.sock.sendall(bytes([byte]))
        except OSError:  # the server closed meanwhile
            closed = True
            break
        time.sleep(0.1)
    assert closed or slow.reply() == (421, [b"4.4.2 localhost Error: timeout exceeded"])


def test_a_session_that_keeps_sending_commands_stays_open(make_devserver, raw_sessions):
    # The timeout is for silence, not for the session's length.
    server = make_devserver(smtp_limits=SmtpLimits(idle_timeout=0.5))
    busy = raw_sessions(server)
    for _ in range(12):  # 12 x 0.1 s: more than twice the timeout
        assert busy.cmd("NOOP")[0] == 250
        time.sleep(0.1)
    assert busy.cmd("QUIT")[0] == 221


# -- finding 22: recipients per message ---------------------------------------------------------

def test_recipients_past_the_limit_get_452_and_the_message_goes_to_the_others(make_devserver):
    server = make_devserver(smtp_limits=SmtpLimits(max_recipients=5))
    with smtplib.SMTP("127.0.0.1", server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        assert client.mail("a@example.com")[0] == 250
        for n in range(5):
            assert client.rcpt(f"r{n}@example.com")[0] == 250
        assert client.rcpt("r5@example.com") == (452, b"4.5.3 Error: too many recipients")
        assert client.rcpt("r6@example.com")[0] == 452
        assert client.data(MESSAGE)[0] == 250
        # The next message on the same connection starts with an empty list.
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt("next@example.com")[0] == 250
        assert client.data(MESSAGE)[0] == 250
    first, second = server.wait_for(2)
    assert first.envelope_to == tuple(f"r{n}@example.com" for n in range(5))
    assert second.envelope_to == ("next@example.com",)


def test_the_default_recipient_limit_is_postfixs_1000(make_devserver):
    server = make_devserver()
    with smtplib.SMTP("127.0.0.1", server.port, timeout=TIMEOUT) as client:
        client.ehlo()
        client.mail("a@example.com")
        assert all(client.rcpt(f"r{n}@example.com")[0] == 250 for n in range(1000))
        assert client.rcpt("r1000@example.com")[0] == 452
        assert client.data(MESSAGE)[0] == 250
    assert len(server.wait_for(1)[0].envelope_to) == 1000


def test_limits_must_be_positive():
    for field in ("max_connections", "max_recipients", "auth_failure_burst"):
        with pytest.raises(ValueError, match=f"{field} must be >= 1, got 0"):
            SmtpLimits(**{field: 0})
    for field in ("idle_timeout", "auth_failures_per_second"):
        with pytest.raises(ValueError, match=f"{field} must be > 0"):
            SmtpLimits(**{field: float("nan")})


# -- finding 17: guessing passwords -------------------------------------------------------------

def plain(user: str, password: str) -> str:
    return "AUTH PLAIN " + b64(f"\0{user}\0{password}".encode())


def cram_md5(session: Raw, user: str, password: str) -> int:
    challenge = base64.b64decode(session.cmd("AUTH CRAM-MD5")[1][0])
    digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
    return session.cmd(b64(f"{user} {digest}".encode()))[0]


def ehlo_session(raw_sessions, server) -> Raw:
    session = raw_sessions(server)
    assert session.cmd("EHLO client")[0] == 250
    return session


def test_failed_logins_past_the_budget_get_454_on_every_connection(make_devserver, raw_sessions):
    server = make_devserver(users={"alice": "right"},
                            smtp_limits=SmtpLimits(auth_failure_burst=3, auth_failures_per_second=0.001))
    guesser = ehlo_session(raw_sessions, server)
    assert guesser.cmd(plain("alice", "wrong1"))[0] == 535
    assert cram_md5(guesser, "alice", "wrong2") == 535  # every mechanism counts
    assert guesser.cmd("AUTH LOGIN")[0] == 334
    assert guesser.cmd(b64(b"alice"))[0] == 334
    assert guesser.cmd(b64(b"wrong3"))[0] == 535
    # The budget is spent: even the right password is not looked at...
    code, text = guesser.cmd(plain("alice", "right"))
    assert code == 454 and text[0].startswith(b"4.7.0 Too many failed authentication attempts, try again in ")
    # ...on a new connection from the same address either...
    other = ehlo_session(raw_sessions, server)
    assert other.cmd(plain("alice", "right"))[0] == 454
    # ...and the sessions go on (mail without AUTH is still accepted here).
    assert other.cmd("MAIL FROM:<a@example.com>")[0] == 250


def test_logins_within_the_budget_and_injected_failures_are_not_throttled(make_devserver, raw_sessions):
    server = make_devserver(users={"alice": "right"},
                            smtp_limits=SmtpLimits(auth_failure_burst=2, auth_failures_per_second=0.001))
    session = ehlo_session(raw_sessions, server)
    assert session.cmd(plain("alice", "wrong"))[0] == 535
    assert session.cmd(plain("alice", "right"))[0] == 235
    # fail_auth injects 535 for tests: never turned into 454.
    failing = ehlo_session(raw_sessions, make_devserver(fail_auth=True, smtp_limits=SmtpLimits(auth_failure_burst=1)))
    assert [failing.cmd(plain("alice", "right"))[0] for _ in range(4)] == [535] * 4


# -- finding 17: passwords off the command line --------------------------------------------------

def private_file(path, text: str):
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_users_file_lines_comments_and_errors_that_name_the_line_not_the_password(tmp_path, capsys):
    from smtp_core.devserver.cli import main
    from smtp_core.devserver.smtp.policy import read_users_file

    users = private_file(tmp_path / "users", "# dev users\n\nalice:wonder:land\n  bob:builder  \n")
    assert read_users_file(users) == {"alice": "wonder:land", "bob": "builder"}
    private_file(users, "alice:ok\n# fine\nhunter2-without-a-name\n")
    for argv, complaint in (
        (["--users-file", str(users)], f"--users-file {users}: line 3: expected NAME:PASSWORD"),
        (["--users-file", str(tmp_path / "missing")], f"--users-file {tmp_path / 'missing'}: cannot read it"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        stderr = capsys.readouterr().err
        assert complaint in stderr and "hunter2" not in stderr
    users.chmod(0o644)
    with pytest.raises(ValueError, match=r"group or others may read it; chmod 600"):
        read_users_file(users)


def test_users_from_the_environment_and_a_bad_entry(capsys, monkeypatch):
    from smtp_core.devserver.cli import main
    from smtp_core.devserver.smtp.policy import USERS_ENV, users_from_environment

    assert USERS_ENV == "SMTP_DEVSERVER_USERS"
    assert users_from_environment({USERS_ENV: "alice:a, bob:b,"}) == {"alice": "a", "bob": "b"}
    assert users_from_environment({USERS_ENV: "alice:a,b\r\n# comment\nbob:c\n"}) == {"alice": "a,b", "bob": "c"}
    monkeypatch.setenv(USERS_ENV, "alice:a,s3cretpassword")
    with pytest.raises(SystemExit):
        # The bad limit stops main() even if the variable were not read.
        main(["--max-connections", "0"])
    stderr = capsys.readouterr().err
    assert "$SMTP_DEVSERVER_USERS: entry 2: expected NAME:PASSWORD" in stderr
    assert "s3cret" not in stderr


def test_the_command_line_takes_users_from_a_file_and_the_environment_and_applies_the_limits(tmp_path):
    users = private_file(tmp_path / "users", "carol:from-the-file\n")
    with DevServerProcess("--port", "0", "--no-http", "--maildir", str(tmp_path / "mail"),
                          "--cert-dir", str(tmp_path / "certs"), "--users-file", str(users),
                          "--max-connections", "1", "--idle-timeout", "0.5", "--max-recipients", "2",
                          environ={"SMTP_DEVSERVER_USERS": "dave:from-the-environment"}) as server:
        port = server.smtp_port()
        # What ps shows of the process holds no password.
        with open(f"/proc/{server.pid}/cmdline", "rb") as cmdline:
            shown = cmdline.read()
        assert b"from-the-file" not in shown and b"from-the-environment" not in shown
        with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
            client.login("carol", "from-the-file")
            # The one slot is taken: another connection is refused.
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as extra:
                assert extra.makefile("rb").readline().startswith(b"421 4.7.0 ")
            client.mail("a@example.com")
            assert [client.rcpt(f"r{n}@example.com")[0] for n in range(3)] == [250, 250, 452]
            client.rset()
        with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
            client.login("dave", "from-the-environment")
            # Silent for longer than --idle-timeout: 421, then closed.
            assert client.getreply() == (421, b"4.4.2 localhost Error: timeout exceeded")
    assert server.returncode == 0 and "Traceback" not in server.stderr, server.stderr


def test_a_connection_that_never_starts_tls_on_the_implicit_port_is_dropped(make_devserver):
    # Before its handshake ends a connection holds no session slot, so the
    # handshake has a deadline of its own (asyncio's default is 60 s).
    server = make_devserver(tls_port=0, smtp_limits=SmtpLimits(tls_handshake_timeout=0.5))
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=TIMEOUT) as silent:
        assert silent.recv(1) == b""  # closed by the server; a timeout would raise


def test_tls_handshakes_under_way_are_capped_too(make_devserver, pki):
    import ssl

    server = make_devserver(tls_port=0, smtp_limits=SmtpLimits(max_connections=2, tls_handshake_timeout=60))
    silent = [socket.create_connection(("127.0.0.1", server.tls_port), timeout=TIMEOUT) for _ in range(2)]
    try:
        # A third connection that says nothing is dropped at once, not after 60 s.
        with socket.create_connection(("127.0.0.1", server.tls_port), timeout=TIMEOUT) as third:
            assert third.recv(1) == b""
    finally:
        for sock in silent:
            sock.close()
    # Once the silent ones are gone, a real client gets its session.
    greeting = b""
    context = ssl.create_default_context(cafile=pki.ca_path)
    for _ in range(50):  # bounded: the server notices the two closes within a few loop turns
        with socket.create_connection(("127.0.0.1", server.tls_port), timeout=TIMEOUT) as raw:
            try:
                with context.wrap_socket(raw, server_hostname="localhost") as tls:
                    greeting = tls.recv(100)
                    if greeting:
                        break
            except (ssl.SSLError, OSError):  # still dropped: not yet noticed
                pass
        time.sleep(0.1)
    assert greeting.startswith(b"220 ")
