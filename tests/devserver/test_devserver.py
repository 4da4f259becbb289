"""Tests for the development SMTP server and the throw-away PKI.

Every test talks to a real server over loopback with the standard library's
smtplib (never the project's own client, which these tests help validate).
One CA and server certificate are made per test session; every wait is
bounded and no assertion depends on timing.
"""

from __future__ import annotations

import mailbox
import os
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from smtp_core.devserver import (
    DEFAULT_SIZE_LIMIT,
    FAILURE_STAGES,
    DevServer,
    main,
    parse_fail_at,
)

from cli_process import DevServerProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 10  # seconds; an upper bound for any single network wait


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------


@pytest.fixture
def trusting_context(pki):
    return ssl.create_default_context(cafile=pki.ca_path)


def connect(server, **kwargs):
    return smtplib.SMTP(server.host, server.port, timeout=TIMEOUT, **kwargs)


MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Hello\r\n\r\nBody line\r\n"


# --------------------------------------------------------------------------
# Receiving and storing mail
# --------------------------------------------------------------------------


def test_plain_message_is_stored_in_maildir_with_envelope(make_devserver):
    server = make_devserver()
    with connect(server) as client:
        refused = client.sendmail(
            "sender@example.com", ["b@example.com", "c@example.com"], MESSAGE
        )
        client.sendmail("second@example.com", ["d@example.com"], b"Subject: Second\r\n\r\nx\r\n")
    assert refused == {}

    first, second = server.wait_for(2)
    assert first.envelope_from == "sender@example.com"
    assert first.envelope_to == ("b@example.com", "c@example.com")
    assert first.raw == MESSAGE
    assert first.subject == "Hello"
    assert first.size == len(MESSAGE)
    assert first.tls is False and first.authenticated_as is None
    assert first.message["X-Envelope-From"] == "<sender@example.com>"
    assert first.message["X-Envelope-To"] == "<b@example.com>, <c@example.com>"
    assert first.message["Return-Path"] == "<sender@example.com>"
    assert second.subject == "Second"
    assert server.messages() == [first, second]

    stored = mailbox.Maildir(str(server.maildir), factory=None, create=False)
    assert len(stored) == 2
    on_disk = stored.get_message(first.maildir_key)
    assert on_disk["X-Envelope-To"] == "<b@example.com>, <c@example.com>"
    assert on_disk.get_payload() == "Body line\n"


def test_null_reverse_path_is_recorded_as_empty_sender(make_devserver):
    server = make_devserver()
    with connect(server) as client:
        client.sendmail("<>", ["postmaster@example.com"], MESSAGE)
    [bounce] = server.wait_for(1)
    assert bounce.envelope_from == ""
    assert bounce.message["Return-Path"] == "<>"


def test_on_message_callback_and_console_summary(make_devserver, capsys):
    seen = []
    server = make_devserver(quiet=False, on_message=seen.append)
    with connect(server) as client:
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    [record] = server.wait_for(1)
    assert seen == [record]
    out = capsys.readouterr().out
    assert "from <a@example.com> to <b@example.com>: 'Hello'" in out
    assert f"({len(MESSAGE)} bytes)" in out


def test_smtputf8_and_8bitmime_are_advertised_and_kept_intact(make_devserver):
    server = make_devserver()
    body = "Subject: Grüße\r\n\r\nÄpfel und Bären\r\n".encode("utf-8")
    with connect(server) as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        assert client.has_extn("8bitmime")
        client.sendmail(
            "jörg@exämple.de", ["bär@example.com"], body,
            mail_options=["SMTPUTF8", "BODY=8BITMIME"],
        )
    [record] = server.wait_for(1)
    assert record.envelope_from == "jörg@exämple.de"
    assert record.envelope_to == ("bär@example.com",)
    assert {"SMTPUTF8", "BODY=8BITMIME"} <= set(record.mail_options)
    assert record.raw == body
    assert record.subject == "Grüße"


def test_help_still_describes_overridden_commands(make_devserver):
    server = make_devserver()
    with connect(server) as client:
        code, text = client.docmd("HELP", "MAIL")
    assert code == 250
    assert b"MAIL FROM: <address>" in text


