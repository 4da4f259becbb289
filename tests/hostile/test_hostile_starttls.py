"""STARTTLS under attack: injected plaintext, stale capabilities, stripped TLS.

* A server (or a man in the middle) that sends more plaintext right after
  its ``220`` to STARTTLS, in the same packet, must not get those bytes
  read as replies once TLS is up (the CVE-2011-0411 class): the engine
  drops whatever was buffered before the handshake.
* The EHLO after the handshake replaces every extension learnt in
  plaintext (``Client.extension`` and ``Client.extensions``).
* PLAIN, and every mechanism here that sends a password or token, refuses a
  connection that is neither TLS nor to localhost, whatever the server
  advertises (Go's fix for CVE-2017-15042), before anything is sent.
* With the Pythonic ``tls="required"`` policy (``smtp_core.connect`` and
  ``send``), a server that hides or refuses STARTTLS gets no AUTH and no
  MAIL; and the session, unlike Go's client, keeps no AUTH list from
  before TLS.
"""

from __future__ import annotations

import base64
import logging
import socket

import pytest

import smtp_core
from smtp_core import AuthError, LoginAuth, OAuthBearerAuth, PlainAuth, TLSConfig, XOAuth2Auth
from scripted import Starttls

SECRET = "s3cret-Pa55"

PRE_TLS_EHLO = "250-plain.test\n250-STARTTLS\n250-X-PRE\n250-8BITMIME\n250 AUTH PLAIN LOGIN"
POST_TLS_EHLO = "250-tls.test\n250 X-POST"

INJECTED = [
    pytest.param(b"250 injected\r\n", id="one-reply"),
    pytest.param(b"250-evil.test\r\n250-X-INJECTED\r\n250 AUTH PLAIN\r\n", id="fake-ehlo"),
    pytest.param(b"250 a\r\n250 b\r\n250 c\r\n221 bye\r\n", id="several"),
    pytest.param(b"250-half an EHLO reply", id="partial-line"),
    pytest.param(b"250-X-INJECTED\r\n" * 2000, id="32KiB"),
]


def tls_config(pki, name: str = "localhost") -> TLSConfig:
    return TLSConfig(server_name=name, root_cas=pki.ca_path)


@pytest.mark.parametrize("extra", INJECTED)
def test_plaintext_after_the_220_is_never_read_as_a_reply(scripted, pki, caplog, extra):
    caplog.set_level(logging.DEBUG, logger="smtp_core.wire")
    srv = scripted(["220 plain.test", PRE_TLS_EHLO, Starttls("220 go", extra=extra),
                    POST_TLS_EHLO, "250 noop ok", "221 bye"])
    with smtp_core.dial(srv.address) as c:
        assert c.extension("X-PRE") == (True, "")
        c.starttls(tls_config(pki))
        # Only what the server said under TLS counts.
        assert c.extensions == {"X-POST": ""}
        for name in ("X-INJECTED", "X-PRE", "STARTTLS", "AUTH", "8BITMIME"):
            assert c.extension(name) == (False, ""), name
        assert c.extension("x-post") == (True, "")
        c.noop()  # replies stay in step: this gets "250 noop ok"
        c.quit()
    conn = srv.connections[0]
    srv.wait_done()
    assert conn.tls_ok
    assert bytes(conn.data[conn.tls_at:]) == b"EHLO localhost\r\nNOOP\r\nQUIT\r\n"
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped == ["~~ TLS handshake (dropped %d buffered plaintext bytes)" % len(extra)]


def test_namespace_starttls_discards_injected_plaintext(scripted, pki):
    import go_std.net.smtp as ns

    srv = scripted(["220 plain.test", PRE_TLS_EHLO,
                    Starttls("220 go", extra=b"250-evil.test\r\n250 X-INJECTED\r\n"),
                    POST_TLS_EHLO, "221 bye"])
    c, err = ns.Dial(srv.address)
    assert err is None
    assert c.StartTLS({"ServerName": "localhost", "RootCAs": pki.ca_path}) is None
    assert c.Extension("X-INJECTED") == [False, ""]
    assert c.Extension("X-PRE") == [False, ""]
    assert c.Extension("X-POST") == [True, ""]
    assert c.Quit() is None


