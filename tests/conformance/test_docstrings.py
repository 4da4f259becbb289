"""Every example in every module's docstrings runs.

The list of modules is computed, not kept by hand: a new module's examples
are run the day it lands.  A module that has no examples is listed as such,
so that adding one is a decision, not an accident.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import go_std
import smtp_core

# Modules whose docstrings hold no example; everything else must have one.
# Each of these either only re-exports (the front doors) or needs a live peer
# for anything worth showing, which its own test module provides.
WITHOUT_EXAMPLES = {
    "smtp_core",  # the map: a table of modules and names
    "smtp_core.pythonic",  # the Pythonic layer's front door
    "smtp_core.protocol",  # front doors of the engine's packages: a table each
    "smtp_core.gocompat",
    "smtp_core.mail",
    "smtp_core.client",  # every method talks to a server: tests/client/test_client.py
    "smtp_core.pythonic.api",  # send/send_many/connect: docs/pythonic.md's transcripts
    "smtp_core.pythonic.session",
    "smtp_core.pythonic.pipeline",
    "smtp_core.devserver.smtp",  # the dev server's subpackages: front doors listing their modules
    "smtp_core.devserver.mailbox",
    "smtp_core.devserver.web",
    "smtp_core.devserver.web.mailpit_extra",  # HTTP routes: tests/devserver/test_catcher_mailpit_extra.py
    "smtp_core.devserver.web.sendapi",
    "smtp_core.devserver.web.thumbs",
    "smtp_core.devserver.web.tags",  # HTTP routes: tests/devserver/test_catcher_tags.py
    "smtp_core.devserver.web.views",
    "smtp_core.devserver.cli",
    "smtp_core.devserver.smtp.protocol",
    "smtp_core.devserver.smtp.implicittls",  # TLS handshakes: tests/devserver/test_devserver_limits.py
    "smtp_core.transport",  # the socket driver: tests/client/test_faults.py, test_timeouts.py
    "smtp_core.tlsconn",  # a TLS peer: tests/namespace/test_tls_namespace.py
    "smtp_core.wirelog",  # logging records: tests/client/test_wirelog.py
    "smtp_core.mail.smime",  # needs certificates: tests/mail/test_smime.py
    "smtp_core.aio",  # the asyncio front door; its examples are docs/async.md's (tests/aio/test_aio_docs.py)
    "smtp_core.aio.api",  # coroutines that talk to a server: tests/aio/test_aio.py and the twins
    "smtp_core.aio.client",
    "smtp_core.aio.pool",  # tests/aio/test_aio_pool.py
    "smtp_core.aio.transport",  # the asyncio socket driver: tests/aio/test_aio.py
    "go_std",  # loads Hy; the namespaces are Hy modules with their own tests
    "go_std.net",
    "go_std.crypto",
}


def _modules(package) -> list[str]:
    found = [package.__name__]
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        if info.name.rsplit(".", 1)[-1] == "__main__":
            continue  # running it would start the program
        found.append(info.name)
    return sorted(found)


MODULES = _modules(smtp_core) + [name for name in _modules(go_std) if importlib.util.find_spec(name).origin.endswith(".py")]


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name):
    module = importlib.import_module(name)
    results = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert not results.failed, f"{results.failed} of {results.attempted} examples of {name} failed"
    if name in WITHOUT_EXAMPLES:
        assert not results.attempted, f"{name} has examples now: take it off WITHOUT_EXAMPLES"
    else:
        assert results.attempted, f"{name} has no example: add one, or list it in WITHOUT_EXAMPLES"


def test_the_sweep_sees_the_engine():
    # A guard against a sweep that finds nothing (a broken walk) and so proves nothing.
    for expected in ("smtp_core.protocol.reply", "smtp_core.protocol.dotstuff", "smtp_core.protocol.auth", "smtp_core.gocompat.gobase64",
                     "smtp_core.gocompat.goformat", "smtp_core.devserver.mailbox.store", "smtp_core.pythonic.api"):
        assert expected in MODULES