# --------------------------------------------------------------------------
# TLS
# --------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_starttls_with_generated_certificate_verifies_against_ca_path(tmp_path, host):
    # No cert given: the server generates (then reuses) its own in cert_dir.
    with DevServer(host=host, cert_dir=tmp_path / "certs") as server:
        assert server.ca_path == tmp_path / "certs" / "ca.pem"
        context = ssl.create_default_context(cafile=str(server.ca_path))
        with smtplib.SMTP(host, server.port, timeout=TIMEOUT) as client:
            client.ehlo()
            assert client.has_extn("starttls")
            client.starttls(context=context)
            client.ehlo()
            assert not client.has_extn("starttls")
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        [record] = server.wait_for(1)
    assert record.tls is True


def test_implicit_tls_port(make_devserver, trusting_context):
    server = make_devserver(tls_port=None)
    assert server.tls_port not in (None, server.port)
    with smtplib.SMTP_SSL(
        server.host, server.tls_port, context=trusting_context, timeout=TIMEOUT
    ) as client:
        client.ehlo()
        assert not client.has_extn("starttls")
        assert "PLAIN" in client.esmtp_features["auth"]
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    [record] = server.wait_for(1)
    assert record.tls is True


@pytest.mark.parametrize("round_", range(5))
def test_a_client_hello_sent_with_the_connection_is_answered(make_devserver, trusting_context, round_):
    # The ClientHello is already waiting when the server accepts: it must
    # reach the TLS handshake, not be read (and dropped) before it starts.
    # Python 3.10's transport registers its reader after connection_made
    # even if that paused reading, which once lost it (a handshake timeout).
    server = make_devserver(tls_port=None)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = trusting_context.wrap_bio(incoming, outgoing, server_hostname=server.host)
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    hello = outgoing.read()
    with socket.create_connection((server.host, server.tls_port), timeout=TIMEOUT) as raw:
        raw.sendall(hello)
        answer = raw.recv(5)
    assert answer[:1] == b"\x16", answer  # a handshake record: the ServerHello


def test_no_implicit_tls_port_unless_asked(make_devserver):
    assert make_devserver().tls_port is None


def test_client_rejecting_the_certificate_does_not_break_the_server(make_devserver):
    server = make_devserver()
    untrusting = ssl.create_default_context()  # system CAs only
    with connect(server) as client:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=untrusting)
    with connect(server) as client:
        assert client.noop()[0] == 250


def test_wrong_host_expired_and_untrusted_certificates_fail_verification(pki, trusting_context):
    def starttls_error(cert):
        with DevServer(cert=cert) as server, connect(server) as client:
            with pytest.raises(ssl.SSLCertVerificationError) as failure:
                client.starttls(context=trusting_context)
        return failure.value

    assert "mismatch" in str(starttls_error(pki.issue("mail.example.test")))
    assert "expired" in str(starttls_error(pki.issue("localhost", "127.0.0.1", expired=True)))
    assert "unable to get local issuer" in str(starttls_error(pki.other_ca().cert))


@pytest.mark.skipif(not socket.has_ipv6, reason="no IPv6 support")
def test_pki_ipv6_subject_alt_name(make_devserver, trusting_context):
    try:
        server = make_devserver(host="::1")
    except OSError:
        pytest.skip("cannot bind ::1")
    with smtplib.SMTP("::1", server.port, timeout=TIMEOUT) as client:
        client.starttls(context=trusting_context)  # verifies IP:::1
        assert client.noop()[0] == 250


# --------------------------------------------------------------------------
# AUTH
# --------------------------------------------------------------------------

MECHANISMS = {
    "PLAIN": lambda client: client.auth_plain,
    "LOGIN": lambda client: client.auth_login,
    "CRAM-MD5": lambda client: client.auth_cram_md5,
}


def authenticate(client, mechanism, user, password, initial_response_ok=True):
    client.ehlo()
    client.user, client.password = user, password
    return client.auth(
        mechanism, MECHANISMS[mechanism](client), initial_response_ok=initial_response_ok
    )


