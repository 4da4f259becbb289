"""go.std.net.mail: the Hy namespace over smtp_core.gocompat.gomail/godate/gomessage (exact to Go: tests/engine/test_gomail.py)."""

from __future__ import annotations

import datetime

import pytest

import go_std.net.mail as mail
from go_std.joker import ArgumentError, ArityError


def test_address_string_as_go():
    a = mail.Address({"Name": "Åsa", "Address": "asa@example.com"})
    assert isinstance(a, mail.PtrAddress)
    assert a.String() == "=?utf-8?q?=C3=85sa?= <asa@example.com>"
    assert mail.Address(Name="Joe Q. Public", Address="john.q.public@example.com").String() == \
        '"Joe Q. Public" <john.q.public@example.com>'
    assert mail.Address(Address="quoted local@example.com").String() == '<"quoted local"@example.com>'


def test_parse_address_and_list():
    a, err = mail.ParseAddress("Joe <joe@example.com>")
    assert err is None and (a.Name, a.Address) == ("Joe", "joe@example.com")
    a, err = mail.ParseAddress("Joe <joe>")
    assert a is None and isinstance(err, ValueError) and str(err) == "mail: missing @ in addr-spec"
    assert str(mail.ParseAddress("a@b, c@d")[1]) == 'mail: expected single address, got ", c@d"'
    addrs, err = mail.ParseAddressList("a@b, Team: c@d, Ed <e@f>;")
    assert err is None and [x.Address for x in addrs] == ["a@b", "c@d", "e@f"]
    assert str(mail.ParseAddressList("a@b c@d")[1]) == "mail: expected comma"


def test_parse_date():
    t, err = mail.ParseDate("Sat, 1 Jan 2000 09:05:00 +0200")
    assert err is None
    assert t == datetime.datetime(2000, 1, 1, 9, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    t, err = mail.ParseDate("Wed, 02 Oct 2002 08:00:00 EST")
    assert t.tzname() == "EST" and t.utcoffset() == datetime.timedelta(0)  # as Go: a name, no offset
    t, err = mail.ParseDate("yesterday")
    assert t is None and str(err) == "mail: header could not be parsed"
    t, err = mail.ParseDate("Sat, 1 Jan 0000 09:05:00 +0000")  # Go holds year 0; datetime cannot
    assert t is None and "datetime cannot" in str(err)


def test_read_message_header_and_body():
    msg, err = mail.ReadMessage(b"subject: hi\r\nTo: a@b,\r\n Joe <c@d>\r\n"
                                b"Date: Sat, 1 Jan 2000 09:05:00 +0000\r\n\r\nbody\r\n")
    assert err is None and isinstance(msg, mail.PtrMessage)
    assert msg.Header.Get("SUBJECT") == "hi" and msg.Header.Get("missing") == ""
    addrs, err = msg.Header.AddressList("to")
    assert err is None and [(a.Name, a.Address) for a in addrs] == [("", "a@b"), ("Joe", "c@d")]
    t, err = msg.Header.Date()
    assert err is None and t.year == 2000
    assert str(msg.Header.AddressList("Cc")[1]) == "mail: header not in message"
    buf = bytearray(4)
    assert msg.Body.Read(buf) == [4, None] and buf == b"body"
    assert msg.Body.Read(buf) == [2, None]
    n, err = msg.Body.Read(buf)
    assert n == 0 and str(err) == "EOF"


def test_read_message_errors_as_go():
    assert str(mail.ReadMessage(b"")[1]) == "EOF"
    assert str(mail.ReadMessage(" x: y\r\n\r\n")[1]) == 'malformed initial line: " x: y"'
    assert str(mail.ReadMessage("no colon\r\n\r\n")[1]) == 'malformed header line: "no colon"'
    msg, err = mail.ReadMessage("Date: nonsense\r\n\r\n")
    assert str(msg.Header.Date()[1]) == "mail: header could not be parsed"


def test_misuse_raises():
    with pytest.raises(ArgumentError, match=r"Arg\[0\] \(address\) of go.std.net.mail/ParseAddress must have type String"):
        mail.ParseAddress(b"a@b")
    with pytest.raises(ArgumentError, match='has no field "Email"'):
        mail.Address({"Email": "a@b"})
    with pytest.raises(ArgumentError, match="Field Name of go.std.net.mail/Address must have type String, got Int"):
        mail.Address(Name=1)
    with pytest.raises(ArgumentError, match=r"Arg\[0\] \(r\) of go.std.net.mail/ReadMessage"):
        mail.ReadMessage(42)
    with pytest.raises(ArityError):
        mail.ParseDate()


def test_help_and_metadata():
    assert mail.ParseAddress.joker_returns == "[^*Address, ^Error]"
    assert "(.String a)" in mail.PtrAddress.__doc__
    assert mail.__joker_ns__.index() == ["*Address", "*Message", "Address", "Header", "Message", "ParseAddress",
                                         "ParseAddressList", "ParseDate", "ReadMessage"]
