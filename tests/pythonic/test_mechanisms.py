"""Authentication mechanisms beyond Go: LOGIN, XOAUTH2, OAUTHBEARER, choose_auth.

Against real servers: the dev server (PLAIN, LOGIN, CRAM-MD5) and an
aiosmtpd server with XOAUTH2 and OAUTHBEARER mechanisms written for these
tests from Google's XOAUTH2 description and RFC 7628; exact bytes on the
scripted server.  Every mechanism that sends a secret refuses a plaintext
connection to a server that is not localhost, before sending anything.
"""

from __future__ import annotations

import base64
import json
import socket

import pytest
from aiosmtpd.smtp import AuthResult

from servers import addr, aiosmtpd_serving
import smtp_core
from smtp_core import (
    AuthError,
    CramMD5Auth,
    LoginAuth,
    OAuthBearerAuth,
    PlainAuth,
    ReplyError,
    ServerInfo,
    TLSRequiredError,
    XOAuth2Auth,
    choose_auth,
    connect,
    send,
)

T = 10
BODY = b"Subject: auth\r\n\r\nhi\r\n"
GOOD_TOKEN = "ya29.good-token"
ERROR_JSON = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}


# --------------------------------------------------------------------------
# LOGIN, PLAIN, CRAM-MD5 on the dev server
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mechanism", [
    LoginAuth("alice", "wonderland"),
    LoginAuth("alice", "wonderland", host="127.0.0.1"),
    PlainAuth("", "alice", "wonderland", "127.0.0.1"),
    CramMD5Auth("alice", "wonderland"),
], ids=["login", "login-host", "plain", "cram-md5"])
def test_password_mechanisms_on_the_dev_server(devserver, mechanism):
    send(addr(devserver), "alice@example.com", ["bob@example.com"], BODY, tls="none", auth=mechanism, timeout=T)
    assert devserver.wait_for(1)[0].authenticated_as == "alice"


def test_login_with_a_wrong_password(devserver):
    with pytest.raises(ReplyError) as caught:
        connect(addr(devserver), tls="none", auth=LoginAuth("alice", "wrong"), timeout=T)
    assert caught.value.code == 535


def test_login_checks_the_host_when_given(devserver):
    with pytest.raises(AuthError, match="wrong host name"):
        connect(addr(devserver), tls="none", auth=LoginAuth("alice", "wonderland", host="mx.example.com"),
                timeout=T)


def test_login_exact_bytes(scripted):
    user, password = "alice", "wonder land"
    srv = scripted(["220 hi", "250-mx\n250 AUTH LOGIN", "334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6",
                    "235 2.7.0 ok", "221 bye"])
    c = connect(srv.address, tls="none", auth=LoginAuth(user, password), timeout=T)
    c.quit()
    assert srv.transcript(0) == (b"EHLO localhost\r\nAUTH LOGIN\r\n"
                                 + base64.b64encode(user.encode()) + b"\r\n"
                                 + base64.b64encode(password.encode()) + b"\r\nQUIT\r\n")


def test_choose_auth_picks_the_strongest_offered(devserver):
    allowed = [LoginAuth("alice", "wonderland"), PlainAuth("", "alice", "wonderland", "127.0.0.1"),
               CramMD5Auth("alice", "wonderland"), XOAuth2Auth("alice", "token")]
    # The dev server offers CRAM-MD5 LOGIN PLAIN: CRAM-MD5 keeps the password off the wire.
    assert isinstance(choose_auth(["CRAM-MD5", "LOGIN", "PLAIN"], allowed), CramMD5Auth)
    assert isinstance(choose_auth(["login", "plain"], allowed), PlainAuth)
    assert isinstance(choose_auth(["LOGIN"], allowed), LoginAuth)
    assert choose_auth(["GSSAPI"], allowed) is None and choose_auth(None, allowed) is None
    with connect(addr(devserver), tls="none", auth=allowed, timeout=T) as c:
        c.quit()


def test_no_allowed_mechanism_offered(devserver):
    with pytest.raises(AuthError, match="none of the allowed mechanisms"):
        connect(addr(devserver), tls="none", auth=[XOAuth2Auth("alice", "t")], timeout=T)


def test_auth_list_must_hold_auths(devserver):
    with pytest.raises(TypeError):
        connect(addr(devserver), tls="none", auth=["alice"], timeout=T)


