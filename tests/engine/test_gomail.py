"""smtp_core.gocompat.gomail (Go's net/mail rules) against Go's own answers (tests/helpers/govectors/mail_*.json).

Each answer is bytes: ``ok\\0name\\0address...`` or ``error\\0<Go's text>``
(see tests/helpers/govectors/gen). Our text model maps a str to the bytes Go would
hold (smtp_core.gocompat.goformat.go_bytes), so the comparison is byte for byte.
"""

from __future__ import annotations

import pytest

import govectors
from smtp_core.gocompat import godate, gomail, gomessage
from smtp_core.gocompat.goformat import go_bytes


def outcome(call, given) -> bytes:
    try:
        result = call(given)
    except gomail.MailError as err:
        return b"error\x00" + go_bytes(str(err))
    if isinstance(result, gomail.Address):
        result = [result]
    return b"ok" + b"".join(b"\x00" + go_bytes(a.name) + b"\x00" + go_bytes(a.address) for a in result)


@pytest.mark.parametrize("given, want", govectors.load("mail_address"))
def test_parse_address_as_go(given, want):
    assert outcome(gomail.parse_address, given) == want


@pytest.mark.parametrize("given, want", govectors.load("mail_address_list"))
def test_parse_address_list_as_go(given, want):
    assert outcome(gomail.parse_address_list, given) == want


@pytest.mark.parametrize("given, want", govectors.load("mail_address_string"))
def test_address_string_as_go(given, want):
    name, _, address = go_bytes(given).partition(b"\x00")
    text = lambda b: b.decode("utf-8", "surrogateescape")  # noqa: E731
    assert go_bytes(gomail.address_string(gomail.Address(text(name), text(address)))) == want


def date_outcome(given) -> bytes:
    try:
        t = godate.parse_date(given)
    except godate.DateError as err:
        return b"error\x00" + go_bytes(str(err))
    wall = "%04d-%02d-%02dT%02d:%02d:%02d" % (t.year, t.month, t.day, t.hour, t.minute, t.second)
    if t.nanosecond:
        wall += ("." + "%09d" % t.nanosecond).rstrip("0")
    return ("ok\x00%s\x00%s\x00%d" % (wall, t.zone, t.offset)).encode()


@pytest.mark.parametrize("given, want", govectors.load("mail_date"))
def test_parse_date_as_go(given, want):
    assert date_outcome(given) == want


def message_outcome(given) -> bytes:
    try:
        header, body = gomessage.read_message(given)
    except (gomessage.MessageError, EOFError) as err:
        return b"error\x00" + go_bytes(str(err))
    out = b"ok"
    for key in sorted(header, key=go_bytes):
        out += b"\x00" + go_bytes(key) + b"\x00" + b"\x01".join(go_bytes(v) for v in header[key])
    return out + b"\x00\x00" + body


@pytest.mark.parametrize("given, want", govectors.load("mail_message"))
def test_read_message_as_go(given, want):
    assert message_outcome(given) == want
