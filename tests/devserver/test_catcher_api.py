"""Mailpit's v1 API on the dev server, over real HTTP, with mail sent over SMTP.

Field names, types and status codes follow Mailpit's API documentation
(swagger: MessagesSummary, MessageSummary, Message, Attachment).
"""

from __future__ import annotations

import asyncio
import base64
import email.message
import hashlib
import json
import re
import sqlite3
import urllib.error
import urllib.request
from datetime import datetime

import aiohttp
import pytest

from catcher_http import T, call, get_json, plain, smtp
from email_messages import email_message

from smtp_core.devserver import DevServer
from smtp_core.devserver.mailbox import indexschema
from smtp_core.devserver.mailbox.search import to_sql

SUMMARY_FIELDS = {"ID", "MessageID", "Read", "From", "To", "Cc", "Bcc", "ReplyTo", "Subject",
                  "Created", "Username", "Tags", "Size", "Attachments", "Snippet"}
MESSAGE_FIELDS = {"ID", "MessageID", "From", "To", "Cc", "Bcc", "ReplyTo", "ReturnPath", "Subject",
                  "ListUnsubscribe", "Date", "Tags", "Username", "Text", "HTML", "Size", "Inline",
                  "Attachments", "SMIME"}
ATTACHMENT_FIELDS = {"PartID", "FileName", "ContentType", "ContentID", "Size", "Checksums"}
LIST_FIELDS = {"total", "unread", "count", "messages_count", "messages_unread", "start", "tags", "messages"}


def rich_message() -> email.message.EmailMessage:
    msg = email_message({"From": "Ann Example <ann@example.com>", "To": "Bob <bob@example.com>, carol@example.com",
                         "Cc": "Dan <dan@example.com>", "Reply-To": "replies@example.com",
                         "Subject": "Quarterly report für Q3", "Message-ID": "<report-1@example.com>",
                         "Date": "Tue, 01 Dec 2026 02:00:00 +0100",
                         "List-Unsubscribe": "<mailto:leave@example.com>, <https://example.com/leave>"},
                        "Numbers are up.\nSee the attachment.\n",
                        html="<p>Numbers are <b>up</b>.</p><img src=\"cid:logo@example.com\">")
    msg.get_payload()[1].add_related(b"\x89PNG fake", maintype="image", subtype="png", cid="<logo@example.com>",
                                     filename="logo.png")
    msg.add_attachment(b"%PDF-1.4 report", maintype="application", subtype="pdf", filename="report.pdf")
    msg.add_attachment("<script>alert(1)</script>", subtype="html", filename="page.html")
    return msg


def iso_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert moment.tzinfo is not None, text
    return moment


# --------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------


def test_list_summary_fields_are_mailpits(catcher):
    smtp(catcher, ("ann@example.com", ["bob@example.com", "carol@example.com", "dan@example.com"], rich_message()))
    listing = get_json(catcher, "/api/v1/messages")
    assert set(listing) == LIST_FIELDS
    assert (listing["total"], listing["unread"], listing["count"], listing["start"]) == (1, 1, 1, 0)
    assert (listing["messages_count"], listing["messages_unread"], listing["tags"]) == (1, 1, [])
    [summary] = listing["messages"]
    assert set(summary) == SUMMARY_FIELDS
    assert re.fullmatch(r"[23456789A-HJ-NP-Za-km-z]{22}", summary["ID"])
    assert summary["MessageID"] == "report-1@example.com"
    assert summary["Read"] is False
    assert summary["From"] == {"Name": "Ann Example", "Address": "ann@example.com"}
    assert summary["To"] == [{"Name": "Bob", "Address": "bob@example.com"},
                             {"Name": "", "Address": "carol@example.com"}]
    assert summary["Cc"] == [{"Name": "Dan", "Address": "dan@example.com"}]
    assert summary["Bcc"] == []
    assert summary["ReplyTo"] == [{"Name": "", "Address": "replies@example.com"}]
    assert summary["Subject"] == "Quarterly report für Q3"
    assert abs((iso_time(summary["Created"]) - datetime.now().astimezone()).total_seconds()) < 60
    assert summary["Username"] == "" and summary["Tags"] == []
    assert summary["Size"] == len(catcher.wait_for(1)[0].raw)
    assert summary["Attachments"] == 2  # report.pdf and page.html; logo.png is inline
    assert summary["Snippet"] == "Numbers are up."


