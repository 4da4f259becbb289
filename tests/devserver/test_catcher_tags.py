"""Mailpit's tags in the catcher (issue 20, item 3): ``X-Tags`` on intake
(Mailpit's normalisation, the first casing kept), ``Tags`` in every summary
and message, ``tag:`` in search and delete by search, and an index made
before tags gaining them when it is opened.  Over real SMTP and HTTP on
loopback."""

from __future__ import annotations

import json
import sqlite3
import urllib.parse

from smtp_core.devserver.mailbox.store import INDEX_NAME, MailStore

from catcher_http import call, get_json, smtp, tagged


def search(catcher, query: str) -> list:
    found = get_json(catcher, "/api/v1/search?query=" + urllib.parse.quote(query))["messages"]
    return sorted(message["Subject"] for message in found)


def test_x_tags_are_cleaned_sorted_and_keep_their_first_casing(catcher):
    smtp(catcher, tagged("one", "Zeta, alpha <1>, Tag.x_y-z,,  !!! , alpha 1"),
         tagged("two", "ALPHA 1, beta"), tagged("three", None))
    listing = get_json(catcher, "/api/v1/messages")
    by_subject = {message["Subject"]: message for message in listing["messages"]}
    assert by_subject["one"]["Tags"] == ["alpha 1", "Tag.x_y-z", "Zeta"]
    assert by_subject["two"]["Tags"] == ["alpha 1", "beta"]  # the first casing seen wins
    assert by_subject["three"]["Tags"] == []
    assert listing["tags"] == ["alpha 1", "beta", "Tag.x_y-z", "Zeta"]
    message = get_json(catcher, f"/api/v1/message/{by_subject['two']['ID']}")
    assert message["Tags"] == ["alpha 1", "beta"]
    assert get_json(catcher, "/api/v1/info")["Tags"] == {"alpha 1": 2, "beta": 1, "Tag.x_y-z": 1, "Zeta": 1}


def test_tag_terms_search_and_delete_by_search(catcher):
    smtp(catcher, tagged("one", "Alpha 1, beta"), tagged("two", "alpha"), tagged("three", None))
    assert search(catcher, 'tag:"alpha 1"') == ["one"]
    assert search(catcher, "tag:ALPHA") == ["two"]  # the whole name, in any case
    assert search(catcher, "-tag:beta") == ["three", "two"]
    assert search(catcher, "is:tagged") == ["one", "two"]
    assert search(catcher, "-is:tagged") == ["three"]
    status, _, _ = call(catcher, "DELETE", "/api/v1/search?query=" + urllib.parse.quote("tag:beta"))
    assert status == 200
    listing = get_json(catcher, "/api/v1/messages")
    assert sorted(m["Subject"] for m in listing["messages"]) == ["three", "two"]
    assert listing["tags"] == ["alpha"]  # a tag no message has is gone


def test_an_index_made_before_tags_opens_and_gains_them(tmp_path):
    store = MailStore(tmp_path)
    sender, recipients, raw = tagged("old", "Old Tag, second")
    store.add(raw, envelope_from=sender, envelope_to=recipients)
    store.close()
    # Make it the index of the previous version: no tag tables, schema version 0.
    index = sqlite3.connect(tmp_path / INDEX_NAME)
    index.executescript("DROP TABLE message_tags; DROP TABLE tags; PRAGMA user_version = 0;")
    index.close()
    reopened = MailStore(tmp_path)
    try:
        assert [summary["Tags"] for summary in reopened.summaries()] == [["Old Tag", "second"]]
        assert [found["Subject"] for found in reopened.search("tag:second")[0]] == ["old"]
    finally:
        reopened.close()
    index = sqlite3.connect(tmp_path / INDEX_NAME)
    assert index.execute("PRAGMA user_version").fetchone()[0] == 2
    index.close()


# ---- the tag routes (Mailpit's server/apiv1/tags.go) ----



def ids_by_subject(catcher) -> dict:
    return {m["Subject"]: m["ID"] for m in get_json(catcher, "/api/v1/messages")["messages"]}


def tags_by_subject(catcher) -> dict:
    return {m["Subject"]: m["Tags"] for m in get_json(catcher, "/api/v1/messages")["messages"]}


def test_set_rename_and_delete_tags_over_http(catcher):
    smtp(catcher, tagged("one", "old"), tagged("two", None))
    ids = ids_by_subject(catcher)
    status, headers, body = call(catcher, "PUT", "/api/v1/tags",
                                 {"IDs": [ids["one"], ids["two"], "unknown"], "Tags": ["b<x>", "A", "a"]})
    assert (status, body, headers["Content-Type"].split(";")[0]) == (200, b"ok", "text/plain")
    assert tags_by_subject(catcher) == {"one": ["A", "b x"], "two": ["A", "b x"]}
    assert get_json(catcher, "/api/v1/tags") == ["A", "b x"]  # "old" is on no message now
    assert call(catcher, "PUT", "/api/v1/tags/b%20x", {"Name": "Bee"})[0] == 200
    assert call(catcher, "PUT", "/api/v1/tags/A", {"Name": "bee"})[0] == 200  # into Bee: one tag
    assert tags_by_subject(catcher) == {"one": ["Bee"], "two": ["Bee"]}
    assert call(catcher, "PUT", "/api/v1/tags", {"IDs": [ids["two"]], "Tags": []})[0] == 200
    assert tags_by_subject(catcher) == {"one": ["Bee"], "two": []}
    assert call(catcher, "DELETE", "/api/v1/tags/Bee")[0] == 200
    assert tags_by_subject(catcher) == {"one": [], "two": []}
    assert get_json(catcher, "/api/v1/tags") == []


