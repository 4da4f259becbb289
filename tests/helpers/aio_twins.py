"""Async twins of the blocking layer's tests, without copying a test body.

A twin module (``tests/aio/test_aio_twins_*.py``) re-exports the test
functions of a blocking test module (:func:`twins`).  Those functions look up ``send``, ``send_many``, ``connect``, ``dial_tls``,
``prepare`` (and ``smtp_core.dial``) in their own module's globals; while a twin runs, the
fixture :func:`asyncio_driver` puts there stand-ins that run
:mod:`smtp_core.aio` on an event loop of the test's own and hand back an
:class:`AsyncClientView`, an async client the blocking test can drive.
So each scenario (scripts, messages, expected transcripts and results) is
written once and checked against both drivers.

``smtp_core.send`` and the rest are pointed there too, for tests that
call them through the package.  The event loop runs only while a call is in progress; that is enough for
the scripted and dev servers, which run in their own threads.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
import sys
from pathlib import Path

import smtp_core
from smtp_core import aio
from smtp_core.aio.client import DataWriter

#: The folder of the test folders (tests/client, tests/pythonic, ...).
TESTS = Path(__file__).resolve().parents[1]

#: The names a blocking test module may have imported that have an async twin.
TWINNED = ("send", "send_many", "connect", "dial_tls", "prepare")


class AsyncClientView:
    """An :class:`smtp_core.aio.Client` seen from blocking code: each
    coroutine method is run to its end on the loop; attributes pass through."""

    def __init__(self, client, loop: asyncio.AbstractEventLoop) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_loop", loop)

    def __getattr__(self, name: str):
        value = getattr(self._client, name)
        if inspect.iscoroutinefunction(value):
            return functools.partial(_finish, self._loop, value)
        return value

    def __setattr__(self, name: str, value) -> None:
        setattr(self._client, name, value)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # As the blocking objects: a client closes; a DATA writer ends the message unless failing.
        if not self._client.closed and (exc_type is None or isinstance(self._client, aio.Client)):
            self.close()


def _finish(loop, coroutine_function, *args, **kwargs):
    args = [a._client if isinstance(a, AsyncClientView) else a for a in args]
    result = loop.run_until_complete(coroutine_function(*args, **kwargs))
    if isinstance(result, aio.Client):
        return AsyncClientView(result, loop)
    if isinstance(result, DataWriter):
        return AsyncClientView(result, loop)
    return result


def _unwrapped(loop, coroutine_function):
    @functools.wraps(coroutine_function)
    def call(*args, **kwargs):
        return _finish(loop, coroutine_function, *args, **kwargs)
    return call


class AsyncDriver:
    """The stand-ins of one test: its loop and the twinned functions."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.functions = {name: _unwrapped(self.loop, getattr(aio, name)) for name in TWINNED}
        self.dial = _unwrapped(self.loop, aio.dial)

    def close(self) -> None:
        # Let aborted transports release their sockets, then end the loop.
        for _ in range(3):
            self.loop.run_until_complete(asyncio.sleep(0))
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def install(monkeypatch, module) -> AsyncDriver:
    """Point ``module``'s twinned names (and ``smtp_core.dial``) at an async driver."""
    driver = AsyncDriver()
    for name, function in driver.functions.items():
        if hasattr(module, name):
            monkeypatch.setattr(module, name, function)
        monkeypatch.setattr(smtp_core, name, function)  # for tests that call smtp_core.send(...)
    monkeypatch.setattr(smtp_core, "dial", driver.dial)
    return driver


def blocking_module(folder: str, name: str):
    """The blocking test module ``tests/<folder>/<name>.py``, imported as pytest
    imports it (its folder on ``sys.path``, its plain name): one module object,
    whichever of the two imports it first."""
    path = TESTS / folder / (name + ".py")
    assert path.is_file(), "no blocking test module %s" % path
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    return importlib.import_module(name)


def twins(folder: str, module_name: str, skip: dict[str, str]) -> dict:
    """What a twin module re-exports of the blocking test module
    ``tests/<folder>/<module_name>.py``: its tests, minus those in ``skip`` (name ->
    why the blocking test does not apply to the async driver), and its own
    fixtures; plus the autouse fixture that installs the async driver for
    them."""
    import pytest

    module = blocking_module(folder, module_name)
    unknown = set(skip) - set(vars(module))
    assert not unknown, "skipped tests that do not exist: %s" % sorted(unknown)
    chosen = {name: value for name, value in vars(module).items()
              if (name.startswith("test_") and callable(value) and name not in skip)
              or type(value).__name__ == "FixtureFunctionDefinition" or hasattr(value, "_pytestfixturefunction")}

    @pytest.fixture(autouse=True)
    def asyncio_driver(monkeypatch):
        driver = install(monkeypatch, module)
        yield driver
        driver.close()

    chosen["asyncio_driver"] = asyncio_driver
    return chosen