def test_list_is_newest_first_and_pages_with_start_and_limit(catcher):
    smtp(catcher, *(plain(f"message {n}") for n in range(5)))
    subjects = [m["Subject"] for m in get_json(catcher, "/api/v1/messages")["messages"]]
    assert subjects == [f"message {n}" for n in (4, 3, 2, 1, 0)]
    page = get_json(catcher, "/api/v1/messages?start=1&limit=2")
    assert [m["Subject"] for m in page["messages"]] == ["message 3", "message 2"]
    assert (page["total"], page["count"], page["start"]) == (5, 2, 1)
    # Mailpit keeps the defaults for values that are not positive numbers.
    fallback = get_json(catcher, "/api/v1/messages?start=-3&limit=zero")
    assert (fallback["start"], fallback["count"]) == (0, 5)


def test_a_message_without_headers_gets_empty_fields(catcher):
    smtp(catcher, ("a@example.com", ["b@example.com"], b"just a body\r\n"))
    [summary] = get_json(catcher, "/api/v1/messages")["messages"]
    assert summary["From"] == {"Name": "", "Address": ""}
    assert (summary["To"], summary["Subject"], summary["MessageID"]) == ([], "", "")
    assert summary["Snippet"] == "just a body"


# --------------------------------------------------------------------------
# One message
# --------------------------------------------------------------------------


def test_message_fields_and_reading_marks_it_read(catcher):
    smtp(catcher, ("ann@example.com", ["bob@example.com"], rich_message()))
    [summary] = get_json(catcher, "/api/v1/messages")["messages"]
    message = get_json(catcher, f"/api/v1/message/{summary['ID']}")
    assert set(message) == MESSAGE_FIELDS
    assert message["ID"] == summary["ID"]
    for field in ("MessageID", "From", "To", "Cc", "Bcc", "ReplyTo", "Subject", "Size", "Username", "Tags"):
        assert message[field] == summary[field], field
    assert message["ReturnPath"] == "ann@example.com"  # the envelope sender
    assert iso_time(message["Date"]) == iso_time("2026-12-01T02:00:00+01:00")
    assert message["Text"] == "Numbers are up.\nSee the attachment.\n"
    assert message["HTML"].startswith("<p>Numbers are <b>up</b>.</p>")
    assert message["ListUnsubscribe"] == {
        "Header": "<mailto:leave@example.com>, <https://example.com/leave>",
        "Links": ["mailto:leave@example.com", "https://example.com/leave"],
        "Errors": "", "HeaderPost": "",
    }
    [logo] = message["Inline"]
    assert set(logo) == ATTACHMENT_FIELDS
    assert (logo["FileName"], logo["ContentType"], logo["ContentID"], logo["Size"]) == \
        ("logo.png", "image/png", "logo@example.com", len(b"\x89PNG fake"))
    pdf, html_file = message["Attachments"]
    assert (pdf["FileName"], pdf["ContentType"], pdf["ContentID"], pdf["Size"]) == \
        ("report.pdf", "application/pdf", "", len(b"%PDF-1.4 report"))
    assert pdf["Checksums"] == {"MD5": hashlib.md5(b"%PDF-1.4 report").hexdigest(),
                                "SHA1": hashlib.sha1(b"%PDF-1.4 report").hexdigest(),
                                "SHA256": hashlib.sha256(b"%PDF-1.4 report").hexdigest()}
    assert len({pdf["PartID"], html_file["PartID"], logo["PartID"]}) == 3

    after = get_json(catcher, "/api/v1/messages")
    assert after["messages"][0]["Read"] is True and after["unread"] == 0


def test_latest_names_the_newest_message(catcher):
    status, _, body = call(catcher, "GET", "/api/v1/message/latest")
    assert (status, body) == (404, b"Message not found")
    smtp(catcher, plain("older"), plain("newer"))
    assert get_json(catcher, "/api/v1/message/latest")["Subject"] == "newer"
    assert get_json(catcher, "/api/v1/message/latest?query=older")["Subject"] == "older"
    status, _, raw = call(catcher, "GET", "/api/v1/message/latest/raw")
    assert status == 200 and b"Subject: newer" in raw