# --------------------------------------------------------------------------
# XOAUTH2 and OAUTHBEARER on aiosmtpd
# --------------------------------------------------------------------------


def _pairs(data: bytes) -> dict:
    return dict(kv.split(b"=", 1) for kv in data.split(b"\x01") if kv)


class OAuthHandler:
    """aiosmtpd mechanisms XOAUTH2 and OAUTHBEARER: accept GOOD_TOKEN only."""

    def __init__(self) -> None:
        self.seen: list = []

    async def _initial(self, server, args) -> bytes:
        if len(args) > 1:
            return base64.b64decode(args[1], validate=True)
        return await server.challenge_auth("")

    async def _finish(self, server, user: bytes, token: bytes, failure_response_ok) -> AuthResult:
        if token == b"Bearer " + GOOD_TOKEN.encode():
            return AuthResult(success=True, auth_data=user.decode())
        # Both mechanisms answer a bad token with a JSON error in a 334
        # challenge; the client's reply to it must be the agreed one.
        response = await server.challenge_auth(json.dumps(ERROR_JSON).encode())
        self.seen.append(("after-error", response))
        if not failure_response_ok(response):
            return AuthResult(success=False, handled=False, message="501 5.5.2 bad response to error")
        return AuthResult(success=False, handled=False, message="535 5.7.8 token rejected")

    async def auth_XOAUTH2(self, server, args) -> AuthResult:
        initial = await self._initial(server, args)
        self.seen.append(("XOAUTH2", initial))
        assert initial.endswith(b"\x01\x01")
        pairs = _pairs(initial)
        return await self._finish(server, pairs[b"user"], pairs[b"auth"], lambda r: r == b"")

    async def auth_OAUTHBEARER(self, server, args) -> AuthResult:
        initial = await self._initial(server, args)
        self.seen.append(("OAUTHBEARER", initial))
        header, sep, rest = initial.partition(b"\x01")
        assert sep and rest.endswith(b"\x01\x01")
        flag, authzid, empty = header.split(b",")
        assert flag == b"n" and empty == b""
        user = authzid[2:].replace(b"=2C", b",").replace(b"=3D", b"=")
        return await self._finish(server, user, _pairs(rest)[b"auth"], lambda r: r == b"\x01")

    async def handle_DATA(self, server, session, envelope):
        self.seen.append(("DATA", session.auth_data))
        return "250 OK"


@pytest.fixture
def oauth_server(free_port):
    with aiosmtpd_serving(OAuthHandler(), free_port, auth_require_tls=False,
                          auth_exclude_mechanism=["LOGIN", "PLAIN"]) as served:
        yield served


@pytest.mark.parametrize("mechanism_class", [XOAuth2Auth, OAuthBearerAuth])
def test_oauth_mechanisms_on_aiosmtpd(oauth_server, mechanism_class):
    handler, address = oauth_server
    calls = []

    def fresh_token() -> str:
        calls.append(1)
        return GOOD_TOKEN

    mechanism = mechanism_class("user,with=odd@example.com", fresh_token)
    with connect(address, tls="none", auth=mechanism, timeout=T) as c:
        assert sorted(c.auth_mechanisms) == ["OAUTHBEARER", "XOAUTH2"]
        send(c, "a@example.com", ["b@example.com"], BODY)
        c.quit()
    assert calls == [1]  # the callable is asked once per authentication
    assert handler.seen[-1] == ("DATA", "user,with=odd@example.com")
    assert handler.seen[0][0] == mechanism.mechanism


@pytest.mark.parametrize("mechanism_class, after_error", [(XOAuth2Auth, b""), (OAuthBearerAuth, b"\x01")])
def test_oauth_rejected_token(oauth_server, mechanism_class, after_error):
    handler, address = oauth_server
    mechanism = mechanism_class("someone@example.com", "expired")
    with pytest.raises(ReplyError) as caught:
        connect(address, tls="none", auth=mechanism, timeout=T)
    assert caught.value.code == 535  # not 501: the client answered the error challenge correctly
    assert handler.seen[-1] == ("after-error", after_error)
    assert json.loads(mechanism.error_details) == ERROR_JSON


def test_oauth_through_choose_auth_prefers_oauthbearer(oauth_server):
    handler, address = oauth_server
    allowed = [XOAuth2Auth("u@example.com", GOOD_TOKEN), OAuthBearerAuth("u@example.com", GOOD_TOKEN)]
    with connect(address, tls="none", auth=allowed, timeout=T) as c:
        c.quit()
    assert handler.seen[0][0] == "OAUTHBEARER"