def test_auth_list_after_tls_follows_go(scripted, pki):
    # Go replaces its AUTH list only when the new EHLO has an AUTH line.  The
    # list is informational (ServerInfo.Auth); PlainAuth does not consult it.
    srv = scripted(["220 plain.test", PRE_TLS_EHLO, Starttls("220 go"),
                    "250-tls.test\n250 AUTH CRAM-MD5", "221 bye"],
                   ["220 plain.test", PRE_TLS_EHLO, Starttls("220 go"), POST_TLS_EHLO, "221 bye"])
    with smtp_core.dial(srv.address) as c:
        c.starttls(tls_config(pki))
        assert c.auth_mechanisms == ["CRAM-MD5"]
        c.quit()
    with smtp_core.dial(srv.address) as c:
        c.starttls(tls_config(pki))
        assert c.extension("AUTH") == (False, "")
        assert c.auth_mechanisms == ["PLAIN", "LOGIN"]  # Go's stale list, kept for conformance
        c.quit()


# -- passwords never go out in plaintext to a remote server ------------------------------------

ADVERTISED = [
    pytest.param("250-remote.test\n250 AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER", id="advertised"),
    pytest.param("250-remote.test\n250-STARTTLS\n250 AUTH PLAIN", id="starttls-offered"),
    pytest.param("250 remote.test", id="no-auth-line"),
]

MECHANISMS = {
    "PLAIN": lambda host: PlainAuth("", "alice", SECRET, host),
    "PLAIN-identity": lambda host: PlainAuth("admin", "alice", SECRET, host),
    "LOGIN": lambda host: LoginAuth("alice", SECRET),
    "XOAUTH2": lambda host: XOAuth2Auth("alice", SECRET),
    "OAUTHBEARER": lambda host: OAuthBearerAuth("alice", SECRET),
}


def secret_forms() -> list[bytes]:
    raw = SECRET.encode()
    forms = [raw]
    # The secret inside any base64 the mechanisms could have produced.
    for prefix in (b"\x00alice\x00", b"admin\x00alice\x00", b"user=alice\x01auth=Bearer ",
                   b"n,a=alice,\x01auth=Bearer ", b""):
        forms.append(base64.b64encode(prefix + raw)[: (len(prefix) + len(raw)) * 4 // 3 - 4])
    return forms


@pytest.mark.parametrize("ehlo", ADVERTISED)
@pytest.mark.parametrize("mechanism", list(MECHANISMS))
def test_password_mechanisms_refuse_plaintext_to_a_remote_server(scripted, ehlo, mechanism):
    srv = scripted(["220 remote.test", ehlo, "221 bye"])
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    # Go's NewClient(conn, host): the name, not the address, decides.
    with smtp_core.Client(sock, "mail.example.com") as c:
        with pytest.raises(AuthError) as info:
            c.auth(MECHANISMS[mechanism]("mail.example.com"))
        assert str(info.value) == "unencrypted connection"
        assert c.closed  # a Start error QUITs, as in Go
    sent = srv.transcript(0)
    assert sent == b"EHLO localhost\r\nQUIT\r\n"
    for form in secret_forms():
        assert form not in sent


def test_namespace_plain_auth_refuses_plaintext_to_a_remote_server(scripted):
    import go_std.net.smtp as ns

    srv = scripted(["220 remote.test", "250-remote.test\n250 AUTH PLAIN", "221 bye"])
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    c, err = ns.NewClient(sock, "mail.example.com")
    assert err is None
    err = c.Auth(ns.PlainAuth("", "alice", SECRET, "mail.example.com"))
    assert str(err) == "unencrypted connection"
    assert c.closed
    assert srv.transcript(0) == b"EHLO localhost\r\nQUIT\r\n"


def test_the_same_plain_auth_goes_through_once_tls_is_up(scripted, pki):
    # The control for the test above: the refusal is about TLS, nothing else.
    srv = scripted(["220 remote.test", "250-remote.test\n250-STARTTLS\n250 AUTH PLAIN", Starttls("220 go"),
                    "250-remote.test\n250 AUTH PLAIN", "235 ok", "221 bye"])
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    with smtp_core.Client(sock, "testserver") as c:
        c.starttls(tls_config(pki, "testserver"))
        c.auth(PlainAuth("", "alice", SECRET, "testserver"))
        c.quit()
    conn = srv.connections[0]
    srv.wait_done()
    after_tls = bytes(conn.data[conn.tls_at:])
    assert base64.b64encode(b"\x00alice\x00" + SECRET.encode()) in after_tls
    assert SECRET.encode() not in bytes(conn.data[:conn.tls_at])


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "::1"])
def test_plain_auth_to_localhost_needs_no_tls(scripted, host):
    # Go's exception, kept: a password to the local machine stays local.
    srv = scripted(["220 local", "250-local\n250 AUTH PLAIN", "235 ok", "221 bye"])
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    with smtp_core.Client(sock, host) as c:
        c.auth(PlainAuth("", "alice", SECRET, host))
        c.quit()
    assert b"AUTH PLAIN " in srv.transcript(0)


