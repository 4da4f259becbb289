"""Shared test set-up: Hy test files, loopback servers, certificates.

* ``tests/helpers`` is on ``sys.path``: test modules import what they share
  from there by its plain name (``from scripted import Starttls``), never
  from another test module.  tests/README.md maps the folders.
* ``test_*.hy`` files are collected like Python test modules.  pytest's
  assertion rewriter would parse a ``.hy`` file named on the command line as
  Python; the guard below keeps it away from Hy sources.
* Fixtures: ``pki`` (a CA and a server certificate for localhost, 127.0.0.1,
  ::1 and ``testserver``, made once per run), ``make_devserver`` (a factory
  of bundled dev servers with that certificate, stopped after the test),
  ``devserver`` (one with STARTTLS and users alice/bob), ``scripted`` (a
  factory for :class:`scripted.ScriptedServer`), ``free_port``, ``browser``
  (headless Chromium from Debian under Playwright, for the catcher's page),
  ``pipelining_server``, ``make_catcher``/``catcher``; from helpers:
  ``raw_sessions`` (raw_smtp), ``mailpit_client`` and ``spamd``
  (catcher_peers), ``page`` and ``recorder`` (catcher_page).
* ``--runslow`` runs the tests marked ``slow`` (long fuzzing, load).
"""

from __future__ import annotations

import itertools
import socket
import sys
from pathlib import Path

import hy  # noqa: F401  (lets pytest import test_*.hy)
import pytest
from _pytest.assertion.rewrite import AssertionRewritingHook
from hypothesis import settings

# What test modules share lives in tests/helpers, imported by its plain name
# (``from scripted import Starttls``) from every folder, .py and .hy alike.
sys.path.insert(0, str(Path(__file__).parent / "helpers"))

from browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from scripted import ScriptedServer  # noqa: E402
from servers import PipeliningHandler, aiosmtpd_serving  # noqa: E402

# Fixtures that live beside the code they drive, offered to every test.
from catcher_page import page, recorder  # noqa: E402,F401
from catcher_peers import mailpit_client, spamd  # noqa: E402,F401
from raw_smtp import raw_sessions  # noqa: E402,F401

# Property tests are judged by their examples, not by the clock: on a busy
# two-core machine one example can take longer than hypothesis's 200 ms.
settings.register_profile("gostd", deadline=None)
settings.load_profile("gostd")

# -- Hy collection ------------------------------------------------------------

_should_rewrite = AssertionRewritingHook._should_rewrite


def _skip_hy_sources(self, name, fn, state):
    # Hy sources are compiled by Hy's own loader; the rewriter would read them as Python.
    if str(fn).endswith(".hy"):
        return False
    return _should_rewrite(self, name, fn, state)


AssertionRewritingHook._should_rewrite = _skip_hy_sources


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".hy" and file_path.name.startswith("test_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


# -- markers ----------------------------------------------------------------------

def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False,
                     help="also run the long fuzzing and load tests (marked slow)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# -- fixtures -----------------------------------------------------------------------

class PKI:
    """A CA and certificates issued by it, for TLS tests (made with smtp_core.devserver.pki)."""

    def __init__(self, directory: Path, name: str = "gostd-smtp test CA") -> None:
        from smtp_core.devserver import pki

        self.directory = directory
        self.ca = pki.make_ca(directory, name=name)
        self.ca_path = str(self.ca.cert_path)
        names = ("localhost", "127.0.0.1", "::1", "testserver")
        cert, key = pki.issue_cert(self.ca, directory, names=names, stem="server")
        self.cert = (str(cert), str(key))
        #: What DevServer(cert=...) takes: certificate, key and the CA to trust.
        self.server_files = (str(cert), str(key), self.ca_path)
        self._cache: dict = {}

    def issue(self, *names: str, expired: bool = False) -> tuple[str, str]:
        """A certificate (cert, key) for ``names`` from this CA, made once per name set."""
        from smtp_core.devserver import pki

        key = (names, expired)
        if key not in self._cache:
            cert, k = pki.issue_cert(self.ca, self.directory, names=names,
                                     stem="c%d" % len(self._cache), expired=expired)
            self._cache[key] = (str(cert), str(k))
        return self._cache[key]

    def other_ca(self) -> "PKI":
        """An unrelated CA (for untrusted-certificate tests)."""
        if "other" not in self._cache:
            self._cache["other"] = PKI(self.directory / "other", name="untrusted CA")
        return self._cache["other"]


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> PKI:
    return PKI(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stopped_after(make):
    """A fixture body: yields ``start``, which makes a server with ``make(*args, **options)``;
    every server started is stopped when the test ends."""
    servers: list = []

    def start(*args, **options):
        servers.append(make(*args, **options))
        return servers[-1]

    yield start
    for srv in servers:
        srv.stop()


@pytest.fixture
def scripted(pki):
    """``scripted(script, ...)`` starts a ScriptedServer (TLS uses the ``pki`` certificate)."""
    yield from _stopped_after(lambda *scripts, **options: ScriptedServer(
        *scripts, **{"cert": pki.cert, **options}).__enter__())


@pytest.fixture
def make_devserver(pki, tmp_path):
    """Factory: ``make_devserver(**options)`` starts a DevServer with the ``pki``
    certificate and a maildir under ``tmp_path``; every one is stopped after the test."""
    from smtp_core.devserver import DevServer

    maildirs = (str(tmp_path / ("maildir%d" % n)) for n in itertools.count())

    def make(**options):
        srv = DevServer(**{"cert": pki.server_files, "maildir": next(maildirs), **options})
        srv.start()
        return srv

    yield from _stopped_after(make)


@pytest.fixture
def devserver(make_devserver):
    """The bundled dev server: STARTTLS and an implicit-TLS port, users alice/bob."""
    return make_devserver(users={"alice": "wonderland", "bob": "builder"}, tls_port=None)


# -- an aiosmtpd server that pipelines (the Pythonic layer's tests) ----------------

@pytest.fixture
def pipelining_server(free_port):
    """``(handler, "127.0.0.1:port")`` of an aiosmtpd server with :class:`PipeliningHandler`."""
    with aiosmtpd_serving(PipeliningHandler(), free_port) as served:
        yield served


# -- a real browser (the mail catcher's page) ------------------------------------------

@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Playwright's sync API.  Skips without the
    browser or Playwright, except under CI (``CI=true``), where it fails.

    One browser per test module, not per session: Playwright's sync API runs
    an event loop on the main thread while it is open, and ``asyncio.run`` in
    any later test module would find it running."""
    import os

    missing = None
    if not os.access(CHROMIUM, os.X_OK):
        missing = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "Playwright is missing (pip install -e '.[test]')"
    if missing is not None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"CI needs the browser tests: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# --------------------------------------------------------------------------
# The mail catcher (the dev server's HTTP side)
# --------------------------------------------------------------------------


@pytest.fixture
def make_catcher(make_devserver, tmp_path):
    """Factory: ``make_catcher(**options)`` starts a dev server with the page
    and the API on a free port; all of a test's catchers share one maildir,
    so that a second one sees the first one's mail (a restart)."""
    return lambda **options: make_devserver(**{"http_port": 0, "maildir": str(tmp_path / "mail"), **options})


@pytest.fixture
def catcher(make_catcher):
    """A dev server with the mail catcher's page and API."""
    return make_catcher()
