"""Mailpit's API beyond the mailbox (issue 20): info, web UI settings, send,
release, rendered views, link and spam checks, thumbnails.

Over real HTTP on loopback, and through npm's ``mailpit-api`` client run
with node (``tests/helpers/node``), as a Mailpit test suite would call it.  Field
names, statuses and texts follow Mailpit's ``server/apiv1`` and swagger.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from smtp_core import send_many
from smtp_core.devserver.features import Features

from catcher_http import T, call, get_json, relay_features, smtp
from catcher_peers import SPAMMY
from cli_process import DevServerProcess

# ---- 1. info and web UI settings ----

INFO_FIELDS = {"Version", "LatestVersion", "Database", "DatabaseSize", "Messages", "Unread", "Tags",
               "RuntimeStats"}
RUNTIME_FIELDS = {"Uptime", "Memory", "MessagesDeleted", "SMTPAccepted", "SMTPAcceptedSize",
                  "SMTPRejected", "SMTPIgnored"}


def test_info_has_mailpits_fields_and_counts_what_happened(make_catcher):
    catcher = make_catcher(reject_rcpt=["nobody@example.com"])
    messages = [("a@example.com", ["b@example.com"], b"Subject: one\r\n\r\nfirst\r\n"),
                ("a@example.com", ["b@example.com"], b"Subject: two\r\n\r\nsecond message\r\n")]
    smtp(catcher, *messages)
    refused = send_many(f"{catcher.host}:{catcher.port}",
                        [("a@example.com", ["nobody@example.com"], b"Subject: no\r\n\r\nx\r\n")],
                        tls="none", timeout=T)
    assert isinstance(refused[0], BaseException)
    first = get_json(catcher, "/api/v1/messages")["messages"][-1]["ID"]
    call(catcher, "DELETE", "/api/v1/messages", {"IDs": [first]})

    info = get_json(catcher, "/api/v1/info")
    assert set(info) == INFO_FIELDS and set(info["RuntimeStats"]) == RUNTIME_FIELDS
    assert (info["Messages"], info["Unread"], info["Tags"]) == (1, 1, {})
    stats = info["RuntimeStats"]
    assert stats["SMTPAccepted"] == 2
    assert stats["SMTPAcceptedSize"] == sum(len(raw) for _, _, raw in messages)
    assert (stats["SMTPRejected"], stats["MessagesDeleted"], stats["SMTPIgnored"]) == (1, 1, 0)
    assert stats["Memory"] > 1_000_000 and stats["Uptime"] >= 0
    assert Path(info["Database"]).is_file() and info["DatabaseSize"] > 0

    call(catcher, "DELETE", "/api/v1/messages")  # truncation counts as deletion too
    assert get_json(catcher, "/api/v1/info")["RuntimeStats"]["MessagesDeleted"] == 2


def test_webui_settings_default_to_everything_off(catcher):
    assert get_json(catcher, "/api/v1/webui") == {
        "Label": "",
        "MessageRelay": {"Enabled": False, "SMTPServer": "", "ReturnPath": "", "AllowedRecipients": "",
                         "BlockedRecipients": "", "OverrideFrom": "", "PreserveMessageIDs": False,
                         "RecipientAllowlist": ""},
        "SpamAssassin": False, "ChaosEnabled": False, "DuplicatesIgnored": False, "HideDeleteAllButton": False}


def test_webui_settings_show_the_configured_features(make_catcher):
    from smtp_core.devserver.features import RelaySettings
    import re

    features = Features(label="staging", spamassassin="127.0.0.1:783",
                        relay=RelaySettings("127.0.0.1", 2525, allowed=re.compile(r"@example\.com$")))
    webui = get_json(make_catcher(features=features), "/api/v1/webui")
    assert webui["Label"] == "staging" and webui["SpamAssassin"] is True
    assert webui["MessageRelay"] | {} == {
        "Enabled": True, "SMTPServer": "127.0.0.1:2525", "ReturnPath": "", "AllowedRecipients": r"@example\.com$",
        "BlockedRecipients": "", "OverrideFrom": "", "PreserveMessageIDs": True,
        "RecipientAllowlist": r"@example\.com$"}


def test_mailpit_api_client_reads_info_and_configuration(catcher, mailpit_client):
    smtp(catcher, ("a@example.com", ["b@example.com"], b"Subject: hi\r\n\r\nhello\r\n"))
    info = mailpit_client(catcher, "getInfo")["result"]
    assert info["Messages"] == 1 and info["RuntimeStats"]["SMTPAccepted"] == 1
    config = mailpit_client(catcher, "getConfiguration")["result"]
    assert config["MessageRelay"]["Enabled"] is False and config["Label"] == ""


@pytest.mark.parametrize("argv, complaint", [
    (["--smtp-relay", "nohost"], "--smtp-relay expects HOST:PORT"),
    (["--smtp-relay-auth", "u:p"], "--smtp-relay-auth needs --smtp-relay"),
    (["--smtp-relay", "127.0.0.1:25", "--smtp-relay-allowed", "("], "--smtp-relay-allowed is not a regular"),
    (["--smtp-relay", "127.0.0.1:25", "--smtp-relay-auth", "nopassword"], "--smtp-relay-auth expects USER:PASSWORD"),
    (["--enable-spamassassin", "783"], "--enable-spamassassin expects HOST:PORT"),
])
def test_feature_flags_refuse_bad_values_by_name(argv, complaint, capsys):
    from smtp_core.devserver.cli import main

    with pytest.raises(SystemExit):
        main(argv)
    assert complaint in capsys.readouterr().err


def test_feature_flags_make_features():
    import argparse

    from smtp_core.devserver.web import service as catcher

    parser = argparse.ArgumentParser()
    catcher.add_arguments(parser)
    options = parser.parse_args(["--smtp-relay", "[::1]:2525", "--smtp-relay-auth", "ann:pw",
                                 "--smtp-relay-starttls", "required", "--smtp-relay-allowed", "@example",
                                 "--enable-spamassassin", "127.0.0.1:783", "--label", "x"])
    features = catcher.feature_options(parser, options)
    assert features.relay.address == "[::1]:2525" and features.relay.auth == ("ann", "pw")
    assert features.relay.starttls == "required" and features.relay.allowed.pattern == "@example"
    assert (features.spamassassin, features.label) == ("127.0.0.1:783", "x")


# ---- 2. the send API ----

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake").decode()


def full_request() -> dict:
    return {
        "From": {"Email": "ann@example.com", "Name": "Ann Example"},
        "To": [{"Email": "bob@example.com", "Name": "Bob"}, {"Email": "carol@example.com"}],
        "Cc": [{"Email": "dan@example.com", "Name": "Dän"}],
        "Bcc": ["hidden@example.com"],
        "ReplyTo": [{"Email": "replies@example.com"}],
        "Subject": "Grüße from the send API",
        "Text": "Plain body\n",
        "HTML": '<p>HTML body <img src="cid:logo"></p>',
        "Attachments": [{"Content": base64.b64encode(b"%PDF-1.4 x").decode(), "Filename": "report.pdf",
                         "ContentType": "application/pdf"},
                        {"Content": "data:image/png;base64," + PNG, "Filename": "logo.png",
                         "ContentType": "image/png", "ContentID": "logo"}],
        "Headers": {"X-Campaign": "spring", "Message-ID": "<sent-1@example.com>"},
        "Tags": ["news", "test"],
    }


def test_send_builds_the_message_and_stores_it_as_smtp_mail(catcher):
    status, headers, body = call(catcher, "POST", "/api/v1/send", full_request())
    assert status == 200 and headers["Content-Type"].startswith("application/json"), body
    sent_id = json.loads(body)["ID"]
    message = get_json(catcher, f"/api/v1/message/{sent_id}")
    assert message["From"] == {"Name": "Ann Example", "Address": "ann@example.com"}
    assert [a["Address"] for a in message["To"]] == ["bob@example.com", "carol@example.com"]
    assert message["Cc"] == [{"Name": "Dän", "Address": "dan@example.com"}]
    assert message["Bcc"] == []  # the wire form, as smtp_core.send would deliver it
    assert message["ReplyTo"] == [{"Name": "", "Address": "replies@example.com"}]
    assert message["Subject"] == "Grüße from the send API" and message["MessageID"] == "sent-1@example.com"
    assert message["Text"].strip() == "Plain body" and "HTML body" in message["HTML"]
    assert [(a["FileName"], a["ContentType"]) for a in message["Attachments"]] == [("report.pdf", "application/pdf")]
    assert [(a["FileName"], a["ContentID"]) for a in message["Inline"]] == [("logo.png", "logo")]
    headers = get_json(catcher, f"/api/v1/message/{sent_id}/headers")
    assert headers["X-Campaign"] == ["spring"] and headers["X-Tags"] == ["news, test"]
    assert "Bcc" not in headers
    [stored] = catcher.messages()
    assert stored.envelope_from == "ann@example.com"
    assert stored.envelope_to == ("bob@example.com", "carol@example.com", "dan@example.com", "hidden@example.com")
    part = call(catcher, "GET", f"/api/v1/message/{sent_id}/part/{message['Inline'][0]['PartID']}")
    assert part[2] == base64.b64decode(PNG)


@pytest.mark.parametrize("change, complaint", [
    ({"Headers": {"Subject": "x"}}, 'cannot overwrite header: "Subject"'),
    ({"Headers": {"x-tags": "a"}}, 'cannot overwrite header: "x-tags"'),
    ({"Headers": {"X-Evil": "a\r\nBcc: victim@example.com"}}, "CR, LF"),
    ({"Subject": "hi\r\nBcc: victim@example.com"}, "CR, LF"),
    ({"From": {"Email": "ann@example.com", "Name": "Ann\r\nBcc: victim@example.com"}}, "CR, LF"),
    ({"To": [{"Email": "bob@"}]}, "is not an address"),
    ({"From": {"Name": "nobody"}}, "From: an address is an object with an Email"),
    ({"To": [], "Cc": None, "Bcc": []}, "no recipients"),
    ({"Attachments": [{"Content": "%%%", "Filename": "x.bin"}]}, 'error decoding base64 attachment "x.bin"'),
    ({"Subject": 7}, "Subject must be a string, got 7"),
    ({"Sender": "x"}, "unknown field 'Sender'"),
])
def test_send_refuses_bad_requests_with_a_json_error_and_stores_nothing(catcher, change, complaint):
    status, headers, body = call(catcher, "POST", "/api/v1/send", {**full_request(), **change})
    assert status == 400 and headers["Content-Type"].startswith("application/json")
    assert complaint in json.loads(body)["Error"]
    assert get_json(catcher, "/api/v1/messages")["total"] == 0
    status, _, body = call(catcher, "POST", "/api/v1/send", full_request())  # the next one still works
    assert status == 200


def test_send_refuses_bad_json(catcher):
    status, _, body = call(catcher, "POST", "/api/v1/send", b"{not json")
    assert status == 400 and json.loads(body)["Error"].startswith("invalid JSON body")


def test_mailpit_api_client_sends_and_waits_for_the_message(catcher, mailpit_client):
    sent = mailpit_client(catcher, "sendMessage", {
        "From": {"Email": "user@example.test", "Name": "First Last"},
        "To": [{"Email": "rec@example.test", "Name": "Recipient"}], "Subject": "Welcome", "Text": "hello"})
    found = mailpit_client(catcher, "waitForMessage", {"query": "subject:Welcome"})["result"]
    assert found["ID"] == sent["result"]["ID"] and found["From"]["Address"] == "user@example.test"
    refused = mailpit_client(catcher, "sendMessage", {"From": {"Email": "a@example.test"}, "To": [],
                                                      "Headers": {"To": "x"}})
    assert refused["error"].startswith("Mailpit API Error: 400")


# ---- 3. release through a relay ----

RELEASED = (b"From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nBcc: secret@example.com,\r\n"
            b" other@example.com\r\nSubject: release me\r\nMessage-ID: <keep-1@example.com>\r\n"
            b"Date: Tue, 01 Dec 2026 02:00:00 +0100\r\n\r\n.leading dot\r\nBcc: in the body stays\r\n")


def stored_id(catcher) -> str:
    return get_json(catcher, "/api/v1/messages")["messages"][0]["ID"]


def test_release_relays_the_stored_bytes_less_bcc_with_the_engine(make_catcher, make_devserver):
    relay = make_devserver(users={"relayer": "s3cret"}, require_auth=True)
    catcher = make_catcher(features=relay_features(relay, auth=("relayer", "s3cret")))
    smtp(catcher, ("bounce@example.com", ["bob@example.com"], RELEASED))
    status, _, body = call(catcher, "POST", f"/api/v1/message/{stored_id(catcher)}/release",
                           {"To": ["Carol <carol@example.com>", "dan@example.com"]})
    assert (status, body) == (200, b"ok")
    [relayed] = relay.wait_for(1)
    assert relayed.raw == RELEASED.replace(b"Bcc: secret@example.com,\r\n other@example.com\r\n", b"")
    assert relayed.envelope_from == "ann@example.com"
    assert relayed.envelope_to == ("carol@example.com", "dan@example.com")
    assert relayed.authenticated_as == "relayer"


def test_release_of_latest_through_mailpit_api(make_catcher, make_devserver, mailpit_client):
    relay = make_devserver()
    catcher = make_catcher(features=relay_features(relay))
    smtp(catcher, ("a@example.com", ["b@example.com"], b"From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"))
    result = mailpit_client(catcher, "releaseMessage", "latest", {"To": ["rcpt@example.com"]})
    assert result == {"result": "ok"}
    assert relay.wait_for(1)[0].envelope_to == ("rcpt@example.com",)


@pytest.mark.parametrize("to, complaint", [
    (["x@example.net"], "Failed: Address do not match the allowlist: x@example.net"),
    (["ok@example.com", "x@example.net", "y@example.org"],
     "Failed: Addresses do not match the allowlist: x@example.net, y@example.org"),
    (["not an address"], "Invalid email address: not an address"),
    ([], "No valid addresses found"),
])
def test_release_refuses_recipients_the_allow_list_refuses(make_catcher, make_devserver, to, complaint):
    import re

    relay = make_devserver()
    catcher = make_catcher(features=relay_features(relay, allowed=re.compile(r"@example\.com$")))
    smtp(catcher, ("a@example.com", ["b@example.com"], b"From: a@example.com\r\n\r\nbody\r\n"))
    status, headers, body = call(catcher, "POST", f"/api/v1/message/{stored_id(catcher)}/release", {"To": to})
    assert (status, body.decode()) == (400, complaint) and headers["Content-Type"].startswith("text/plain")
    assert relay.messages() == []


def test_release_without_a_relay_unknown_ids_and_relay_failures(make_catcher, make_devserver):
    catcher = make_catcher()
    smtp(catcher, ("a@example.com", ["b@example.com"], b"From: a@example.com\r\n\r\nbody\r\n"))
    path = f"/api/v1/message/{stored_id(catcher)}/release"
    status, _, body = call(catcher, "POST", path, {"To": ["b@example.com"]})
    assert status == 400 and b"--smtp-relay HOST:PORT" in body
    assert call(catcher, "POST", "/api/v1/message/nosuchid/release", {"To": ["b@example.com"]})[0] == 404
    assert call(catcher, "POST", path, b"{")[0] == 400

    # The relay's certificate is not trusted: STARTTLS required fails, nothing is sent.
    relay = make_devserver(reject_rcpt=["refused@example.com"])
    strict = make_catcher(features=relay_features(relay, starttls="required"))
    smtp(strict, ("a@example.com", ["b@example.com"], b"From: a@example.com\r\n\r\nbody\r\n"))
    status, _, body = call(strict, "POST", f"/api/v1/message/{stored_id(strict)}/release", {"To": ["b@example.com"]})
    assert status == 400 and body.startswith(b"SMTP error: ") and b"certificate" in body.lower()
    plain = make_catcher(features=relay_features(relay))
    status, _, body = call(plain, "POST", f"/api/v1/message/{stored_id(plain)}/release",
                           {"To": ["refused@example.com"]})
    assert status == 400 and body.startswith(b"SMTP error: ") and b"550" in body
    assert relay.messages() == []


# ---- 4. rendered views ----


def test_views_render_text_and_html_for_an_id_and_latest(catcher, mailpit_client):
    from smtp_core.devserver.web.page import VIEW_CSP

    call(catcher, "POST", "/api/v1/send", {"From": {"Email": "old@example.com"}, "To": [{"Email": "b@example.com"}],
                                           "Subject": "older", "Text": "older text"})
    status, _, body = call(catcher, "POST", "/api/v1/send", full_request())
    new_id = json.loads(body)["ID"]
    inline_part = get_json(catcher, f"/api/v1/message/{new_id}")["Inline"][0]["PartID"]
    for name in (new_id, "latest"):
        status, headers, html = call(catcher, "GET", f"/view/{name}.html")
        assert status == 200 and headers["Content-Security-Policy"] == VIEW_CSP
        assert f'src="/api/v1/message/{new_id}/part/{inline_part}"'.encode() in html and b"cid:" not in html
        status, headers, text = call(catcher, "GET", f"/view/{name}.txt")
        assert (status, text.strip()) == (200, b"Plain body")
        assert headers["Content-Type"].startswith("text/plain")
        assert headers["Content-Security-Policy"] == "sandbox" and headers["X-Content-Type-Options"] == "nosniff"
    assert call(catcher, "GET", "/view/nosuchid.txt")[0] == 404
    assert mailpit_client(catcher, "renderMessageText")["result"].strip() == "Plain body"
    assert "HTML body" in mailpit_client(catcher, "renderMessageHTML", "latest")["result"]


def test_views_of_latest_with_no_mail_are_404(catcher):
    assert call(catcher, "GET", "/view/latest.txt")[0] == 404
    assert call(catcher, "GET", "/view/latest.html")[0] == 404


# ---- 5. link check ----


@pytest.fixture
def link_server():
    """A loopback aiohttp server for the links: ``(base_url, seen)``, where
    ``seen`` lists ``(method, path, headers)`` of every request."""
    import asyncio
    import threading

    from aiohttp import web

    seen: list = []
    finish = asyncio.Event()  # lets the slow link answer at teardown

    async def handle(request):
        seen.append((request.method, request.path, dict(request.headers)))
        path = request.path
        if path == "/ok":
            return web.Response(text="fine", headers={"Set-Cookie": "tracker=1"})
        if path == "/no-head":
            return web.Response(status=405 if request.method == "HEAD" else 200)
        if path == "/moved":
            raise web.HTTPFound("/ok")
        if path.startswith("/loop"):
            raise web.HTTPFound(f"/loop{len(path)}")
        if path == "/to-ftp":
            raise web.HTTPFound("ftp://127.0.0.1/file")
        if path == "/slow":
            await finish.wait()
            return web.Response(text="late")
        return web.Response(status=404)

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = site._server.sockets[0].getsockname()[1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", seen
    loop.call_soon_threadsafe(finish.set)
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(T)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(T)
    loop.close()


def send_links(catcher, base: str, *, auth=None) -> str:
    html = (f'<a href="{base}/ok">ok</a> <a href="{base}/missing">gone</a> <img src="{base}/no-head">'
            f'<a href="{base}/moved">moved</a> <a href="mailto:x@example.com">mail</a> <img src="cid:x">'
            f'<link rel="stylesheet" href="{base}/loop">')
    text = f"Also {base}/ok and <{base}/to-\nftp>\n"
    request = {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}], "HTML": html, "Text": text}
    status, _, body = call(catcher, "POST", "/api/v1/send", request, headers=auth)
    assert status == 200, body
    return json.loads(body)["ID"]


def test_link_check_heads_each_link_once_and_counts_errors_as_mailpit(catcher, link_server):
    base, seen = link_server
    message_id = send_links(catcher, base)
    result = get_json(catcher, f"/api/v1/message/{message_id}/link-check")
    assert result == {"Errors": 1, "Links": [
        {"URL": f"{base}/ok", "StatusCode": 200, "Status": "OK"},
        {"URL": f"{base}/missing", "StatusCode": 404, "Status": "Not Found"},
        {"URL": f"{base}/moved", "StatusCode": 302, "Status": "Found"},
        {"URL": f"{base}/loop", "StatusCode": 302, "Status": "Found"},  # anchors, style sheets, images
        {"URL": f"{base}/no-head", "StatusCode": 200, "Status": "OK"},
        {"URL": f"{base}/to-ftp", "StatusCode": 302, "Status": "Found"},
    ]}
    assert sorted((method, path) for method, path, _ in seen) == sorted(
        [("HEAD", "/ok"), ("HEAD", "/missing"), ("HEAD", "/moved"), ("HEAD", "/loop"), ("HEAD", "/no-head"),
         ("GET", "/no-head"), ("HEAD", "/to-ftp")])


def test_link_check_follows_redirects_within_caps_and_sends_no_credentials(make_catcher, link_server,
                                                                           mailpit_client):
    base, seen = link_server
    catcher = make_catcher(http_auth="admin:hunter2")
    login = {"Authorization": "Basic " + base64.b64encode(b"admin:hunter2").decode(), "Cookie": "session=1"}
    message_id = send_links(catcher, base, auth=login)
    status, _, body = call(catcher, "GET", f"/api/v1/message/{message_id}/link-check?follow=true", headers=login)
    links = {link["URL"].removeprefix(base): link for link in json.loads(body)["Links"]}
    assert links["/moved"]["StatusCode"] == 200
    assert links["/loop"] == {"URL": f"{base}/loop", "StatusCode": 0, "Status": "stopped after 5 redirects"}
    assert links["/to-ftp"]["StatusCode"] == 0  # only http(s) is followed
    assert json.loads(body)["Errors"] == 3  # /missing, /loop, /to-ftp
    assert len([path for _, path, _ in seen if path.startswith("/loop")]) == 5  # 5 redirects, the 5th not followed
    for _, _, headers in seen:
        assert "Authorization" not in headers and "Cookie" not in headers and "Referer" not in headers


def test_link_check_bounds_the_time_of_a_slow_link(catcher, link_server, monkeypatch, mailpit_client):
    from smtp_core.devserver.web import linkcheck

    monkeypatch.setattr(linkcheck, "LINK_TIMEOUT", 0.5)
    base, _ = link_server
    call(catcher, "POST", "/api/v1/send", {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}],
                                           "Text": f"slow: {base}/slow fast: {base}/ok"})
    result = mailpit_client(catcher, "linkCheck", "latest", True)["result"]
    assert result == {"Errors": 1, "Links": [
        {"URL": f"{base}/slow", "StatusCode": 0, "Status": "no answer within 0.5 s"},
        {"URL": f"{base}/ok", "StatusCode": 200, "Status": "OK"}]}
    assert call(catcher, "GET", "/api/v1/message/nosuchid/link-check")[0] == 404


# ---- 6. SpamAssassin, with Debian's real spamd ----

def test_sa_check_reports_spamds_score_and_rules(make_catcher, spamd, mailpit_client):
    catcher = make_catcher(features=Features(spamassassin=spamd))
    smtp(catcher, ("a@example.com", ["b@example.com"], SPAMMY))
    message_id = get_json(catcher, "/api/v1/messages")["messages"][0]["ID"]
    result = get_json(catcher, f"/api/v1/message/{message_id}/sa-check")
    assert set(result) == {"IsSpam", "Error", "Score", "Rules"} and result["Error"] == ""
    rules = {rule["Name"]: rule for rule in result["Rules"]}
    assert {"MISSING_DATE", "MISSING_MID", "SUBJ_ALL_CAPS"} <= set(rules)
    assert rules["MISSING_DATE"]["Description"] == "Missing Date: header"
    assert result["Score"] >= 5 and result["IsSpam"] is True
    assert abs(result["Score"] - sum(rule["Score"] for rule in result["Rules"])) < 0.1 * len(rules) + 0.1
    again = mailpit_client(catcher, "spamAssassinCheck", "latest")["result"]
    assert {rule["Name"]: rule for rule in again.pop("Rules")} == rules  # spamd's order varies
    assert again == {key: value for key, value in result.items() if key != "Rules"}

    call(catcher, "POST", "/api/v1/send", {"From": {"Email": "ann@example.com", "Name": "Ann"},
                                           "To": [{"Email": "bob@example.com"}], "Subject": "Lunch on Friday",
                                           "Text": "Shall we meet at noon?\n"})
    ham = get_json(catcher, "/api/v1/message/latest/sa-check")
    assert ham["Error"] == "" and ham["IsSpam"] is False and ham["Score"] < 5


def test_sa_check_says_when_spamd_is_unreachable_and_is_absent_when_off(make_catcher, free_port, catcher):
    down = make_catcher(features=Features(spamassassin=f"127.0.0.1:{free_port}"))
    smtp(down, ("a@example.com", ["b@example.com"], SPAMMY))
    assert get_json(down, "/api/v1/message/latest/sa-check") == {
        "IsSpam": False, "Error": f"dial tcp 127.0.0.1:{free_port}: connect: connection refused", "Score": 0,
        "Rules": []}
    assert call(down, "GET", "/api/v1/message/nosuchid/sa-check")[0] == 404
    assert call(catcher, "GET", "/api/v1/message/latest/sa-check")[0] == 404  # not enabled: no route


# ---- 7. attachment thumbnails ----


def _image(size, color, fmt="PNG", mode="RGB") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


def _jpeg(data: bytes):
    import io

    from PIL import Image

    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG"
    return picture.convert("RGB")


def test_thumbnails_fill_pad_or_blank_as_mailpit(catcher, mailpit_client):
    import io

    from PIL import Image

    wide = Image.new("RGB", (900, 300), "blue")
    wide.paste(Image.new("RGB", (100, 300), "red"), (0, 0))  # cropped away by the centred fill
    wide_bytes = io.BytesIO()
    wide.save(wide_bytes, "PNG")
    attachments = [("wide.png", "image/png", wide_bytes.getvalue()),
                   ("small.png", "image/png", _image((40, 30), (0, 128, 0, 0), mode="RGBA")),
                   ("dot.gif", "image/gif", _image((20, 20), "green", "GIF")),
                   ("report.pdf", "application/pdf", b"%PDF-1.4 x"),
                   ("broken.png", "image/png", b"\x89PNG not really")]
    request = {"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}], "Text": "pictures",
               "Attachments": [{"Content": base64.b64encode(data).decode(), "Filename": name, "ContentType": kind}
                               for name, kind, data in attachments]}
    message_id = json.loads(call(catcher, "POST", "/api/v1/send", request)[2])["ID"]
    parts = {a["FileName"]: a["PartID"] for a in get_json(catcher, f"/api/v1/message/{message_id}")["Attachments"]}

    def thumb(name):
        status, headers, body = call(catcher, "GET", f"/api/v1/message/{message_id}/part/{parts[name]}/thumb")
        assert status == 200 and headers["Content-Type"] == "image/jpeg"
        assert headers["Content-Disposition"] == f'filename="{name}"'
        picture = _jpeg(body)
        assert picture.size == (180, 120)
        return picture

    filled = thumb("wide.png")
    assert all(channel_close(filled.getpixel(xy), (0, 0, 255)) for xy in [(2, 2), (90, 60), (177, 117)])
    padded = thumb("small.png")  # transparent, not enlarged: white around and under it
    assert channel_close(padded.getpixel((2, 2)), (255, 255, 255))
    assert channel_close(padded.getpixel((90, 60)), (255, 255, 255))
    gif = thumb("dot.gif")
    assert channel_close(gif.getpixel((90, 60)), (0, 128, 0)) and channel_close(gif.getpixel((70, 60)), (255, 255, 255))
    for blank in ("report.pdf", "broken.png"):
        picture = thumb(blank)
        assert all(low >= 250 for low, _ in picture.getextrema())  # white, give or take JPEG
    blob = mailpit_client(catcher, "getAttachmentThumbnail", message_id, parts["dot.gif"])["result"]
    assert blob["type"] == "image/jpeg" and _jpeg(base64.b64decode(blob["base64"])).size == (180, 120)
    assert call(catcher, "GET", f"/api/v1/message/{message_id}/part/99/thumb")[0] == 404
    assert call(catcher, "GET", "/api/v1/message/nosuchid/part/1/thumb")[0] == 404


def channel_close(pixel, expected, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected))


def test_thumbnail_refuses_a_decompression_bomb_with_the_blank_image(monkeypatch):
    from smtp_core.devserver.web import thumbs

    monkeypatch.setattr(thumbs, "MAX_PIXELS", 1000)
    picture = _jpeg(thumbs.thumbnail(_image((200, 200), "black")))
    assert picture.size == (180, 120) and all(low >= 250 for low, _ in picture.getextrema())


def test_cli_flags_reach_the_api(tmp_path, free_port):
    import urllib.request

    with DevServerProcess("--port", "0", "--http-port", "0", "--quiet", "--maildir", str(tmp_path / "mail"),
                          "--cert-dir", str(tmp_path / "certs"), "--label", "ci",
                          "--smtp-relay", f"127.0.0.1:{free_port}", "--smtp-relay-allowed", "@example[.]com$",
                          "--enable-spamassassin", "127.0.0.1:783", cwd=tmp_path) as server:
        with urllib.request.urlopen(server.web_url() + "api/v1/webui", timeout=T) as response:
            webui = json.loads(response.read())
    assert server.returncode == 0 and "Traceback" not in server.stderr, server.stderr
    assert webui["Label"] == "ci" and webui["SpamAssassin"] is True
    assert webui["MessageRelay"]["SMTPServer"] == f"127.0.0.1:{free_port}"
    assert webui["MessageRelay"]["AllowedRecipients"] == "@example[.]com$"


# ---- across origins ----


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example", "Content-Type": "text/plain"},
    {"Origin": "null", "Content-Type": "text/plain"},  # a sandboxed frame, e.g. a message's HTML
    {"Origin": "http://127.0.0.1:1", "Content-Type": "text/plain"},  # another port is another origin
    {"Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
])
def test_a_web_page_cannot_make_the_catcher_send_or_relay(make_catcher, make_devserver, headers):
    relay = make_devserver()
    catcher = make_catcher(features=relay_features(relay))
    smtp(catcher, ("a@example.com", ["b@example.com"], b"From: a@example.com\r\n\r\nsecret\r\n"))
    body = json.dumps({"To": ["attacker@example.net"]}).encode()
    assert call(catcher, "POST", "/api/v1/message/latest/release", body, headers=headers)[0] == 403
    sent = json.dumps({"From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}]}).encode()
    assert call(catcher, "POST", "/api/v1/send", sent, headers=headers)[0] == 403
    assert relay.messages() == [] and get_json(catcher, "/api/v1/messages")["total"] == 1
    # Nor make it contact the links of a message (an <img> pointed at the check).
    assert call(catcher, "GET", "/api/v1/message/latest/link-check", headers=headers)[0] == 403
    # The page's own origin, and clients that send no Origin, are served.
    own = {"Origin": catcher.url.rstrip("/"), "Content-Type": "application/json"}
    assert call(catcher, "POST", "/api/v1/send", sent, headers=own)[0] == 200
    assert call(catcher, "POST", "/api/v1/message/latest/release", body)[0] == 200


def test_an_http_side_of_its_own_counts_arrivals_from_its_start(tmp_path):
    import asyncio

    import aiohttp

    from smtp_core.devserver.web.service import HttpSide
    from smtp_core.devserver.mailbox.store import MailStore

    store = MailStore(tmp_path / "mail")
    store.add(b"Subject: before\r\n\r\nx\r\n", envelope_from="a@example.com", envelope_to=["b@example.com"])
    after = b"Subject: after\r\n\r\nyy\r\n"

    async def scenario():
        http = HttpSide(store, "127.0.0.1", 0)
        await http.start()
        try:
            store.add(after, envelope_from="a@example.com", envelope_to=["b@example.com"])
            async with aiohttp.ClientSession() as session:
                async with session.get(http.url + "api/v1/info") as response:
                    return await response.json()
        finally:
            await http.stop()

    try:
        info = asyncio.run(scenario())
    finally:
        store.close()
    assert info["Messages"] == 2
    assert (info["RuntimeStats"]["SMTPAccepted"], info["RuntimeStats"]["SMTPAcceptedSize"]) == (1, len(after))
    assert info["RuntimeStats"]["MessagesDeleted"] == 0


def test_send_takes_attachments_past_aiohttps_default_cap_and_refuses_past_its_own(catcher, monkeypatch):
    from smtp_core.devserver.web import sendapi

    big = bytes(range(256)) * 8192  # 2 MiB, over aiohttp's 1 MiB default
    request = {**full_request(), "Attachments": [{"Content": base64.b64encode(big).decode(), "Filename": "big.bin"}]}
    status, _, body = call(catcher, "POST", "/api/v1/send", request)
    assert status == 200, body
    message = get_json(catcher, f"/api/v1/message/{json.loads(body)['ID']}")
    part = call(catcher, "GET", f"/api/v1/message/{message['ID']}/part/{message['Attachments'][0]['PartID']}")
    assert part[2] == big
    monkeypatch.setattr(sendapi, "MAX_BODY", 1 << 20)
    import http.client

    # http.client, closed at once: urllib keeps an error's socket open until
    # collected, and the server drains an unread body until the client closes.
    connection = http.client.HTTPConnection(catcher.host, catcher.http_port, timeout=T)
    try:
        connection.request("POST", "/api/v1/send", json.dumps(request).encode(),
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        status, body = response.status, response.read()
    finally:
        connection.close()
    assert status == 413 and "request body too large" in json.loads(body)["Error"]
    assert get_json(catcher, "/api/v1/messages")["total"] == 1