@pytest.mark.parametrize("initial_response_ok", [True, False])
@pytest.mark.parametrize("mechanism", sorted(MECHANISMS))
def test_auth_success(make_devserver, mechanism, initial_response_ok):
    server = make_devserver(users=["alice:s3cret", "bob:other"])
    with connect(server) as client:
        code, _ = authenticate(client, mechanism, "alice", "s3cret", initial_response_ok)
        assert code == 235
        client.sendmail("alice@example.com", ["b@example.com"], MESSAGE)
    [record] = server.wait_for(1)
    assert record.authenticated_as == "alice"


@pytest.mark.parametrize("mechanism", sorted(MECHANISMS))
@pytest.mark.parametrize("user,password", [("alice", "wrong"), ("mallory", "s3cret")])
def test_auth_failure_is_535_and_session_continues(make_devserver, mechanism, user, password):
    server = make_devserver(users={"alice": "s3cret"})
    with connect(server) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            authenticate(client, mechanism, user, password)
        assert failure.value.smtp_code == 535
        # A failed attempt must leave the session usable.
        assert authenticate(client, mechanism, "alice", "s3cret")[0] == 235


def test_auth_mechanisms_advertised_without_tls_on_loopback(make_devserver):
    server = make_devserver()
    with connect(server) as client:
        client.ehlo()
        assert set(client.esmtp_features["auth"].split()) == {"CRAM-MD5", "LOGIN", "PLAIN"}


@pytest.mark.parametrize("mechanism", sorted(MECHANISMS))
def test_accept_any_login(make_devserver, mechanism):
    server = make_devserver(accept_any_login=True)
    with connect(server) as client:
        assert authenticate(client, mechanism, "anyone", "anything")[0] == 235


@pytest.mark.parametrize("mechanism", sorted(MECHANISMS))
def test_fail_auth_refuses_even_correct_credentials(make_devserver, mechanism):
    server = make_devserver(users={"alice": "s3cret"}, fail_auth=True)
    with connect(server) as client:
        with pytest.raises(smtplib.SMTPAuthenticationError) as failure:
            authenticate(client, mechanism, "alice", "s3cret")
    assert failure.value.smtp_code == 535


def test_cram_md5_aborted_with_star(make_devserver):
    server = make_devserver(users={"alice": "s3cret"})
    with connect(server) as client:
        client.ehlo()
        assert client.docmd("AUTH", "CRAM-MD5")[0] == 334
        assert client.docmd("*")[0] == 501
        assert client.noop()[0] == 250


def test_require_auth_refuses_mail_until_authenticated(make_devserver):
    server = make_devserver(users={"alice": "s3cret"}, require_auth=True)
    with connect(server) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refusal:
            client.sendmail("alice@example.com", ["b@example.com"], MESSAGE)
        assert refusal.value.smtp_code == 530
        client.login("alice", "s3cret")
        client.sendmail("alice@example.com", ["b@example.com"], MESSAGE)
    assert len(server.wait_for(1)) == 1


# --------------------------------------------------------------------------
# SIZE and VRFY
# --------------------------------------------------------------------------


def test_size_limit_advertised_and_enforced(make_devserver):
    limit = 200
    server = make_devserver(size_limit=limit)
    fits = b"Subject: fits\r\n\r\n" + b"x" * (limit - 19) + b"\r\n"
    assert len(fits) == limit
    too_big = fits + b"y\r\n"
    with connect(server) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == str(limit)
        client.sendmail("a@example.com", ["b@example.com"], fits)
        # smtplib declares SIZE= in MAIL, so the refusal comes early...
        with pytest.raises(smtplib.SMTPSenderRefused) as refusal:
            client.sendmail("a@example.com", ["b@example.com"], too_big)
        assert refusal.value.smtp_code == 552
        # ...and a client that does not declare it is refused after DATA.
        assert client.mail("a@example.com")[0] == 250
        assert client.rcpt("b@example.com")[0] == 250
        # (smtplib's data() returns, rather than raises, the final reply.)
        assert client.data(too_big)[0] == 552
    assert [m.subject for m in server.wait_for(1)] == ["fits"]


def test_default_size_limit_and_unlimited(make_devserver):
    with connect(make_devserver()) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == str(DEFAULT_SIZE_LIMIT)
    with connect(make_devserver(size_limit=0)) as client:
        client.ehlo()
        assert not client.has_extn("size")