# -- the Pythonic TLS policies (smtp_core.pythonic) ----------------------------------------------

STRIPPED_EHLO = "250-plain.test\n250-8BITMIME\n250 AUTH PLAIN LOGIN"  # STARTTLS hidden by the attacker
MESSAGE = b"Subject: x\r\n\r\nsecret report\r\n"


def local_plain() -> PlainAuth:
    return PlainAuth("", "alice", SECRET, "127.0.0.1")


def test_required_policy_sends_no_auth_and_no_mail_when_starttls_is_hidden(scripted):
    srv = scripted(*[["220 plain.test", STRIPPED_EHLO, "221 bye"]] * 3)
    with pytest.raises(smtp_core.TLSRequiredError):
        smtp_core.connect(srv.address, tls="required", auth=local_plain())
    with pytest.raises(smtp_core.TLSRequiredError):
        smtp_core.send(srv.address, "a@example.com", ["b@example.com"], MESSAGE, tls="required",
                       auth=local_plain())
    with pytest.raises(smtp_core.TLSRequiredError):
        smtp_core.send(srv.address, "a@example.com", ["b@example.com"], MESSAGE, tls="required")
    for index in range(3):
        assert srv.transcript(index) == b"EHLO localhost\r\nQUIT\r\n"


def test_required_policy_on_a_client_of_ones_own(scripted):
    # The Go-semantics client handed to send(): the policy still holds.
    srv = scripted(["220 plain.test", STRIPPED_EHLO, "221 bye"])
    with smtp_core.dial(srv.address) as c:
        with pytest.raises(smtp_core.TLSRequiredError):
            smtp_core.send(c, "a@example.com", ["b@example.com"], MESSAGE, tls="required", auth=local_plain())
    assert srv.transcript(0) == b"EHLO localhost\r\nQUIT\r\n"


def test_required_policy_with_starttls_refused(scripted):
    srv = scripted(["220 plain.test", PRE_TLS_EHLO, "454 4.7.0 TLS not available", "221 bye"])
    with pytest.raises(smtp_core.ReplyError) as info:
        smtp_core.send(srv.address, "a@example.com", ["b@example.com"], MESSAGE, tls="required",
                       auth=local_plain())
    assert info.value.Code == 454
    sent = srv.transcript(0)
    assert sent.startswith(b"EHLO localhost\r\nSTARTTLS\r\n")
    assert b"AUTH" not in sent and b"MAIL" not in sent and SECRET.encode() not in sent


@pytest.mark.parametrize("extra", INJECTED)
def test_send_after_injected_starttls_plaintext(scripted, pki, extra):
    srv = scripted(["220 plain.test", PRE_TLS_EHLO, Starttls("220 go", extra=extra),
                    "250-tls.test\n250 AUTH PLAIN", "235 ok", "250 sender ok", "250 rcpt ok", "354 go",
                    "250 queued", "221 bye"])
    result = smtp_core.send(srv.address, "a@example.com", ["b@example.com"], MESSAGE, tls="required",
                            tls_config=TLSConfig(root_cas=pki.ca_path), auth=local_plain())
    assert result.accepted == ["b@example.com"]
    conn = srv.connections[0]
    srv.wait_done()
    before, after = bytes(conn.data[:conn.tls_at]), bytes(conn.data[conn.tls_at:])
    assert before == b"EHLO localhost\r\nSTARTTLS\r\n"
    assert after.startswith(b"EHLO localhost\r\nAUTH PLAIN ")
    assert after.endswith(b"\r\n.\r\nQUIT\r\n")


def test_session_forgets_the_plaintext_auth_list(scripted, pki):
    # Before TLS the (forged) EHLO offers PLAIN; under TLS the server offers
    # no AUTH at all.  Unlike Go's Client, the session keeps nothing from
    # before TLS: no AUTH line goes out.
    srv = scripted(["220 plain.test", PRE_TLS_EHLO, Starttls("220 go"), POST_TLS_EHLO, "221 bye"])
    with pytest.raises(AuthError) as info:
        smtp_core.connect(srv.address, tls="required", tls_config=TLSConfig(root_cas=pki.ca_path),
                          auth=[local_plain(), LoginAuth("alice", SECRET)])
    assert str(info.value) == "smtp: server doesn't support AUTH"
    conn = srv.connections[0]
    srv.wait_done()
    assert b"AUTH" not in bytes(conn.data[conn.tls_at:])
