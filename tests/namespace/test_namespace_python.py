"""go.std.net.smtp from Python: the same objects, with plain names where Hy's are not identifiers."""

from __future__ import annotations

import hy
import pytest

import go_std.net.smtp as smtp
from go_std.joker import ArgumentError


def test_plain_aliases_are_the_hy_vars():
    assert smtp.PtrClient is getattr(smtp, hy.mangle("*Client"))
    assert smtp.PtrServerInfo is getattr(smtp, hy.mangle("*ServerInfo"))
    assert smtp.__joker_ns__.aliases == {"PtrClient": "*Client", "PtrServerInfo": "*ServerInfo"}


def test_star_import_gives_the_index_and_the_aliases():
    # __all__ is derived from the table: every index name (mangled where Hy's
    # is not an identifier) and every plain alias, nothing else.
    ns = smtp.__joker_ns__
    assert sorted(smtp.__all__) == sorted([hy.mangle(k) for k in ns.index()] + list(ns.aliases))
    names: dict = {}
    exec("from go_std.net.smtp import *", names)
    for name in smtp.__all__:
        assert names[name] is getattr(smtp, name)
    assert names["PtrClient"] is names[hy.mangle("*Client")]


def test_calls_and_checks_are_the_same():
    info = smtp.PtrServerInfo(Name="mx", TLS=True)
    assert (info.Name, info.TLS, info.Auth) == ("mx", True, None)
    with pytest.raises(ArgumentError, match=r"^Arg\[0\] \(addr\) of go.std.net.smtp/Dial must have type String, got Int$"):
        smtp.Dial(25)
    assert smtp.Dial.__signature__.parameters.keys() == {"addr"}
    assert str(smtp.SendMail.__signature__) == "(addr, a, from_, to, msg, /)"


def test_python_auth_subclass(devserver):
    class Login(smtp.Auth):
        def Start(self, server):
            return ["LOGIN", None, None]

        def Next(self, from_server, more):
            if not more:
                return [None, None]
            return [b"bob" if from_server.lower().startswith(b"user") else b"builder", None]

    assert type(Login) is type and isinstance(Login(), smtp.Auth)
    c, err = smtp.Dial(f"{devserver.host}:{devserver.port}")
    assert err is None
    assert isinstance(c, smtp.PtrClient)
    assert c.Auth(Login()) is None
    assert c.Quit() is None


def test_python_core_mechanisms_are_accepted(devserver):
    # smtp_core's own mechanisms (LOGIN, XOAUTH2, ...) are Auth values too.
    from smtp_core import LoginAuth

    c, err = smtp.Dial(f"{devserver.host}:{devserver.port}")
    assert c.Auth(LoginAuth("alice", "wonderland")) is None
    assert c.Quit() is None


def test_text_with_a_lone_surrogate_is_a_wrong_argument_not_a_unicode_error():
    # Found by test_namespace_sweep: "\ud800" has no UTF-8 bytes, and the
    # encoder's UnicodeEncodeError escaped SendMail. An escaped byte of
    # surrogateescape ("\udcff") still stands for that byte.
    with pytest.raises(ArgumentError, match=r"^Arg\[4\] \(msg\) of go.std.net.smtp/SendMail must have type "
                                            r"arrayOfByte, got String \(a lone surrogate U\+D800 at 1 has no UTF-8 bytes\)$"):
        smtp.SendMail("127.0.0.1:1", None, "a@example.com", ["b@example.com"], "x\ud800")
    err = smtp.SendMail("127.0.0.1:1", None, "a@example.com", ["b@example.com"], "x\udcff")
    assert "connection refused" in str(err)