def test_xoauth2_exact_bytes(scripted):
    script = ["220 hi", "250-mx\n250 AUTH XOAUTH2", "334 " + base64.b64encode(b'{"status":"401"}').decode(),
              "535 5.7.8 no", "501 what", "221 bye"]
    srv = scripted(script, script)
    mechanism = XOAuth2Auth("me@example.com", "tok")
    with pytest.raises(ReplyError):
        connect(srv.address, tls="none", auth=mechanism, timeout=T)
    assert mechanism.error_details == b'{"status":"401"}'
    c = smtp_core.dial(srv.address, timeout=T)
    with pytest.raises(ReplyError):
        c.auth(mechanism)
    initial = base64.b64encode(b"user=me@example.com\x01auth=Bearer tok\x01\x01")
    exchange = b"EHLO localhost\r\nAUTH XOAUTH2 " + initial + b"\r\n\r\n"
    # The Pythonic layer: the empty response to the error, then QUIT (no "*"
    # after the refusal: Postfix logs it as a non-SMTP command).
    assert srv.transcript(0) == exchange + b"QUIT\r\n"
    # Go's AUTH loop, kept by the Go-named client: "*" and QUIT after the failure.
    assert srv.transcript(1) == exchange + b"*\r\nQUIT\r\n"


def test_oauthbearer_exact_bytes(scripted):
    srv = scripted(["220 hi", "250-mx\n250 AUTH OAUTHBEARER", "235 ok", "221 bye"])
    c = connect(srv.address, tls="none", auth=OAuthBearerAuth("me@example.com", lambda: "tok"), timeout=T)
    c.quit()
    initial = base64.b64encode(b"n,a=me@example.com,\x01auth=Bearer tok\x01\x01")
    assert srv.transcript(0) == b"EHLO localhost\r\nAUTH OAUTHBEARER " + initial + b"\r\nQUIT\r\n"


def test_oauthbearer_without_a_user_name():
    _, initial = OAuthBearerAuth("", "tok").start(ServerInfo("localhost", False, ["OAUTHBEARER"]))
    assert initial == b"n,,\x01auth=Bearer tok\x01\x01"


@pytest.mark.parametrize("user, token", [("me\x01auth=Bearer evil", "tok"), ("me", "tok\x01host=evil"),
                                         ("me", "tok\r\n"), ("me", "tok\x00")])
def test_oauth_refuses_control_characters(user, token):
    for cls in (XOAuth2Auth, OAuthBearerAuth):
        with pytest.raises(AuthError, match="control characters"):
            cls(user, token).start(ServerInfo("localhost", False, None))


def test_token_callable_must_return_str():
    with pytest.raises(AuthError, match="must be a str"):
        XOAuth2Auth("me", lambda: b"bytes").start(ServerInfo("localhost", True, None))


# --------------------------------------------------------------------------
# No secret over plaintext to a server that is not localhost
# --------------------------------------------------------------------------

ALL_MECHS = "250-mx\n250 AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER CRAM-MD5"


def _never_called() -> str:
    raise AssertionError("the token was fetched for an unsafe connection")


@pytest.mark.parametrize("mechanism", [
    PlainAuth("", "u", "secret", "mail.example.test"),
    LoginAuth("u", "secret"),
    XOAuth2Auth("u", _never_called),
    OAuthBearerAuth("u", _never_called),
], ids=["plain", "login", "xoauth2", "oauthbearer"])
def test_secrets_stay_home_on_plaintext_to_another_host(scripted, mechanism):
    # Both APIs: the session layer (server_name= gives a non-local name) ...
    srv = scripted(["220 hi", ALL_MECHS, "221 bye"], ["220 hi", ALL_MECHS, "221 bye"])
    with pytest.raises(TLSRequiredError, match="unencrypted connection"):
        connect(srv.address, tls="none", server_name="mail.example.test", auth=mechanism, timeout=T)
    # ... and the Go-named client over a socket of one's own.
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=T)
    c = smtp_core.Client(sock, "mail.example.test")
    with pytest.raises(AuthError, match="unencrypted connection"):
        c.auth(mechanism)
    assert c.closed
    for index in (0, 1):
        assert srv.transcript(index) == b"EHLO localhost\r\nQUIT\r\n"  # nothing secret sent