def test_bad_tag_requests_are_400_in_plain_text_and_change_nothing(catcher):
    smtp(catcher, tagged("one", "keep"))
    for method, path, body, complaint in [
        ("PUT", "/api/v1/tags", b"{not json", b"invalid JSON body"),
        ("PUT", "/api/v1/tags", {"IDs": "x", "Tags": []}, b"IDs must be an array of strings"),
        ("PUT", "/api/v1/tags", {"IDs": [], "Tags": [1]}, b"Tags must be an array of strings"),
        ("PUT", "/api/v1/tags/keep", {"Name": "!!!"}, b"invalid tag name: '!!!'"),
        ("PUT", "/api/v1/tags/keep", {"Name": 5}, b"Name must be a string"),
        ("PUT", "/api/v1/tags/nothere", {"Name": "x"}, b"tag not found: 'nothere'"),
    ]:
        status, headers, answer = call(catcher, method, path, body)
        assert (status, headers["Content-Type"].split(";")[0]) == (400, "text/plain"), (path, body, answer)
        assert complaint in answer
    assert tags_by_subject(catcher) == {"one": ["keep"]}


def test_mailpit_api_client_tags(catcher, mailpit_client):
    smtp(catcher, tagged("one", "first"), tagged("two", None))
    ids = ids_by_subject(catcher)
    assert mailpit_client(catcher, "getTags")["result"] == ["first"]
    assert mailpit_client(catcher, "setTags", {"IDs": [ids["two"]], "Tags": ["second", "first"]})["result"] == "ok"
    assert mailpit_client(catcher, "renameTag", "second", "Zweite")["result"] == "ok"
    assert mailpit_client(catcher, "getTags")["result"] == ["first", "Zweite"]
    assert mailpit_client(catcher, "deleteTag", "first")["result"] == "ok"
    assert tags_by_subject(catcher) == {"one": [], "two": ["Zweite"]}
    refused = mailpit_client(catcher, "renameTag", "Zweite", "???")
    assert "invalid tag name" in refused["error"]


# ---- item 4: read status by search, and Mailpit's tz on after:/before: ----

import datetime  # noqa: E402
import zoneinfo  # noqa: E402

EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"  # UTC+14 and UTC-11: 25 hours apart


def an_hour_ago_in(zone: str) -> str:
    """A wall-clock time (no offset) one hour before now, as ``zone`` reads it."""
    moment = datetime.datetime.now(zoneinfo.ZoneInfo(zone)) - datetime.timedelta(hours=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def test_tz_places_after_and_before_dates_in_that_zone(catcher):
    smtp(catcher, tagged("one", None))
    when = an_hour_ago_in(EAST)
    quoted = urllib.parse.quote(f"after:{when}")
    east = get_json(catcher, f"/api/v1/search?query={quoted}&tz={EAST}")["messages"]
    west = get_json(catcher, f"/api/v1/search?query={quoted}&tz={WEST}")["messages"]
    assert ([m["Subject"] for m in east], west) == (["one"], [])
    before = urllib.parse.quote(f"before:{when}")
    assert get_json(catcher, f"/api/v1/search?query={before}&tz={WEST}")["messages_count"] == 1
    status, _, body = call(catcher, "GET", f"/api/v1/search?query={quoted}&tz=Nowhere/Atlantis")
    assert (status, body) == (400, b"Error: unknown time zone: 'Nowhere/Atlantis'")
    status, _, _ = call(catcher, "DELETE", f"/api/v1/search?query={quoted}&tz={WEST}")
    assert status == 200 and len(ids_by_subject(catcher)) == 1  # the west reading matched nothing
    assert call(catcher, "DELETE", f"/api/v1/search?query={quoted}&tz={EAST}")[0] == 200
    assert ids_by_subject(catcher) == {}


def test_mailpit_api_client_sets_read_status_by_search_with_tz(catcher, mailpit_client):
    smtp(catcher, tagged("one", "mark"), tagged("two", None))
    assert mailpit_client(catcher, "setReadStatus", {"Search": "tag:mark", "Read": True})["result"] == "ok"
    read = {m["Subject"]: m["Read"] for m in get_json(catcher, "/api/v1/messages")["messages"]}
    assert read == {"one": True, "two": False}
    when = an_hour_ago_in(EAST)
    west = mailpit_client(catcher, "setReadStatus", {"Search": f"after:{when}", "Read": True}, {"tz": WEST})
    assert west["result"] == "ok" and get_json(catcher, "/api/v1/messages")["unread"] == 1
    east = mailpit_client(catcher, "setReadStatus", {"Search": f"after:{when}", "Read": True}, {"tz": EAST})
    assert east["result"] == "ok" and get_json(catcher, "/api/v1/messages")["unread"] == 0


def test_the_send_apis_tags_are_the_messages_tags(catcher):
    status, _, body = call(catcher, "POST", "/api/v1/send", {
        "From": {"Email": "a@example.com"}, "To": [{"Email": "b@example.com"}], "Subject": "sent",
        "Text": "hi", "Tags": ["From API", "second <b>", "from api"]})
    assert status == 200, body
    message_id = json.loads(body)["ID"]
    assert get_json(catcher, f"/api/v1/message/{message_id}")["Tags"] == ["From API", "second b"]
    assert search(catcher, 'tag:"from api"') == ["sent"]
