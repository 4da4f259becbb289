"""The keyword options of connect, dial_tls, prepare, send and send_many
(and of their asyncio twins and the pool) are one declaration,
:class:`smtp_core.pythonic.options.Options`: the signatures agree with it,
a misspelt keyword is a TypeError naming it (before any connection), and
adding an option is one edit there."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import socket

import pytest

import smtp_core
from smtp_core import aio
from smtp_core.aio.pool import Pool
from smtp_core.pythonic import options as declared
from smtp_core.pythonic.options import FUNCTIONS, Options, takes_options

KEYWORD = inspect.Parameter.KEYWORD_ONLY


def keyword_parameters(function) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(function).parameters.values() if p.kind is KEYWORD]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_signatures_are_the_declaration(name):
    wanted = [f for f in dataclasses.fields(Options) if name in f.metadata["taken_by"]]
    for function in (getattr(smtp_core.pythonic, name), getattr(aio, name)):
        got = keyword_parameters(function)
        assert [(p.name, p.default, p.annotation) for p in got] == [(f.name, f.default, f.type) for f in wanted]
        # No parameter is both positional and an option, and nothing is gathered silently.
        assert all(p.kind is not inspect.Parameter.VAR_KEYWORD for p in inspect.signature(function).parameters.values())


def test_every_option_is_documented_and_taken_by_someone():
    for f in dataclasses.fields(Options):
        assert f.metadata["doc"].strip(), f.name
        assert f.metadata["taken_by"] and set(f.metadata["taken_by"]) <= set(FUNCTIONS), f.name


def test_the_defaults_are_the_old_ones():
    assert Options() == Options(tls="opportunistic", tls_config=None, verify=True, server_name=None, auth=None,
                                local_name=None, timeout=None, connect_timeout=None, quit=None, pipelining=True,
                                redact=True, allow_plaintext_auth=False, normalize_line_ends=True, dkim=None)


def closed_port() -> str:
    """A loopback address nobody listens on (a connection would be refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return "127.0.0.1:%d" % s.getsockname()[1]


@pytest.mark.parametrize("call", [
    lambda a: smtp_core.send(a, "a@example.com", ["b@example.com"], b"x\r\n", tsl="none"),
    lambda a: smtp_core.send_many(a, [], tsl="none"),
    lambda a: smtp_core.connect(a, tsl="none"),
    lambda a: smtp_core.dial_tls(a, verfy=False),
], ids=["send", "send_many", "connect", "dial_tls"])
def test_a_misspelt_keyword_is_named_before_connecting(call, request):
    name = request.node.callspec.id
    wrong, right = ("verfy", "verify") if name == "dial_tls" else ("tsl", "tls")
    # A closed port: a call that went on to connect would raise ConnectionRefusedError instead.
    with pytest.raises(TypeError, match=r"^%s\(\) got an unexpected keyword argument '%s' \(did you mean '%s'\?\)$"
                       % (name, wrong, right)):
        call(closed_port())


def test_a_keyword_another_function_takes_is_refused():
    with pytest.raises(TypeError, match=r"^dial_tls\(\) got an unexpected keyword argument 'tls'$"):
        smtp_core.dial_tls(closed_port(), tls="implicit")
    with pytest.raises(TypeError, match=r"^connect\(\) got an unexpected keyword argument 'pipelining'$"):
        smtp_core.connect(closed_port(), pipelining=False)
    with pytest.raises(TypeError, match=r"^prepare\(\) got an unexpected keyword argument 'quit'$"):
        smtp_core.prepare(object(), quit=True)  # refused before the client is looked at


def test_the_asyncio_twins_and_the_pool_refuse_it_too():
    address = closed_port()

    async def main():
        with pytest.raises(TypeError, match="'tsl'"):
            await aio.send(address, "a@example.com", ["b@example.com"], b"x\r\n", tsl="none")
        with pytest.raises(TypeError, match="'pipelinig'"):
            await aio.send_many(address, [], pipelinig=False)
        with pytest.raises(TypeError, match="'tsl'"):
            Pool(address, tsl="none")

    asyncio.run(main())


def test_adding_an_option_is_one_edit(monkeypatch):
    """A new field in the declaration reaches a function's signature and its check, nothing else edited."""

    @dataclasses.dataclass(frozen=True)
    class Wider(Options):
        colour: str = declared._option("blue", "a test option", ("send",))

    monkeypatch.setattr(declared, "_FIELDS", dataclasses.fields(Wider))
    monkeypatch.setattr(declared, "_TAKEN", {name: tuple(f.name for f in dataclasses.fields(Wider)
                                                         if name in f.metadata["taken_by"])
                                             for name in FUNCTIONS})

    @takes_options
    def send(address, **options):
        return Wider.taking("send", options)

    assert keyword_parameters(send)[-1].name == "colour" and keyword_parameters(send)[-1].default == "blue"
    assert send("x", colour="red").colour == "red"
    with pytest.raises(TypeError, match="'color' \\(did you mean 'colour'\\?\\)"):
        send("x", color="red")
