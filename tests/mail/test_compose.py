"""Composed messages (smtp_core.mail.compose) on real loopback servers.

Each message is composed with :func:`message`, turned into an envelope with
:func:`envelope`, sent to aiosmtpd or the dev server, and what arrived is
parsed with the standard library and checked part by part.
"""

from __future__ import annotations

import email.message
import email.policy
import io
import re
import unicodedata
from email.headerregistry import Address
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from email_messages import email_message

import go_std.net.smtp as smtp
from smtp_core import ComposeError, EnvelopeError, envelope, message, send, send_many

T = 10  # seconds: a bound on every exchange, never reached on loopback
LOGO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
CSV = "name,city\r\nÅsa,Göteborg\r\n".encode()


class Recorder:
    """An aiosmtpd handler that keeps each message's envelope and exact bytes."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, env):
        self.messages.append((env.mail_from, list(env.rcpt_tos), env.original_content))
        return "250 2.0.0 stored"


def start_recorder(port: int):
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, handler


@pytest.fixture
def recorder(free_port):
    controller, handler = start_recorder(free_port)
    yield "127.0.0.1:%d" % free_port, handler
    controller.stop()


@pytest.fixture(scope="module")
def shared_recorder():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller, handler = start_recorder(port)
    yield "127.0.0.1:%d" % port, handler
    controller.stop()


@pytest.fixture
def files(tmp_path):
    (tmp_path / "logo.png").write_bytes(LOGO)
    (tmp_path / "report.csv").write_bytes(CSV)
    return tmp_path


def issue_spec(files) -> dict:
    """The example of issue 12, as a Python dict."""
    return {
        "from": "Åsa Öberg <asa@example.com>",
        "to": ["bob@example.com", "Cécile <cecile@example.org>"],
        "cc": "dan@example.com", "bcc": ["eve@example.net"], "reply-to": "noreply@example.com",
        "subject": "Grüße ✓", "headers": {"X-Campaign": "q4", "Resent-Bcc": "hidden@example.net"},
        "body": [[":alternative", {"type": "text/plain", "content": "Hello"},
                  {"type": "text/html", "content": '<p>Hello <img src="cid:logo"></p>'}],
                 {"type": "inline", "path": str(files / "logo.png"), "content-id": "logo"},
                 {"type": "attachment", "content": files / "report.csv"},
                 {"type": "attachment", "content": b"\x00\x01\xff", "file-name": "x.bin",
                  "content-type": "application/octet-stream"}],
    }


def check_wire(raw: bytes) -> None:
    """CRLF only, lines <= 998, no Bcc or Resent-Bcc header."""
    assert raw.count(b"\r") == raw.count(b"\n") == raw.count(b"\r\n")
    assert max(map(len, raw.split(b"\r\n"))) <= 998
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert not re.search(rb"(?im)^(resent-)?bcc\s*:", head)
    assert b"eve@example.net" not in raw and b"hidden@example.net" not in raw


def check_issue_message(raw: bytes, mail_from: str, rcpt_tos, files) -> None:
    check_wire(raw)
    assert mail_from == "asa@example.com"
    assert list(rcpt_tos) == ["bob@example.com", "cecile@example.org", "dan@example.com", "eve@example.net"]
    got = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert got["Subject"] == "Grüße ✓"
    assert got["From"].addresses[0].display_name == "Åsa Öberg"
    assert [a.display_name for a in got["To"].addresses] == ["", "Cécile"]
    assert got["X-Campaign"] == "q4" and got["Reply-To"] == "noreply@example.com"
    assert got["Message-ID"].endswith("@example.com>") and got["Date"].datetime is not None
    assert [p.get_content_type() for p in got.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html",
        "image/png", "text/csv", "application/octet-stream"]
    parts = list(got.walk())
    assert parts[2].get_content() == "Hello"
    assert parts[4].get_content() == '<p>Hello <img src="cid:logo"></p>'
    logo = parts[5]
    assert logo["Content-ID"] == "<logo>" and logo.get_content_disposition() == "inline"
    assert logo.get_content() == LOGO
    csv, binary = parts[6], parts[7]
    assert csv.get_filename() == "report.csv" and csv.get_content_disposition() == "attachment"
    assert csv.get_payload(decode=True) == (files / "report.csv").read_bytes()
    assert binary.get_filename() == "x.bin" and binary.get_content() == b"\x00\x01\xff"


# --------------------------------------------------------------------------
# The issue's example, over each path
# --------------------------------------------------------------------------


def test_issue_example_through_send_on_aiosmtpd(recorder, files):
    address, handler = recorder
    m = message(issue_spec(files))
    sender, recipients, data = envelope(m)
    result = send(address, sender, recipients, data, tls="none", timeout=T)
    assert result.accepted == recipients
    [(mail_from, rcpt_tos, raw)] = handler.messages
    assert raw == data  # exactly the envelope's bytes arrive
    check_issue_message(raw, mail_from, rcpt_tos, files)
    assert m["Bcc"] == "eve@example.net"  # the caller's message keeps its Bcc
    assert envelope(m).data == data  # boundaries are fixed when composing: every serialisation is the same


def test_issue_example_through_go_named_sendmail_on_the_dev_server(devserver, pki, files, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", pki.ca_path)  # SendMail trusts the system store, as Go does
    sender, recipients, data = envelope(message(issue_spec(files)))
    err = smtp.SendMail("127.0.0.1:%d" % devserver.port, smtp.PlainAuth("", "alice", "wonderland", "127.0.0.1"),
                        sender, recipients, data)
    assert err is None
    [got] = devserver.wait_for(1)
    assert got.tls and got.authenticated_as == "alice"
    check_issue_message(got.raw, got.envelope_from, got.envelope_to, files)


def test_issue_example_through_the_data_writer(recorder, files):
    address, handler = recorder
    sender, recipients, data = envelope(message(issue_spec(files)))
    c, err = smtp.Dial(address)
    assert err is None and c.Mail(sender) is None
    for r in recipients:
        assert c.Rcpt(r) is None
    w, err = c.Data()
    assert w.Write(data) == [len(data), None] and w.Close() is None and c.Quit() is None
    [(mail_from, rcpt_tos, raw)] = handler.messages
    check_issue_message(raw, mail_from, rcpt_tos, files)


def test_a_composed_message_alone_to_send_and_send_many(recorder, files):
    address, handler = recorder
    m = message(issue_spec(files))
    result = send(address, m, tls="none", timeout=T)
    assert result.accepted == ["bob@example.com", "cecile@example.org", "dan@example.com", "eve@example.net"]
    other = message({"from": "x@example.com", "to": "y@example.com", "bcc": "z@example.com", "body": "two"})
    results = send_many(address, [m, other, ("a@example.com", ["b@example.com"], b"Subject: 3\r\n\r\nthree\r\n")],
                        tls="none", timeout=T)
    assert [len(r.accepted) for r in results] == [4, 2, 1]
    first, again, second, third = handler.messages
    check_issue_message(first[2], first[0], first[1], files)
    assert again[2] == first[2] == envelope(m).data  # the same bytes as envelope's, every time
    assert second[1] == ["y@example.com", "z@example.com"] and b"z@example.com" not in second[2]
    check_wire(second[2])
    with pytest.raises(TypeError, match="no message"):
        send(address, "a@example.com", ["b@example.com"])


def test_envelope_of_a_plain_email_message_strips_both_bcc_headers():
    m = email_message({"From": "a@example.com", "Sender": "list@example.com", "To": "b@example.com, B <B@example.com>",
                       "Bcc": "b@example.com, c@example.com", "Resent-Bcc": "d@example.com"}, "x\n")
    sender, recipients, data = envelope(m)
    assert sender == "list@example.com"
    assert recipients == ["b@example.com", "B@example.com", "c@example.com"]
    assert b"Bcc" not in data and b"d@example.com" not in data and data.endswith(b"\r\nx\r\n")
    assert m["Resent-Bcc"] == "d@example.com"


def test_envelope_refuses_what_cannot_be_sent():
    with pytest.raises(TypeError, match="EmailMessage|Message"):
        envelope(b"From: a@example.com\r\n\r\nx")
    m = email_message({"To": "b@example.com"})
    with pytest.raises(EnvelopeError, match="neither Sender nor From"):
        envelope(m)
    m["From"] = "a@example.com"
    m.set_payload("x" * 1200 + "\n")  # a raw payload: nothing re-encodes it
    with pytest.raises(ComposeError, match="more than 998"):
        envelope(m)


# --------------------------------------------------------------------------
# Shapes: body forms, inline parts, defaults
# --------------------------------------------------------------------------


def tree(m: email.message.Message) -> list[str]:
    return [p.get_content_type() for p in m.walk()]


def roundtrip(m) -> email.message.EmailMessage:
    return BytesParser(policy=email.policy.default).parsebytes(envelope(m).data)


def test_body_shapes():
    base = {"from": "a@example.com", "to": "b@example.com"}
    assert tree(message(base)) == ["text/plain"]
    assert roundtrip(message({**base, "body": "hi\n"})).get_content() == "hi\r\n"  # MIME's canonical line end
    one = message({**base, "body": {"type": "text/html", "content": "<b>x</b>\n"}})
    assert tree(one) == ["text/html"] and one["MIME-Version"] == "1.0"
    assert tree(message({**base, "body": ["one\n", "two\n"]})) == ["multipart/mixed", "text/plain", "text/plain"]
    alt = message({**base, "body": [":alternative", "plain\n", {"type": "text/html", "content": "<p>x</p>\n"}]})
    assert tree(alt) == ["multipart/alternative", "text/plain", "text/html"]
    assert alt["MIME-Version"] == "1.0"
    smiley = message({**base, "body": [":-) hello\n", "x\n"]})
    assert tree(smiley) == ["multipart/mixed", "text/plain", "text/plain"]


def test_an_inline_part_nobody_references_stays_in_the_mixed_list(files):
    m = message({"from": "a@example.com", "to": "b@example.com",
                 "body": [{"type": "text/html", "content": "<p>no image</p>\n"},
                          {"type": "inline", "content": files / "logo.png", "content-id": "<logo>"}]})
    assert tree(m) == ["multipart/mixed", "text/html", "image/png"]
    assert roundtrip(m).get_payload()[1]["Content-ID"] == "<logo>"


def test_file_content_from_a_binary_file_and_types_from_names(files):
    with open(files / "logo.png", "rb") as f:
        m = message({"from": "a@example.com", "to": "b@example.com",
                     "body": ["x\n", {"type": "attachment", "content": f},
                              {"type": "attachment", "content": io.BytesIO(b"gz"), "file-name": "a.tar.gz"},
                              {"type": "attachment", "content": b"m", "file-name": "fwd.eml"},
                              {"type": "attachment", "content": b"?", "file-name": "Grüße.txt"}]})
    got = roundtrip(m).get_payload()
    assert got[1].get_filename() == "logo.png" and got[1].get_content() == LOGO
    assert [p.get_content_type() for p in got[2:]] == ["application/gzip", "application/octet-stream", "text/plain"]
    assert got[4].get_filename() == "Grüße.txt" and got[4].get_content_disposition() == "attachment"


def test_defaults_and_explicit_headers():
    m = message({"from": "a@example.com", "to": "b@example.com", "date": "Tue, 01 Dec 2026 03:00:00 +0000",
                 "message-id": "<x1@example.com>", "sender": "list@example.com",
                 "headers": {"X-Tag": ["one", "two"]}})
    assert m["Date"] == "Tue, 01 Dec 2026 03:00:00 +0000" and m["Message-ID"] == "<x1@example.com>"
    assert m.get_all("X-Tag") == ["one", "two"] and envelope(m).sender == "list@example.com"
    generated = message({"from": "a@mail.example.com", "to": "b@example.com"})
    assert generated["Message-ID"].endswith("@mail.example.com>")
    assert generated["Date"].datetime.tzinfo is not None


def test_text_encodings_are_chosen_per_part():
    def cte(text):
        return message({"from": "a@example.com", "body": text})["Content-Transfer-Encoding"]

    assert cte("short ascii lines\n") == "7bit"
    assert cte("no final newline") == "quoted-printable"
    assert cte("x" * 200 + "\n") == "quoted-printable"
    assert cte("trailing space \n") == "quoted-printable"
    assert cte("Grüße aus Göteborg, schöne Woche!\n") == "quoted-printable"
    assert cte("Привет, мир\n") == "base64"
    assert cte("日本語のテキスト\n") == "base64"
    assert cte("日本語") == "base64"


@pytest.mark.parametrize("text", [
    "Hello", "", "\n", "a\r\nb\r\n", ".\n.\n..\n", "x" * 5000, "ends with a dot\n.", "From here\n",
    "Grüße ✓ without newline", "tab\tand trailing space  ", "日本語のテキスト", "lone\rcr", "=3D=\n",
])
def test_text_arrives_exactly_on_aiosmtpd(shared_recorder, text):
    address, handler = shared_recorder
    del handler.messages[:]
    for body in (text, [text, {"type": "attachment", "content": b"x", "file-name": "x"}]):
        m = message({"from": "a@example.com", "to": "b@example.com", "body": body})
        send(address, *envelope(m), tls="none", timeout=T)
        raw = handler.messages[-1][2]
        check_wire(raw)
        got = BytesParser(policy=email.policy.default).parsebytes(raw)
        part = got if isinstance(body, str) else got.get_payload()[0]
        assert re.sub(r"\r\n?", "\n", part.get_content()) == re.sub(r"\r\n?", "\n", text)


# --------------------------------------------------------------------------
# Property: whatever text and bytes go in come out
# --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(), data=st.binary(max_size=3000), single=st.booleans())
def test_any_text_and_attachment_survive_compose_send_receive(shared_recorder, text, data, single):
    address, handler = shared_recorder
    body = text if single else [[":alternative", text, {"type": "text/html", "content": text}],
                                {"type": "attachment", "content": data, "file-name": "data.bin"}]
    subject = "".join(c for c in " ".join(text[:50].splitlines()) if c == "\t" or unicodedata.category(c) != "Cc")
    m = message({"from": "a@example.com", "to": "b@example.com", "subject": subject, "body": body})
    send(address, *envelope(m), tls="none", timeout=T)
    raw = handler.messages[-1][2]
    check_wire(raw)
    got = BytesParser(policy=email.policy.default).parsebytes(raw)
    canonical = re.sub(r"\r\n?", "\n", text)
    if single:
        assert re.sub(r"\r\n?", "\n", got.get_content()) == canonical
    else:
        plain, html = got.get_payload()[0].get_payload()
        assert re.sub(r"\r\n?", "\n", plain.get_content()) == canonical
        assert re.sub(r"\r\n?", "\n", html.get_content()) == canonical
        assert got.get_payload()[1].get_content() == data


# --------------------------------------------------------------------------
# Bad input: a clear error, before anything is sent
# --------------------------------------------------------------------------


@pytest.mark.parametrize("spec, error", [
    ({"from": "a@example.com", "subjcet": "x"}, r"unknown key 'subjcet'; did you mean 'subject'\?"),
    ({"to": "b@example.com"}, r":from is required"),
    ({"from": "a@example.com", "subject": "x\r\nBcc: evil@example.com"}, r":subject: .* contains a CR, LF or other line break"),
    ({"from": "a@example.com", "to": "b@example.com\nBcc: x@example.com"}, r":to: .* contains a CR, LF or other line break"),
    ({"from": "a@example.com", "headers": {"X-A": "1\r\nX-B: 2"}}, r":headers X-A: .* contains a CR, LF or other line break"),
    ({"from": "bob"}, r":from: 'bob' is not an address"),
    ({"from": "bob@"}, r":from: 'bob@' is not an address"),
    ({"from": "a@example.com", "cc": "c@example.com trailing words"}, r":cc: .* is not an address"),
    ({"from": ["a@example.com", "b@example.com"]}, r"need a :sender"),
    ({"from": "a@example.com", "body": [{"type": "attachment", "path": "/nonexistent/report.csv"}]},
     r"body\[0\]: cannot read the file given as :path \(No such file or directory\)\Z"),
    ({"from": "a@example.com", "body": [{"type": "attachment", "content": Path("/nonexistent/r.csv")}]},
     r"body\[0\]: cannot read the file given as :content \(No such file or directory\)\Z"),
    ({"from": "a@example.com", "body": [{"type": "attachment", "content": "/nonexistent/report.csv"}]},
     r"body\[0\]: a string :content is the file's text and needs a :file-name; a file to attach goes in :path"),
    ({"from": "a@example.com", "body": [{"type": "attachment", "path": 42}]},
     r"body\[0\]: :path must be a path \(a string or a pathlib.Path\), got int"),
    ({"from": "a@example.com", "body": [{"type": "attachment", "path": "a\0b"}]},
     r"body\[0\]: cannot read the file given as :path \(not a file name\)"),
    ({"from": "a@example.com", "body": [{"type": "attachment", "path": "a.csv", "content": b"x"}]},
     r"body\[0\]: a part needs :content or :path \(one of them\)"),
    ({"from": "a@example.com", "body": {"type": "text/plain", "path": "notes.txt"}},
     r"body: :path is for :attachment and :inline parts"),
    ({"from": "a@example.com", "body": {"type": "application/json", "content": "\ud800"}},
     r"body: the string :content cannot be encoded as UTF-8"),
    ({"from": "a@example.com", "body": {"type": "text/html"}}, r"body: a part needs :content"),
    ({"from": "a@example.com", "body": [{"type": "attachment", "contnet": b"x"}]},
     r"body\[0\]: unknown key 'contnet'; did you mean 'content'\?"),
    ({"from": "a@example.com", "body": [":alternativ", "x"]}, r"unknown group ':alternativ'; did you mean :alternative\?"),
    ({"from": "a@example.com", "body": {"type": "html", "content": "x"}}, r":type must be a MIME type"),
    ({"from": "a@example.com", "body": {"type": "text/plain", "content": b"x"}}, r"must be a string"),
    ({"from": "a@example.com", "body": {"type": "text/plain", "content": "x", "file-name": "a"}},
     r":file-name is for :attachment"),
    ({"from": "a@example.com", "body": {"type": "attachment", "content": io.StringIO("x")}}, r"binary mode"),
    ({"from": "a@example.com", "headers": {"Subject": "x"}}, r"Subject cannot be set here \(use :subject\)"),
    ({"from": "a@example.com", "headers": {"Content-Type": "x/y"}}, r"Content-Type cannot be set here"),
    ({"from": "a@example.com", "date": "yesterday"}, r":date: 'yesterday' is not an RFC 5322 date"),
    ({"from": "a@example.com", "message-id": "no at sign"}, r":message-id: .* is not a message id"),
    ({"from": "a@example.com", "reply_to": "x@example.com", "reply-to": "y@example.com"}, r"given twice"),
    ({"from": "a@example.com", "body": "\ud800"}, r"body: the text cannot be encoded as UTF-8"),
    ({"from": "a@example.com", "body": ["x", {"content": "\ud800"}]}, r"body\[1\]: the text cannot be encoded"),
    ("not a map", r"message must be a map"),
])
def test_bad_input_is_named(spec, error):
    with pytest.raises(ComposeError, match=error):
        message(spec)


# -- control characters in headers (issue 21, finding 15) ---------------------------------

CONTROLS = ["\x00", "\x1b", "\x7f", "\x01", "\x08", "\x0e", "\x1f", "\x80", "\x9b"]  # U+0085 is a line break: refused as one


def attachment(**keys) -> dict:
    return {"from": "a@example.com", "body": ["x", {"type": "attachment", "content": b"x", "file-name": "a.bin",
                                                    **keys}]}


HEADER_PATHS = {
    ":subject": lambda bad: {"from": "a@example.com", "subject": "Hi " + bad + "[2J"},
    ":headers X-Note": lambda bad: {"from": "a@example.com", "headers": {"X-Note": ["ok", "a" + bad]}},
    ":from": lambda bad: {"from": "Ev" + bad + "e <e@example.com>"},
    ":to": lambda bad: {"from": "a@example.com", "to": ["b@example.com", "B" + bad + "b <b@example.com>"]},
    ":cc": lambda bad: {"from": "a@example.com", "cc": Address("C" + bad, "c", "example.com")},
    ":reply-to": lambda bad: {"from": "a@example.com", "reply-to": '"R' + bad + '" <r@example.com>'},
    ":sender": lambda bad: {"from": "a@example.com", "sender": "S" + bad + " <s@example.com>"},
    ":message-id": lambda bad: {"from": "a@example.com", "message-id": "x" + bad + "@example.com"},
    ":date": lambda bad: {"from": "a@example.com", "date": "Tue, 01 Dec 2026 03:00:00 +0000" + bad},
    "body[1] :file-name": lambda bad: attachment(**{"file-name": "a" + bad + ".pdf"}),
    "body[1] :description": lambda bad: attachment(description="d" + bad),
    "body[1] :content-id": lambda bad: attachment(**{"content-id": "c" + bad + "@example.com"}),
}


@pytest.mark.parametrize("bad", CONTROLS, ids=lambda c: "U+%04X" % ord(c))
@pytest.mark.parametrize("key", sorted(HEADER_PATHS))
def test_control_characters_in_any_header_are_refused_naming_the_key(key, bad):
    with pytest.raises(ComposeError) as failure:
        message(HEADER_PATHS[key](bad))
    text = str(failure.value)
    assert text.startswith(key + ": ") and "U+%04X" % ord(bad) in text, text
    assert bad not in text  # the error itself is safe to print


def test_tab_stays_legal_in_unstructured_headers_and_file_names():
    m = message({"from": "a@example.com", "subject": "a\tb", "headers": {"X-Note": "c\td"},
                 "body": ["x", {"type": "attachment", "content": b"x", "file-name": "e\tf.txt", "description": "g\th"}]})
    assert m["Subject"] == "a\tb" and m["X-Note"] == "c\td"
    attached = m.get_payload()[1]
    assert attached.get_filename() == "e\tf.txt" and attached["Content-Description"] == "g\th"


def test_no_raw_control_byte_reaches_the_wire_through_composition():
    # Text content may hold any character: it is encoded, never written raw.
    text = "".join(CONTROLS) + "\n"
    data = envelope(message({"from": "a@example.com", "to": "b@example.com", "subject": "clean", "body": text,
                             })).data
    assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", data)


# -- file paths are explicit (issue 21, finding 20) --------------------------------------


def test_a_string_content_is_content_never_a_file_name(files):
    secret = str(files / "report.csv")
    m = message({"from": "a@example.com", "body": [
        "x", {"type": "application/json", "content": secret},
        {"type": "attachment", "content": "/etc/passwd", "file-name": "passwd.txt"}]})
    _, as_json, as_text = m.get_payload()
    assert as_json.get_content_type() == "application/json" and as_json.get_content() == secret.encode()
    assert as_text.get_filename() == "passwd.txt" and as_text.get_content() == "/etc/passwd"


def test_a_file_is_read_from_path_or_a_path_value(files):
    m = message({"from": "a@example.com", "body": [
        "x", {"type": "attachment", "path": str(files / "report.csv")},
        {"type": "attachment", "path": files / "report.csv", "file-name": "r.csv"},
        {"type": "attachment", "content": files / "logo.png"},
        {"type": "application/json", "path": str(files / "report.csv")}]})
    parts = m.get_payload()[1:]
    assert [p.get_filename() for p in parts] == ["report.csv", "r.csv", "logo.png", "report.csv"]
    assert [p.get_payload(decode=True) for p in parts] == [CSV, CSV, LOGO, CSV]
    assert parts[3].get_content_type() == "application/json"


@pytest.mark.parametrize("given", ["path", "content"])
def test_a_path_that_does_not_open_is_never_repeated(files, given):
    secret = str(files / "private" / "id_ed25519")
    value = secret if given == "path" else Path(secret)
    with pytest.raises(ComposeError) as failure:
        message({"from": "a@example.com", "body": {"type": "attachment", given: value}})
    assert "id_ed25519" not in str(failure.value) and "private" not in str(failure.value)
    assert str(failure.value) == "body: cannot read the file given as :%s (No such file or directory)" % given


def test_a_bad_message_never_reaches_the_server(recorder):
    address, handler = recorder
    with pytest.raises(ComposeError):
        send(address, *envelope(message({"from": "a@example.com", "to": "b@example.com", "subjcet": "x"})),
             tls="none", timeout=T)
    send(address, *envelope(message({"from": "a@example.com", "to": "b@example.com", "body": "ok\n"})),
         tls="none", timeout=T)
    assert len(handler.messages) == 1


def test_the_demo_sends_a_composed_signed_message():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import hy, go_std.quickstart as q; raise SystemExit(q.main())"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "the server caught 4 messages" in out.stdout
    assert "ok    NewClient (TLS from the first byte)" in out.stdout  # Go's port-465 recipe
    assert "'Grüße from Hy ✓'" in out.stdout
    assert "multipart/mixed > multipart/alternative > text/plain > text/html > text/csv" in out.stdout
    assert "its DKIM signature verifies against the published key: True" in out.stdout
