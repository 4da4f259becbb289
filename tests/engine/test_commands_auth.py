"""Command lines, EHLO parsing and the AUTH exchange, without sockets."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from smtp_core.protocol.auth import AuthExchange, CramMD5Auth, PlainAuth, ServerInfo
from smtp_core.protocol.commands import auth_command, check_line, mail_command, parse_ehlo, rcpt_command
from smtp_core.errors import AuthError, Base64Error, LineError, ReplyError


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "a\r\nb", "\n", "a\x00b"])
def test_check_line_refuses_and_does_not_echo(value):
    with pytest.raises(LineError) as info:
        check_line(value + "SECRET")
    assert "SECRET" not in str(info.value)


def test_go_error_texts():
    with pytest.raises(LineError, match="^smtp: A line must not contain CR or LF$"):
        check_line("x\r\n")
    with pytest.raises(LineError, match="^smtp: A line must not contain NUL$"):
        check_line("x\x00")


def test_mail_and_rcpt_lines():
    assert mail_command("a@b", None) == b"MAIL FROM:<a@b>\r\n"
    assert mail_command("a@b", {"SMTPUTF8": ""}) == b"MAIL FROM:<a@b> SMTPUTF8\r\n"
    assert mail_command("", {"8BITMIME": ""}, params="SIZE=10") == b"MAIL FROM:<> BODY=8BITMIME SIZE=10\r\n"
    assert rcpt_command("zoë@x") == "RCPT TO:<zoë@x>\r\n".encode()


def test_auth_line_trims_like_go():
    assert auth_command("CRAM-MD5", "") == b"AUTH CRAM-MD5\r\n"
    assert auth_command("PLAIN", "AGEAYg==") == b"AUTH PLAIN AGEAYg==\r\n"
    assert auth_command("X\u00a0", "") == b"AUTH X\r\n"  # Go's TrimSpace is Unicode-aware
    with pytest.raises(LineError):
        auth_command("X\r\nMAIL FROM:<a>", "")


def test_parse_ehlo():
    ext, mechs = parse_ehlo("mx greets you\nsize 100\nAUTH PLAIN LOGIN\nAUTH=LOGIN\n\n8bitmime")
    assert ext == {"SIZE": "100", "AUTH": "PLAIN LOGIN", "AUTH=LOGIN": "", "": "", "8BITMIME": ""}
    assert mechs == ["PLAIN", "LOGIN"]
    assert parse_ehlo("only a greeting") == ({}, None)
    assert parse_ehlo("mx\nAUTH")[1] == [""]


def test_plain_rules():
    plain = PlainAuth("", "u", "p", "mx.example.com")
    with pytest.raises(AuthError, match="^unencrypted connection$"):
        plain.start(ServerInfo("mx.example.com", False, ["PLAIN"]))
    with pytest.raises(AuthError, match="^wrong host name$"):
        plain.start(ServerInfo("other.example.com", True, ["PLAIN"]))
    assert plain.start(ServerInfo("mx.example.com", True, None)) == ("PLAIN", b"\x00u\x00p")
    for local in ("localhost", "127.0.0.1", "::1"):
        assert PlainAuth("id", "u", "p", local).start(ServerInfo(local, False, None))[1] == b"id\x00u\x00p"
    with pytest.raises(AuthError):
        PlainAuth("", "u\x00admin", "p", "localhost").start(ServerInfo("localhost", False, None))
    with pytest.raises(AuthError, match="^unexpected server challenge$"):
        plain.next(b"more?", True)


def test_cram_md5_rfc2195_example():
    challenge = b"<1896.697170952@postoffice.reston.mci.net>"
    answer = CramMD5Auth("tim", "tanstaaftanstaaf").next(challenge, True)
    assert answer == b"tim b913a602c7eda7a495b4e6e7334d3890"
    assert answer.split()[1].decode() == hmac.new(b"tanstaaftanstaaf", challenge, hashlib.md5).hexdigest()


def test_exchange_steps():
    ex = AuthExchange(CramMD5Auth("tim", "tanstaaftanstaaf"), ServerInfo("mx", False, ["CRAM-MD5"]))
    assert ex.begin() == b"AUTH CRAM-MD5\r\n"
    line = ex.on_reply(334, "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+")
    assert line == b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"
    assert ex.on_reply(235, "2.7.0 ok") is None
    with pytest.raises(ReplyError) as info:
        ex.on_reply(535, "5.7.8 no")
    assert info.value.Code == 535
    with pytest.raises(Base64Error, match="^illegal base64 data at input byte 3$"):
        ex.on_reply(334, "abc$")