def test_vrfy_250_for_users_252_otherwise(make_devserver):
    server = make_devserver(users={"alice": "pw", "bob@example.com": "pw"})
    with connect(server) as client:
        client.ehlo()
        assert client.verify("alice")[0] == 250
        assert client.verify("Alice@example.com")[0] == 250
        assert client.verify("bob@example.com")[0] == 250
        assert client.verify("carol@example.com")[0] == 252


# --------------------------------------------------------------------------
# Failure injection
# --------------------------------------------------------------------------


def test_reject_rcpt(make_devserver):
    server = make_devserver(reject_rcpt=["nobody@example.com"])
    with connect(server) as client:
        refused = client.sendmail(
            "a@example.com", ["b@example.com", "NoBody@example.com"], MESSAGE
        )
        assert refused["NoBody@example.com"][0] == 550
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("a@example.com", ["nobody@example.com"], MESSAGE)
    [record] = server.wait_for(1)
    assert record.envelope_to == ("b@example.com",)


def reply_at_stage(client, stage):
    """Drive the session up to ``stage``; return the reply received there."""
    if stage == "ehlo":
        return client.docmd("EHLO", "client.example")
    client.ehlo()
    if stage == "mail":
        return client.docmd("MAIL", "FROM:<a@example.com>")
    assert client.docmd("MAIL", "FROM:<a@example.com>")[0] == 250
    if stage == "rcpt":
        return client.docmd("RCPT", "TO:<b@example.com>")
    assert client.docmd("RCPT", "TO:<b@example.com>")[0] == 250
    if stage == "data":
        return client.docmd("DATA")
    assert client.docmd("DATA")[0] == 354
    client.send(MESSAGE + b".\r\n")
    return client.getreply()


@pytest.mark.parametrize("code", [421, 451])
@pytest.mark.parametrize("stage", [s for s in FAILURE_STAGES if s != "connect"])
def test_fail_at_stage(make_devserver, stage, code):
    server = make_devserver(fail_at=f"{stage}:{code}")
    with connect(server) as client:
        reply_code, text = reply_at_stage(client, stage)
        assert reply_code == code
        assert f"(injected at {stage})".encode() in text
        if code == 421:
            with pytest.raises(smtplib.SMTPServerDisconnected):
                client.noop()
        else:
            assert client.noop()[0] == 250
    assert server.messages() == []


@pytest.mark.parametrize("code", [421, 451])
def test_fail_at_connect(make_devserver, code):
    server = make_devserver(fail_at={"connect": code})
    with socket.create_connection((server.host, server.port), timeout=TIMEOUT) as sock:
        stream = sock.makefile("rb")
        try:
            greeting = stream.readline()
            assert greeting.startswith(f"{code} ".encode())
            if code == 421:
                assert stream.readline() == b""  # closed by the server
            else:
                sock.sendall(b"NOOP\r\n")
                assert stream.readline().startswith(b"250 ")
        finally:
            stream.close()
    with pytest.raises(smtplib.SMTPConnectError):
        connect(server)


def test_drop_after_data_stores_the_message_but_never_replies(make_devserver):
    server = make_devserver(drop_after_data=True)
    with connect(server) as client:
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    [record] = server.wait_for(1)
    assert record.raw == MESSAGE


def test_fail_at_parsing():
    assert parse_fail_at(None) == {}
    assert parse_fail_at("RCPT:451") == {"rcpt": 451}
    assert parse_fail_at(["mail:421", "dot:451"]) == {"mail": 421, "dot": 451}
    for bad in ("rcpt", "helo:421", "rcpt:500", "rcpt:abc"):
        with pytest.raises(ValueError):
            parse_fail_at(bad)


# --------------------------------------------------------------------------
# Lifecycle
# --------------------------------------------------------------------------


def test_stop_closes_connections_thread_and_temporary_maildir(make_devserver):
    server = make_devserver(maildir=None)
    client = connect(server)
    try:
        client.ehlo()
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        server.wait_for(1)
        maildir = server.maildir
        server.stop()
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
    finally:
        client.close()
    assert not any(t.name == "smtp-devserver" for t in threading.enumerate())
    assert not maildir.exists()
    assert len(server.messages()) == 1  # still available after stop
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, server.port), timeout=TIMEOUT).close()
    server.stop()  # idempotent