def test_raw_is_the_message_as_received_with_the_envelope(catcher):
    sender, recipients, content = plain("raw one", body="line 1\r\n..dots\r\nline 3")
    smtp(catcher, (sender, recipients, content))
    [received] = catcher.wait_for(1)
    status, headers, raw = call(catcher, "GET", f"/api/v1/message/{received.id}/raw")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert raw == (b"Return-Path: <sender@example.com>\r\nX-Envelope-From: <sender@example.com>\r\n"
                   b"X-Envelope-To: <rcpt@example.com>\r\n" + received.raw)
    assert received.raw == content
    _, download, _ = call(catcher, "GET", f"/api/v1/message/{received.id}/raw?dl=1")
    assert download["Content-Disposition"] == f'attachment; filename="{received.id}.eml"'


def test_headers_are_go_mail_header_shaped(catcher):
    sender, recipients, _ = plain("x")
    content = (b"From: a@example.com\r\nReceived: by one\r\nReceived: by two\r\nsubject: folded\r\n"
               b" across lines\r\nX-Custom-HEADER: =?utf-8?q?caf=C3=A9?=\r\n\r\nbody\r\n")
    smtp(catcher, (sender, recipients, content))
    [received] = catcher.wait_for(1)
    headers = get_json(catcher, f"/api/v1/message/{received.id}/headers")
    assert list(headers) == sorted(headers)
    assert headers["Received"] == ["by one", "by two"]
    assert headers["Subject"] == ["folded across lines"]
    assert headers["X-Custom-Header"] == ["=?utf-8?q?caf=C3=A9?="]  # not decoded, as Go's
    assert headers["X-Envelope-To"] == ["<rcpt@example.com>"]


def test_parts_download_with_their_type_and_active_content_is_never_rendered(catcher):
    smtp(catcher, ("ann@example.com", ["bob@example.com"], rich_message()))
    [received] = catcher.wait_for(1)
    message = get_json(catcher, f"/api/v1/message/{received.id}")
    pdf, html_file = message["Attachments"]
    status, headers, content = call(catcher, "GET", f"/api/v1/message/{received.id}/part/{pdf['PartID']}")
    assert (status, content) == (200, b"%PDF-1.4 report")
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="report.pdf"'
    status, headers, content = call(catcher, "GET", f"/api/v1/message/{received.id}/part/{html_file['PartID']}")
    assert status == 200 and content == b"<script>alert(1)</script>\r\n"
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == 'attachment; filename="page.html"'
    assert headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert headers["X-Content-Type-Options"] == "nosniff"
    [logo] = message["Inline"]
    status, headers, content = call(catcher, "GET", f"/api/v1/message/{received.id}/part/{logo['PartID']}")
    assert (status, headers["Content-Type"], content) == (200, "image/png", b"\x89PNG fake")
    assert headers["Content-Disposition"] == 'inline; filename="logo.png"'


@pytest.mark.parametrize("suffix", ["", "/raw", "/headers", "/part/1"])
def test_unknown_ids_are_404(catcher, suffix):
    smtp(catcher, plain("present"))
    for unknown in ("nosuchmessageid0000000", "..%2F..%2Fetc%2Fpasswd", "new%2F1"):
        status, _, body = call(catcher, "GET", f"/api/v1/message/{unknown}{suffix}")
        assert (status, body) == (404, b"404 page not found"), unknown


def test_unknown_part_of_a_known_message_is_404(catcher):
    smtp(catcher, plain("no parts"))
    [received] = catcher.wait_for(1)
    status, _, _ = call(catcher, "GET", f"/api/v1/message/{received.id}/part/7.3")
    assert status == 404


# --------------------------------------------------------------------------
# Read status and deletion
# --------------------------------------------------------------------------


def test_put_sets_read_status_by_id_and_for_all(catcher):
    smtp(catcher, *(plain(f"m{n}") for n in range(3)))
    ids = [m["ID"] for m in get_json(catcher, "/api/v1/messages")["messages"]]
    status, headers, body = call(catcher, "PUT", "/api/v1/messages", {"IDs": ids[:2], "Read": True})
    assert (status, body) == (200, b"ok") and headers["Content-Type"].startswith("text/plain")
    listing = get_json(catcher, "/api/v1/messages")
    assert [m["Read"] for m in listing["messages"]] == [True, True, False] and listing["unread"] == 1
    assert call(catcher, "PUT", "/api/v1/messages", {"Read": True})[0] == 200
    assert get_json(catcher, "/api/v1/messages")["unread"] == 0
    assert call(catcher, "PUT", "/api/v1/messages", {"IDs": [ids[1]], "Read": False})[0] == 200
    assert [m["Read"] for m in get_json(catcher, "/api/v1/messages")["messages"]] == [True, False, True]


