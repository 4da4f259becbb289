"""Dependency floors stay past their known advisories (issue 21, finding 8).

``docs/hardening.md`` (section 11) holds one row per dependency: its floor
and the advisories that floor answers, each with the release that fixed
it.  These tests keep three things in step with that table:

* every runtime dependency (``[project] dependencies`` and the dev server's
  extra) has a row, and its ``>=`` floor in ``pyproject.toml`` is at least
  the row's;
* a row's floor is at least every fixed-in release its advisories cite, so
  a floor cannot drop without deleting the advisory that forbids it;
* the installed version meets the floor.

The two aiosmtpd advisories the audit reproduced are also checked on the
wire against the dev server: with aiosmtpd 1.4.4 both wire tests fail.
"""

from __future__ import annotations

import re
import ssl
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest itself depends on tomli there
    import tomli as tomllib

from raw_smtp import TIMEOUT, Raw

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## 11. Dependency floors"
RUNTIME_EXTRAS = ("devserver",)  # the extras a user installs to run, not to develop
VERSION = re.compile(r"\b\d+\.\d+(?:\.\d+)?\b")


def floor_table() -> dict[str, tuple[Version, str]]:
    """``{package: (floor, advisories text)}`` from docs/hardening.md, section 11."""
    text = (ROOT / "docs" / "hardening.md").read_text(encoding="utf-8")
    assert text.count(SECTION) == 1, f"docs/hardening.md has no single {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("Package", "") and not set(cells[0]) <= set("-"):
            rows[cells[0].lower()] = (Version(cells[1]), cells[2])
    assert rows, "the floor table in docs/hardening.md is empty"
    return rows


def requirements() -> tuple[list[Requirement], list[Requirement]]:
    """(runtime, development) requirements from pyproject.toml, self-references left out."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = [Requirement(line) for line in project["dependencies"]]
    development = []
    for extra, lines in project["optional-dependencies"].items():
        chosen = [Requirement(line) for line in lines]
        chosen = [req for req in chosen if req.name != project["name"]]
        (runtime if extra in RUNTIME_EXTRAS else development).extend(chosen)
    return runtime, development


def lower_bound(requirement: Requirement) -> Version | None:
    """The greatest ``>=``/``==`` version in the specifier (``None`` without one)."""
    bounds = [Version(spec.version) for spec in requirement.specifier if spec.operator in (">=", "==", "~=")]
    return max(bounds, default=None)


def test_every_runtime_dependency_has_a_row():
    runtime, _ = requirements()
    missing = sorted({req.name.lower() for req in runtime} - set(floor_table()))
    assert not missing, f"no row in docs/hardening.md, section 11, for {missing}"


@pytest.mark.parametrize("package", sorted(floor_table()))
def test_pyproject_floor_is_not_below_the_table(package):
    runtime, development = requirements()
    named = [req for req in runtime + development if req.name.lower() == package]
    assert named, f"{package} has a row in docs/hardening.md but is not in pyproject.toml"
    floor, _ = floor_table()[package]
    for req in named:
        bound = lower_bound(req)
        assert bound is not None and bound >= floor, (
            f"pyproject.toml asks for {req}, below the floor {floor} in docs/hardening.md")


@pytest.mark.parametrize("package", sorted(floor_table()))
def test_table_floor_is_past_every_fix_it_cites(package):
    floor, advisories = floor_table()[package]
    fixes = [Version(v) for v in VERSION.findall(advisories)]
    assert all(fix <= floor for fix in fixes), (
        f"{package}: the floor {floor} is below a fix the row cites ({max(fixes)})")


@pytest.mark.parametrize("package", sorted(floor_table()))
def test_installed_version_meets_the_floor(package):
    floor, _ = floor_table()[package]
    assert Version(metadata.version(package)) >= floor


def test_the_audits_advisories_are_in_the_table():
    table = floor_table()
    assert "CVE-2024-34083" in table["aiosmtpd"][1]
    assert "CVE-2024-27305" in table["aiosmtpd"][1]
    assert "CVE-2024-3651" in table["idna"][1]


# -- the two aiosmtpd advisories, on the wire -------------------------------------------


def replies_until_quit(session: Raw) -> list[int]:
    """Send QUIT; the codes of every reply up to its 221 (at most 20)."""
    session.sock.sendall(b"QUIT\r\n")
    codes = []
    for _ in range(20):
        codes.append(session.reply()[0])
        if codes[-1] == 221:
            break
    return codes


def test_a_command_pipelined_after_starttls_never_runs(make_devserver, pki):
    # CVE-2024-34083: a man in the middle appends commands to the client's
    # STARTTLS; they must not be taken as the client's once TLS is up.
    server = make_devserver()
    session = Raw(server)
    try:
        assert session.cmd("EHLO client")[0] == 250
        session.sock.sendall(b"STARTTLS\r\nEHLO injected\r\nMAIL FROM:<injected@example.com>\r\n")
        assert session.reply()[0] == 220
        session.file.close()
        context = ssl.create_default_context(cafile=pki.ca_path)
        session.sock = context.wrap_socket(session.sock, server_hostname="localhost")
        session.file = session.sock.makefile("rb")
        # The first reply inside TLS answers our NOOP, not the injected EHLO.
        assert session.cmd("NOOP") == (250, [b"OK"])
        assert session.cmd("EHLO client")[0] == 250
        assert session.cmd("RCPT TO:<b@example.com>")[0] == 503  # no MAIL ran
        assert replies_until_quit(session) == [221]
    finally:
        session.close()
    assert server.messages() == []


def test_lf_dot_crlf_does_not_end_data_or_smuggle_a_second_message(make_devserver):
    # CVE-2024-27305: "\n.\r\n" is not the end of data, so what follows it
    # is text of the one message, never a second transaction.
    server = make_devserver()
    session = Raw(server)
    try:
        for line in ("EHLO client", "MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>"):
            assert session.cmd(line)[0] == 250
        assert session.cmd("DATA")[0] == 354
        session.sock.sendall(b"Subject: first\r\n\r\nfirst\n.\r\n"
                             b"MAIL FROM:<smuggler@example.com>\r\nRCPT TO:<victim@example.com>\r\n"
                             b"DATA\r\nSubject: smuggled\r\n\r\nsecond\r\n.\r\n")
        assert session.reply()[0] == 250
        assert replies_until_quit(session) == [221]
    finally:
        session.close()
    [message] = server.wait_for(1)
    assert message.envelope_from == "a@example.com"
    assert message.envelope_to == ("b@example.com",)
    assert b"MAIL FROM:<smuggler@example.com>" in message.raw
    assert b"Subject: smuggled" in message.raw
    assert len(server.messages()) == 1
