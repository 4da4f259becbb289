"""The Go-semantics client over real sockets: exact transcripts, TLS, aiosmtpd."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

import smtp_core
from smtp_core import Client, ReplyError, SMTPError, TLSConfig, dial, send_mail
from smtp_core.client import split_host_port
from smtp_core.errors import HelloError, LineError
from scripted import Starttls
from servers import RecordingHandler, aiosmtpd_serving

GREETING = "220 mx.test ESMTP"
EHLO = "250-mx.test\n250-8BITMIME\n250 SIZE 1000"


def test_basic_session_transcript(scripted):
    srv = scripted([GREETING, EHLO, "250 ok", "251 forwarded", "354 go", "250 queued", "221 bye"])
    c = dial(srv.address)
    assert c.server_name == "127.0.0.1" and not c.tls
    c.mail("a@x.test")
    c.rcpt("b@y.test")
    w = c.data()
    assert w.write(b"Subject: t\n\n.dot\n") == 17
    w.close()
    c.quit()
    assert c.closed
    assert srv.transcript() == (
        b"EHLO localhost\r\nMAIL FROM:<a@x.test> BODY=8BITMIME\r\nRCPT TO:<b@y.test>\r\nDATA\r\n"
        b"Subject: t\r\n\r\n..dot\r\n.\r\nQUIT\r\n")


def test_helo_fallback_and_remembered_failure(scripted):
    srv = scripted([GREETING, "500 what", "250 mx", "250 ok", "221 bye"])
    c = dial(srv.address)
    assert c.extension("8BITMIME") == (False, "")
    assert c.extensions is None
    c.mail("a@x.test")  # no BODY=8BITMIME after HELO
    with pytest.raises(HelloError, match="Hello called after other methods"):
        c.hello("late")
    c.quit()
    assert srv.transcript() == b"EHLO localhost\r\nHELO localhost\r\nMAIL FROM:<a@x.test>\r\nQUIT\r\n"


def test_greeting_failure_closes_the_socket(scripted):
    srv = scripted(["554 go away"])
    sock = socket.create_connection(("127.0.0.1", srv.port))
    with pytest.raises(ReplyError) as info:
        Client(sock, "mx")
    assert info.value.Code == 554
    assert sock.fileno() == -1


def test_line_checks_send_nothing(scripted):
    srv = scripted([GREETING, EHLO, "221 bye"])
    c = dial(srv.address)
    for call, arg in [(c.hello, "a\r\nb"), (c.mail, "x\n"), (c.rcpt, "y\r"), (c.verify, "z\x00")]:
        with pytest.raises(LineError):
            call(arg)
    c.quit()
    assert srv.transcript() == b"EHLO localhost\r\nQUIT\r\n"


def test_data_writer_misuse_is_refused_without_sending(scripted):
    srv = scripted([GREETING, EHLO, "250 ok", "250 ok", "354 go", "250 ok", "221 bye"])
    c = dial(srv.address)
    c.mail("a@x.test")
    c.rcpt("b@x.test")
    w = c.data()
    w.write(b"hi")
    with pytest.raises(SMTPError, match="close the DATA writer"):
        c.noop()
    w.close()
    with pytest.raises(OSError, match="^smtp: write to a closed DATA writer$"):
        w.write(b"late")
    with pytest.raises(OSError, match="^smtp: DATA writer already closed$"):
        w.close()
    c.quit()
    with pytest.raises(OSError):
        c.close()  # a second close, like Go's
    assert srv.transcript().endswith(b"DATA\r\nhi\r\n.\r\nQUIT\r\n")


def test_starttls_state_and_fresh_extensions(scripted, pki):
    srv = scripted([GREETING, "250-mx.test\n250-STARTTLS\n250 SIZE 5", Starttls("220 go"),
                    "250-mx.test\n250 AUTH PLAIN", "221 bye"])
    c = dial(srv.address)
    assert c.tls_connection_state() == (smtp_core.ConnectionState(), False)
    c.starttls(TLSConfig(server_name="testserver", root_cas=pki.ca_path))
    state, ok = c.tls_connection_state()
    assert ok and c.tls
    assert state.HandshakeComplete and state.Version in (0x0303, 0x0304)
    assert state.ServerName == "testserver" and state.CipherSuite != 0
    leaf = state.PeerCertificates[0]
    assert isinstance(leaf, bytes) and leaf == ssl.PEM_cert_to_DER_cert(Path(pki.cert[0]).read_text())
    assert c.extension("STARTTLS") == (False, "")
    assert c.extension("auth") == (True, "PLAIN")
    c.quit()


def test_starttls_verifies_the_certificate(scripted, pki):
    srv = scripted([GREETING, "250-mx.test\n250 STARTTLS", Starttls("220 go")])
    c = dial(srv.address)
    with pytest.raises(ssl.SSLCertVerificationError):
        c.starttls(TLSConfig(server_name="testserver", root_cas=pki.other_ca().ca_path))
    state, ok = c.tls_connection_state()
    assert ok and not state.HandshakeComplete and state.ServerName == "testserver"
    with pytest.raises(ssl.SSLCertVerificationError):
        c.noop()  # the failure sticks, as in Go
    c.close()


def test_client_over_an_implicit_tls_socket(scripted, pki):
    srv = scripted([GREETING, EHLO, "221 bye"], implicit_tls=True)
    ctx = ssl.create_default_context(cafile=pki.ca_path)
    sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", srv.port)), server_hostname="localhost")
    c = Client(sock, "localhost")
    assert c.tls and c.server_info().TLS
    state, ok = c.tls_connection_state()
    assert ok and state.ServerName == "localhost"
    c.quit()


@pytest.mark.parametrize("address, parts", [
    ("mx.example.com:25", ("mx.example.com", "25")),
    ("[::1]:587", ("::1", "587")),
    ("mx:smtp", ("mx", "smtp")),
    (":25", ("", "25")),
])
def test_split_host_port(address, parts):
    assert split_host_port(address) == parts


@pytest.mark.parametrize("address", ["mx.example.com", "::1:25", "[::1]25"])
def test_split_host_port_errors_are_io_errors(address):
    with pytest.raises(OSError):
        split_host_port(address)


def test_dial_localhost_name_and_ipv6(scripted):
    srv = scripted([GREETING, "250 mx", "221 bye"])
    c = dial("localhost:%d" % srv.port)
    assert c.server_name == "localhost"
    c.quit()
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        probe = socket.create_connection(("::1", srv.port), timeout=1)
    except OSError:
        return  # the scripted server listens on IPv4 only; the address form parsed above
    probe.close()


@pytest.fixture
def aiosmtpd_server(free_port):
    with aiosmtpd_serving(RecordingHandler(), free_port, enable_SMTPUTF8=True) as served:
        yield served


def test_against_aiosmtpd_smtputf8_8bitmime_and_rejection(aiosmtpd_server):
    handler, address = aiosmtpd_server
    c = dial(address)
    assert c.extension("SMTPUTF8")[0] and c.extension("8bitmime")[0]
    c.mail("jürgen@example.com")
    c.rcpt("zoë@example.com")
    with pytest.raises(ReplyError) as info:
        c.rcpt("nobody@example.com")
    assert info.value.Code == 550 and str(info.value) == '550 "5.1.1 unknown"'
    w = c.data()
    w.write("Subject: Grüße\r\n\r\n.über\r\n".encode())
    w.close()
    c.quit()
    [(sender, rcpts, content)], [options] = handler.messages, handler.mail_options
    assert sender == "jürgen@example.com" and rcpts == ("zoë@example.com",)
    assert content == "Subject: Grüße\r\n\r\n.über\r\n".encode()
    assert "SMTPUTF8" in options and "BODY=8BITMIME" in options


def test_auth_mechanisms_against_the_dev_server(devserver):
    for mech in (smtp_core.PlainAuth("", "alice", "wonderland", "127.0.0.1"),
                 smtp_core.CramMD5Auth("bob", "builder"),
                 smtp_core.LoginAuth("alice", "wonderland")):
        c = dial("127.0.0.1:%d" % devserver.port)
        c.auth(mech)
        c.quit()
    c = dial("127.0.0.1:%d" % devserver.port)
    with pytest.raises(ReplyError) as info:
        c.auth(smtp_core.PlainAuth("", "alice", "wrong", "127.0.0.1"))
    assert info.value.Code == 535
    assert c.closed  # Go's rule: a failed AUTH ends the session with QUIT


def test_send_mail_with_starttls_and_auth(devserver, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(devserver.ca_path))
    send_mail("127.0.0.1:%d" % devserver.port, smtp_core.PlainAuth("", "bob", "builder", "127.0.0.1"),
              "bob@example.com", ["alice@example.com"], b"Subject: via send_mail\r\n\r\nhi\r\n")
    [got] = devserver.wait_for(1)
    assert got.tls and got.authenticated_as == "bob" and got.subject == "via send_mail"


def test_custom_command(scripted):
    srv = scripted([GREETING, EHLO, "250 ok", "214 help text", "221 bye"])
    c = dial(srv.address)
    c.noop()
    assert c.command("HELP", 2) == (214, "help text")
    with pytest.raises(LineError):
        c.command("HELP\r\nQUIT")
    c.quit()
    assert srv.transcript() == b"EHLO localhost\r\nNOOP\r\nHELP\r\nQUIT\r\n"