@pytest.mark.parametrize("body, complaint", [
    (b"{not json", b"invalid JSON body"),
    (b"[1, 2]", b"must be an object"),
    (b'{"IDs": "abc", "Read": true}', b"IDs must be an array"),
    (b'{"IDs": [], "Read": "yes"}', b"Read must be true or false"),
])
def test_bad_put_bodies_are_400_with_the_reason(catcher, body, complaint):
    status, _, reply = call(catcher, "PUT", "/api/v1/messages", body)
    assert status == 400 and complaint in reply


def test_delete_by_ids_then_everything(catcher):
    smtp(catcher, *(plain(f"m{n}") for n in range(3)))
    ids = [m["ID"] for m in get_json(catcher, "/api/v1/messages")["messages"]]
    assert call(catcher, "DELETE", "/api/v1/messages", {"IDs": [ids[0], "unknownid"]})[:3:2] == (200, b"ok")
    assert [m["ID"] for m in get_json(catcher, "/api/v1/messages")["messages"]] == ids[1:]
    assert call(catcher, "GET", f"/api/v1/message/{ids[0]}")[0] == 404
    assert len(list((catcher.maildir / "new").iterdir())) == 2
    assert call(catcher, "DELETE", "/api/v1/messages")[0] == 200  # no body: all
    assert get_json(catcher, "/api/v1/messages")["total"] == 0
    assert list((catcher.maildir / "new").iterdir()) == []
    assert catcher.messages() == []


# --------------------------------------------------------------------------
# Search
# --------------------------------------------------------------------------


@pytest.fixture
def searchable(catcher):
    smtp(
        catcher,
        plain("Invoice 42", body="Please pay the amount due", sender="billing@shop.example", to="ann@example.com"),
        plain("Welcome aboard", body="Hello and welcome", sender="hello@club.example", to="bob@example.com"),
        ("ann@example.com", ["bob@example.com", "carol@example.com", "dan@example.com"], rich_message()),
        plain("50% off_sale", body="cheap", sender="ads@shop.example", to="ann@example.com"),
    )
    ids = {m["Subject"]: m["ID"] for m in get_json(catcher, "/api/v1/messages")["messages"]}
    call(catcher, "PUT", "/api/v1/messages", {"IDs": [ids["Welcome aboard"]], "Read": True})
    return catcher


def found(server, query: str):
    listing = get_json(server, "/api/v1/search?query=" + urllib.request.quote(query))
    assert set(listing) == LIST_FIELDS
    return [m["Subject"] for m in listing["messages"]]


@pytest.mark.parametrize("query, subjects", [
    ("invoice", ["Invoice 42"]),
    ("AMOUNT due", ["Invoice 42"]),
    ('"amount due"', ["Invoice 42"]),
    ('"due amount"', []),
    ("from:shop.example", ["50% off_sale", "Invoice 42"]),
    ("from:billing", ["Invoice 42"]),
    ("to:bob@example.com", ["Quarterly report für Q3", "Welcome aboard"]),
    ("to:carol", ["Quarterly report für Q3"]),
    ("subject:welcome", ["Welcome aboard"]),
    ('subject:"report für"', ["Quarterly report für Q3"]),
    ("is:read", ["Welcome aboard"]),
    ("is:unread", ["50% off_sale", "Quarterly report für Q3", "Invoice 42"]),
    ("has:attachment", ["Quarterly report für Q3"]),
    ("report.pdf", ["Quarterly report für Q3"]),
    ("-from:shop.example", ["Quarterly report für Q3", "Welcome aboard"]),
    ("!is:unread", ["Welcome aboard"]),
    ("from:shop.example -invoice", ["50% off_sale"]),
    ("50%", ["50% off_sale"]),
    ("50_", []),  # LIKE's wildcards are literal
    ("5%f", []),
    ("off_sale", ["50% off_sale"]),
    ("message-id:report-1", ["Quarterly report für Q3"]),
    ("larger:1k", ["Quarterly report für Q3"]),
    ("nothing-matches-this", []),
])
def test_search_syntax(searchable, query, subjects):
    assert found(searchable, query) == subjects