def test_given_maildir_is_kept(make_devserver, tmp_path):
    maildir = tmp_path / "mail"
    server = make_devserver(maildir=maildir)
    with connect(server) as client:
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    server.wait_for(1)
    server.stop()
    assert len(mailbox.Maildir(str(maildir), factory=None, create=False)) == 1


def test_busy_port_raises_and_leaves_nothing_running(make_devserver):
    server = make_devserver()
    with pytest.raises(OSError):
        make_devserver(port=server.port)
    assert sum(t.name == "smtp-devserver" for t in threading.enumerate()) == 1


def test_wait_for_times_out(make_devserver):
    with pytest.raises(TimeoutError):
        make_devserver().wait_for(1, timeout=0.05)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def test_cli_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    usage = capsys.readouterr().out
    for option in (
        "--host", "--port", "--tls-port", "--cert", "--key", "--user",
        "--accept-any-login", "--require-auth", "--size-limit", "--maildir",
        "--reject-rcpt", "--fail-auth", "--fail-at", "--drop-after-data",
    ):
        assert option in usage


@pytest.mark.parametrize(
    "arguments",
    [["--fail-at", "nowhere:421"], ["--user", "nopassword"], ["--cert", "only.pem"]],
)
def test_cli_rejects_bad_arguments(arguments, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(arguments)
    assert exit_.value.code == 2


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT delivery is POSIX-specific")
def test_cli_serves_until_sigint(tmp_path):
    with DevServerProcess("--port", "0", "--tls-port", "0", "--maildir", str(tmp_path / "mail"),
                          "--cert-dir", str(tmp_path / "certs"), "--user", "alice:s3cret", cwd=tmp_path) as server:
        port = server.smtp_port()
        assert str(tmp_path / "certs" / "ca.pem") in server.line_containing("trust this CA")
        with smtplib.SMTP("127.0.0.1", port, timeout=TIMEOUT) as client:
            client.login("alice", "s3cret")
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert "'Hello'" in server.line_containing("from <a@example.com>")
    assert server.returncode == 0, server.stderr
    assert "Traceback" not in server.stderr
    assert len(os.listdir(tmp_path / "mail" / "new")) == 1


def test_without_the_devserver_extra_the_engine_works_and_the_error_names_the_extra():
    # trustme comes with gostd-smtp[devserver] (so does aiosmtpd, which the
    # dev server no longer runs on); block them as if absent.
    code = (
        "import sys\n"
        "sys.modules['aiosmtpd'] = sys.modules['trustme'] = None\n"
        "import smtp_core, go_std.net.smtp\n"
        "try:\n"
        "    import smtp_core.devserver\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "the dev server needs trustme, which comes with the devserver extra: "
        "pip install 'gostd-smtp[devserver]'"
    )


def test_add_service_runs_another_server_in_the_same_loop(make_devserver, pki):
    import asyncio

    events = []

    async def echo_service(server):
        loop = asyncio.get_running_loop()

        async def echo(reader, writer):
            writer.write(b"%d %d\n" % (server.port, len(server.messages())))
            await writer.drain()
            writer.close()

        listener = await asyncio.start_server(echo, "127.0.0.1", 0)
        events.append(("started", listener.sockets[0].getsockname()[1], loop))

        async def stop():
            listener.close()
            await listener.wait_closed()
            events.append(("stopped",))

        return stop

    server = DevServer(cert=pki.server_files, tls_port=False)
    server.add_service(echo_service)
    with server:
        _, echo_port, loop = events[0]

        async def running_loop():
            return asyncio.get_running_loop()

        assert server.run_in_loop(running_loop()) is loop  # one loop for SMTP and the service
        with socket.create_connection(("127.0.0.1", echo_port), timeout=TIMEOUT) as sock:
            assert sock.makefile().readline() == "%d 0\n" % server.port
        with pytest.raises(RuntimeError):
            server.add_service(echo_service)
    assert events[-1] == ("stopped",)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", echo_port), timeout=TIMEOUT).close()


def test_options_are_keywords_only():
    # Many options: a positional one would be read by position, silently
    # wrong once an option is added before it.
    with pytest.raises(TypeError, match=r"DevServer.__init__\(\) takes 1 positional argument"):
        DevServer("127.0.0.1")
