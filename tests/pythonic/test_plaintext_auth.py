"""Credentials and plaintext: the Pythonic layer's default policy.

A man in the middle who strips STARTTLS from the EHLO reply is played by a
scripted server that offers AUTH but no STARTTLS; the client connects to
127.0.0.1 but is told the server is ``mail.example.test`` (``server_name=``
or the TLS configuration's), the name it would have dialled.  With the
default policy no mechanism may authenticate there (CRAM-MD5's response
can be cracked offline, LOGIN and PLAIN carry the password, the OAuth ones
a bearer token); ``allow_plaintext_auth=True`` allows it, PLAIN's own
check included.  ``localhost``,
``127.0.0.1`` and ``::1`` are allowed, as Go allows PLAIN there.

After a refused AUTH the Pythonic layer sends QUIT without Go's ``*``
line; the Go-named client keeps Go's bytes (``test_mechanisms`` and the
oracle check them).
"""

from __future__ import annotations

import base64

import pytest

import smtp_core
from smtp_core import (
    Auth,
    CramMD5Auth,
    LoginAuth,
    OAuthBearerAuth,
    PlainAuth,
    ReplyError,
    TLSConfig,
    TLSRequiredError,
    XOAuth2Auth,
    connect,
    prepare,
    send,
    send_many,
)

T = 10
NAME = "mail.example.test"
BODY = b"Subject: x\r\n\r\nhi\r\n"
STRIPPED = "250-mx.example.test\n250-AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2 OAUTHBEARER X-CUSTOM\n250 8BITMIME"


def _never_called() -> str:
    raise AssertionError("the token was fetched for a plaintext connection")


class Custom(Auth):
    """A mechanism of the caller's own: the policy knows nothing of it, and still applies."""

    def start(self, server):
        return "X-CUSTOM", b"secret"

    def next(self, challenge, more):
        return None


MECHANISMS = {
    "plain": lambda: PlainAuth("", "u", "secret", NAME),
    "cram-md5": lambda: CramMD5Auth("u", "secret"),
    "login": lambda: LoginAuth("u", "secret"),
    "xoauth2": lambda: XOAuth2Auth("u", _never_called),
    "oauthbearer": lambda: OAuthBearerAuth("u", _never_called),
    "custom": Custom,
    "a list": lambda: [PlainAuth("", "u", "secret", NAME), CramMD5Auth("u", "secret")],
}

NAMING = {
    "server_name": {"server_name": NAME},
    "tls_config": {"tls_config": TLSConfig(server_name=NAME)},
}


def assert_refusal_names_the_server_and_the_way_out(err: BaseException) -> None:
    text = str(err)
    assert '"%s"' % NAME in text and "unencrypted" in text
    assert "allow_plaintext_auth=True" in text and 'tls="required"' in text


@pytest.mark.parametrize("naming", list(NAMING.values()), ids=list(NAMING))
@pytest.mark.parametrize("make", list(MECHANISMS.values()), ids=list(MECHANISMS))
def test_stripped_starttls_gets_no_credentials(scripted, make, naming):
    srv = scripted(["220 mx", STRIPPED, "221 bye"])
    with pytest.raises(TLSRequiredError) as info:
        connect(srv.address, auth=make(), timeout=T, **naming)
    assert_refusal_names_the_server_and_the_way_out(info.value)
    assert srv.transcript(0) == b"EHLO localhost\r\nQUIT\r\n"  # nothing secret, no envelope


@pytest.mark.parametrize("tls", ["opportunistic", "none"])
def test_send_and_send_many_refuse_too(scripted, tls):
    srv = scripted(["220 mx", STRIPPED, "221 bye"], ["220 mx", STRIPPED, "221 bye"])
    with pytest.raises(TLSRequiredError):
        send(srv.address, "a@example.com", ["b@example.com"], BODY, tls=tls, server_name=NAME,
             auth=CramMD5Auth("u", "secret"), timeout=T)
    with pytest.raises(TLSRequiredError):
        send_many(srv.address, [("a@example.com", ["b@example.com"], BODY)], tls=tls, server_name=NAME,
                  auth=CramMD5Auth("u", "secret"), timeout=T)
    for index in (0, 1):
        assert srv.transcript(index) == b"EHLO localhost\r\nQUIT\r\n"


def test_a_client_of_ones_own_is_refused_too(scripted):
    srv = scripted(["220 mx", STRIPPED, "221 bye"])
    client = smtp_core.dial(srv.address, timeout=T)
    client.server_name = NAME  # as if dialled by name
    with pytest.raises(TLSRequiredError):
        prepare(client, auth=LoginAuth("u", "secret"))
    assert client.closed
    assert srv.transcript(0) == b"EHLO localhost\r\nQUIT\r\n"


def test_allow_plaintext_auth_lets_plain_through_too(scripted):
    srv = scripted(["220 mx", STRIPPED, "235 ok", "221 bye"])
    client = connect(srv.address, server_name=NAME, auth=PlainAuth("", "u", "secret", NAME), timeout=T,
                     allow_plaintext_auth=True)
    client.quit()
    assert srv.transcript(0) == (b"EHLO localhost\r\nAUTH PLAIN " + base64.b64encode(b"\x00u\x00secret")
                                 + b"\r\nQUIT\r\n")


def test_allow_plaintext_auth_lets_cram_md5_through(scripted):
    challenge = b"<1896.697170952@mx.example.test>"
    srv = scripted(["220 mx", STRIPPED, "334 " + base64.b64encode(challenge).decode(), "235 ok", "221 bye"])
    client = connect(srv.address, server_name=NAME, auth=CramMD5Auth("u", "secret"), timeout=T,
                     allow_plaintext_auth=True)
    client.quit()
    lines = srv.transcript(0).split(b"\r\n")
    assert lines[:2] == [b"EHLO localhost", b"AUTH CRAM-MD5"]
    assert base64.b64decode(lines[2]).startswith(b"u ")


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "::1"])
def test_local_names_may_authenticate_in_plaintext(scripted, name):
    srv = scripted(["220 mx", STRIPPED, "235 ok", "221 bye"])
    options = {} if name == "127.0.0.1" else {"server_name": name}
    client = connect(srv.address, tls="none", auth=PlainAuth("", "u", "secret", name), timeout=T, **options)
    client.quit()
    assert srv.transcript(0).startswith(b"EHLO localhost\r\nAUTH PLAIN ")


def test_a_refused_auth_is_not_followed_by_a_star(scripted):
    srv = scripted(["220 mx", STRIPPED, "535 5.7.8 no", "501 what", "221 bye"])
    with pytest.raises(ReplyError) as info:
        connect(srv.address, tls="none", auth=PlainAuth("", "u", "secret", "127.0.0.1"), timeout=T)
    assert info.value.code == 535
    initial = base64.b64encode(b"\x00u\x00secret")
    assert srv.transcript(0) == b"EHLO localhost\r\nAUTH PLAIN " + initial + b"\r\nQUIT\r\n"


def test_a_mechanism_that_gives_up_on_a_challenge_still_cancels(scripted):
    # PLAIN expects no challenge: the exchange is cancelled with "*", the
    # answer RFC 4954 asks for while the server waits for a response.
    srv = scripted(["220 mx", STRIPPED, "334 " + base64.b64encode(b"more?").decode(), "501 cancelled", "221 bye"])
    with pytest.raises(smtp_core.AuthError, match="unexpected server challenge"):
        connect(srv.address, tls="none", auth=PlainAuth("", "u", "secret", "127.0.0.1"), timeout=T)
    assert srv.transcript(0).endswith(b"\r\n*\r\nQUIT\r\n")