@pytest.mark.parametrize("query", ["is:unread", "is:read", "-is:read", 'subject:"order 42" is:unread'])
def test_a_search_on_read_state_scans_rather_than_fetching_every_unread_row_by_key(query):
    """The read index serves the unread count; used for a search, it made
    SQLite fetch each unread row by key and sort them (17 against 13 ms
    over 10,000 unread messages)."""
    db = sqlite3.connect(":memory:")
    indexschema.prepare(db)
    where, parameters = to_sql(query)
    plan = db.execute(f"EXPLAIN QUERY PLAN SELECT seq, read FROM messages WHERE {where} ORDER BY seq DESC LIMIT 50",
                      parameters).fetchall()
    assert [step[-1] for step in plan] == ["SCAN messages"]
    db.close()


def test_search_counts_and_errors(searchable):
    listing = get_json(searchable, "/api/v1/search?query=from:shop.example&limit=1")
    assert (listing["total"], listing["unread"], listing["count"]) == (4, 3, 1)
    assert (listing["messages_count"], listing["messages_unread"]) == (2, 2)
    status, _, body = call(searchable, "GET", "/api/v1/search?query=%20")
    assert (status, body) == (400, b"Error: no search query")


def test_delete_search_deletes_only_the_matches(searchable):
    assert call(searchable, "DELETE", "/api/v1/search?query=from:shop.example")[0] == 200
    subjects = [m["Subject"] for m in get_json(searchable, "/api/v1/messages")["messages"]]
    assert subjects == ["Quarterly report für Q3", "Welcome aboard"]


# --------------------------------------------------------------------------
# Live events
# --------------------------------------------------------------------------


def test_websocket_events_in_mailpits_shape(catcher):
    smtp(catcher, plain("before"))

    async def scenario():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(catcher.url + "api/events", timeout=aiohttp.ClientWSTimeout(ws_receive=T)) as socket:
                async def next_event(wanted: str):
                    for _ in range(20):  # stats events come between the others
                        event = json.loads((await socket.receive(timeout=T)).data)
                        assert set(event) == {"Type", "Data"}
                        if event["Type"] == wanted:
                            return event["Data"]
                    raise AssertionError(f"no {wanted} event")

                await asyncio.to_thread(smtp, catcher, plain("live one"))
                new = await next_event("new")
                stats = await next_event("stats")
                listed = (await asyncio.to_thread(get_json, catcher, "/api/v1/messages"))["messages"][0]
                await asyncio.to_thread(call, catcher, "GET", f"/api/v1/message/{new['ID']}")
                update = await next_event("update")
                await asyncio.to_thread(call, catcher, "DELETE", "/api/v1/messages", {"IDs": [new["ID"]]})
                deleted = await next_event("delete")
                await asyncio.to_thread(call, catcher, "DELETE", "/api/v1/messages")
                truncated = await next_event("truncate")
                return new, stats, listed, update, deleted, truncated

    new, stats, listed, update, deleted, truncated = asyncio.run(scenario())
    assert new == {**listed, "Read": False}
    assert set(stats) == {"Total", "Unread", "Version"} and stats["Total"] == 2
    assert update == {"ID": new["ID"], "Read": True}
    assert deleted == {"ID": new["ID"]}
    assert truncated is None


# --------------------------------------------------------------------------
# Authentication and exposure
# --------------------------------------------------------------------------


def test_basic_auth_guards_every_route(make_catcher):
    server = make_catcher(http_auth="ann:s3cret")
    for path in ("/api/v1/messages", "/api/v1/message/latest", "/"):
        status, headers, _ = call(server, "GET", path)
        assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
    wrong = {"Authorization": "Basic " + base64.b64encode(b"ann:wrong").decode()}
    assert call(server, "GET", "/api/v1/messages", headers=wrong)[0] == 401
    right = {"Authorization": "Basic " + base64.b64encode(b"ann:s3cret").decode()}
    assert call(server, "GET", "/api/v1/messages", headers=right)[0] == 200


def test_http_off_loopback_needs_auth_or_an_explicit_choice(pki, tmp_path):
    with pytest.raises(ValueError, match="--http-auth"):
        DevServer(http_host="0.0.0.0", http_port=0, maildir=str(tmp_path))
    DevServer(http_host="0.0.0.0", http_port=0, http_auth=("a", "b"), maildir=str(tmp_path))
    DevServer(http_host="0.0.0.0", http_port=0, http_no_auth=True, maildir=str(tmp_path))
    DevServer(http_host="::1", http_port=0, maildir=str(tmp_path))


def test_no_http_by_default_in_process(devserver):
    assert devserver.url is None and devserver.http_port is None
