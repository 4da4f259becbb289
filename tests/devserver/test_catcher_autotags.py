"""Mailpit's automatic tagging in the catcher (issue 20, item 3): plus
addresses, ``--tag`` and ``--tags-config`` filters (raw bytes or search,
``stop``), ``--tags-title-case``, ``--tags-disable`` and ``--tags-username``
(the SMTP AUTH user and the send API's HTTP basic-auth user), and the same
tags for files found in the folder at start.  Real SMTP into a real dev server, tags read back over HTTP and through
npm's mailpit-api; the command line in a process of its own."""

from __future__ import annotations

import base64
import json
import smtplib
import urllib.request

from smtp_core import send_many
from smtp_core.devserver.mailbox.autotags import AutoTagger, filters_from_argument, filters_from_yaml

from catcher_http import T, call, forget_index, get_json, smtp
from cli_process import DevServerProcess, refusal


def message(subject: str, *, sender: str = "a@example.com", to: str = "b@example.com", extra: str = "",
            body: str = "body", rcpt: list | None = None) -> tuple:
    return (sender, rcpt or [to], (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}\r\n"
                                   f"{body}\r\n").encode())


def tags_by_subject(catcher) -> dict:
    return {m["Subject"]: m["Tags"] for m in get_json(catcher, "/api/v1/messages")["messages"]}


def test_plus_addresses_of_the_headers_tag_by_default(catcher):
    smtp(catcher,
         message("plus", sender="ann+From@example.com", to="bob+Debug+build.7@example.com",
                 extra="Cc: Carl <carl+cc@example.com>, dan@example.com\r\nBcc: eve+bcc@example.com\r\n"),
         message("envelope only", rcpt=["env+Envelope@example.com"]),
         message("not plus", to="bob@ex+ample.com, fred+@example.com", rcpt=["b@example.com"]))
    tags = tags_by_subject(catcher)
    assert tags["plus"] == ["bcc", "build.7", "cc", "Debug", "From"]
    assert tags["envelope only"] == []  # Mailpit reads the headers, not RCPT TO
    assert tags["not plus"] == []  # a "+" after the "@", an empty tag


def test_filters_match_the_raw_message_or_a_search(make_catcher):
    catcher = make_catcher(tagging=AutoTagger(filters_from_argument(
        '"Anti virus"="X-Antivirus: clean" Ann=from:ann@example.com Greeting=subject:hello '
        'Invoice,Money=INVOICE')))
    smtp(catcher,
         message("scanned", extra="X-Antivirus: Clean\r\n"),  # a header search does not see
         message("Hello there", sender="ann@example.com"),  # searches: the bytes hold neither term
         message("bill", body="Your Invoice is attached"),  # matched in any case
         message("nothing"))
    tags = tags_by_subject(catcher)
    assert tags["scanned"] == ["Anti virus"]
    assert tags["Hello there"] == ["Ann", "Greeting"]
    assert tags["bill"] == ["Invoice", "Money"]
    assert tags["nothing"] == []


def test_the_first_spelling_wins_in_mailpit_order(make_catcher):
    # Filters matched in the bytes, then X-Tags, then plus addresses, then
    # filters matched by a search: the first of them names the tag.
    catcher = make_catcher(tagging=AutoTagger(filters_from_argument("ALPHA=marker GAMMA=subject:order")))
    smtp(catcher, message("order", to="bob+Alpha+beta+gamma@example.com", body="marker",
                          extra="X-Tags: alpha, BETA\r\n"))
    assert tags_by_subject(catcher)["order"] == ["ALPHA", "BETA", "gamma"]


def test_the_send_api_is_tagged_like_smtp_mail(make_catcher):
    catcher = make_catcher(tagging=AutoTagger(filters_from_argument("Api=subject:sent")))
    status, _, body = call(catcher, "POST", "/api/v1/send", {
        "From": {"Email": "app@example.com"}, "To": [{"Email": "qa+release@example.com"}],
        "Subject": "sent over HTTP", "Text": "hi", "Tags": ["Given"]})
    assert status == 200, body
    assert tags_by_subject(catcher)["sent over HTTP"] == ["Api", "Given", "release"]


def test_a_config_file_filter_with_stop_ends_the_filtering(make_catcher, tmp_path):
    config = tmp_path / "tags.yaml"
    config.write_text("filters:\n"
                      "  - match: from:ann@example.com\n    tags: First, Team A\n    stop: true\n"
                      "  - match: from:ann@example.com\n    tags: Second\n"
                      "  - match: subject:report\n    tags: Third\n")
    catcher = make_catcher(tagging=AutoTagger(filters_from_yaml(config.read_text(), str(config))))
    smtp(catcher, message("report from ann", sender="ann@example.com"), message("report", sender="bo@example.com"))
    tags = tags_by_subject(catcher)
    assert tags["report from ann"] == ["First", "Team A"]  # neither Second nor Third
    assert tags["report"] == ["Third"]


def test_title_case_applies_to_x_tags_and_plus_addresses_only(make_catcher):
    catcher = make_catcher(users={"alice": "s3cret"},
                           tagging=AutoTagger(filters_from_argument('"lower case"=hello'),
                                              title_case=True, username=True))
    sender, recipients, raw = message("hello", to="bob+debug.build@example.com",
                                      extra="X-Tags: my-tag, one_two, a..b\r\n")
    with smtplib.SMTP(catcher.host, catcher.port, timeout=T) as client:
        client.login("alice", "s3cret")
        client.sendmail(sender, recipients, raw)
    assert tags_by_subject(catcher)["hello"] == ["A..B", "alice", "Debug.build", "lower case", "My-Tag", "One_two"]


def test_the_auth_user_name_is_a_tag_only_when_asked(make_catcher, tmp_path):
    for username in (True, False):
        catcher = make_catcher(users={"alice": "s3cret"}, tagging=AutoTagger(username=username),
                               maildir=str(tmp_path / f"mail-{username}"))
        with smtplib.SMTP(catcher.host, catcher.port, timeout=T) as client:
            client.login("alice", "s3cret")
            client.sendmail(*message(f"by alice {username}")[:2], message(f"by alice {username}")[2])
        smtp(catcher, message(f"anonymous {username}"))
        tags = tags_by_subject(catcher)
        assert tags[f"by alice {username}"] == (["alice"] if username else [])
        assert tags[f"anonymous {username}"] == []
        catcher.stop()


def test_tags_disable_turns_off_each_kind(make_catcher, tmp_path):
    sent = message("both", to="bob+plus@example.com", extra="X-Tags: header\r\n")
    expected = {(True, True): ["header", "plus"], (False, True): ["header"], (True, False): ["plus"],
                (False, False): []}
    for (plus_addresses, x_tags), tags in expected.items():
        catcher = make_catcher(tagging=AutoTagger(plus_addresses=plus_addresses, x_tags=x_tags),
                               maildir=str(tmp_path / f"mail-{plus_addresses}-{x_tags}"))
        smtp(catcher, sent)
        assert tags_by_subject(catcher)["both"] == tags, (plus_addresses, x_tags)
        catcher.stop()


def test_mailpit_api_client_sees_the_automatic_tags(make_catcher, mailpit_client):
    catcher = make_catcher(tagging=AutoTagger(filters_from_argument("Urgent=subject:urgent")))
    smtp(catcher, message("urgent: fix", to="ops+pager@example.com"))
    assert mailpit_client(catcher, "getTags") == {"result": ["pager", "Urgent"]}
    listed = mailpit_client(catcher, "searchMessages", {"query": "tag:urgent"})["result"]
    assert [found["Subject"] for found in listed["messages"]] == ["urgent: fix"]


def test_the_command_line_options_reach_the_store(tmp_path):
    config = tmp_path / "tags.yaml"
    config.write_text("filters:\n  - match: subject:report\n    tags: From File\n")
    with DevServerProcess("--port", "0", "--http-port", "0", "--maildir", str(tmp_path / "mail"), "--quiet",
                          "--tag", "Cli=subject:report", "-t", "Second=hello", "--tags-config", str(config),
                          "--tags-title-case", "--tags-disable", "x-tags", cwd=tmp_path) as server:
        results = send_many(f"127.0.0.1:{server.smtp_port()}", [message(
            "report", to="bob+plus-one@example.com", extra="X-Tags: ignored\r\n")], tls="none", timeout=T)
        assert not any(isinstance(result, BaseException) for result in results), results
        with urllib.request.urlopen(server.web_url().rstrip("/") + "/api/v1/messages", timeout=T) as response:
            found = json.loads(response.read())["messages"]
    assert server.returncode == 0 and "Traceback" not in server.stderr
    assert found[0]["Tags"] == ["Cli", "From File", "Plus-One"]  # no "Second": the bytes hold no "hello"


def test_bad_tag_settings_are_refused_at_start_naming_them(tmp_path):
    assert "--tag: 'Urgent' has no '=' (expected TAGS=MATCH)" in refusal("--tag", "Urgent")
    assert "--tag '!!!=x': tag '!!!' in 'tags' cleans to nothing" in refusal("--tag", "!!!=x")
    assert "--tags-disable: unknown kind 'xtag'" in refusal("--tags-disable", "xtag")
    cases = {
        "filters:\n  - match: x\n    tag: y\n": "line 3: unknown key 'tag' (expected match, stop, tags)",
        "filter:\n  - match: x\n": "line 1: unknown key 'filter' (expected filters)",
        "filters:\n  - match: x\n    tags: ok\n    stop: 'yes'\n": "line 2: 'stop' must be true or false",
        "filters:\n  - tags: x\n": "line 2: the filter has no 'match'",
        "filters:\n  - match: [x\n": "line 3: not YAML",
        "filters: x\n": "line 1: 'filters' must be a list",
        "other: 1\n": "unknown key 'other'",
        "": "the file must be a mapping",
    }
    for number, (text, error) in enumerate(cases.items()):
        config = tmp_path / f"tags{number}.yaml"
        config.write_text(text)
        assert f"--tags-config {config}" in (refused := refusal("--tags-config", str(config))), text
        assert error in refused, (text, refused)
    assert "cannot read it" in refusal("--tags-config", str(tmp_path / "missing.yaml"))


# ---- the send API's HTTP user, and files found in the folder ----

ANN = {"Authorization": "Basic " + base64.b64encode(b"ann:s3cret").decode()}
SEND = {"From": {"Email": "app@example.com"}, "To": [{"Email": "b@example.com"}], "Text": "hi"}


def test_the_send_api_stores_the_http_user_as_smtp_auth_does(make_catcher, tmp_path):
    # Mailpit: SendMessageHandler hands r.BasicAuth()'s user to Store, as SMTP does its AUTH user.
    for username in (True, False):
        catcher = make_catcher(http_auth="ann:s3cret", tagging=AutoTagger(username=username),
                               maildir=str(tmp_path / f"mail-{username}"))
        status, _, body = call(catcher, "POST", "/api/v1/send", {**SEND, "Tags": ["Given"]}, headers=ANN)
        assert status == 200, body
        message_id = json.loads(body)["ID"]
        status, _, body = call(catcher, "GET", "/api/v1/messages", headers=ANN)
        [summary] = json.loads(body)["messages"]
        assert summary["Username"] == "ann"
        assert summary["Tags"] == (["ann", "Given"] if username else ["Given"])
        status, _, body = call(catcher, "GET", f"/api/v1/message/{message_id}", headers=ANN)
        assert json.loads(body)["Username"] == "ann"
        catcher.stop()


def test_mailpit_api_client_with_basic_auth_sends_as_its_user(make_catcher, mailpit_client):
    # A Mailpit test suite's own client, given the catcher's credentials:
    # what it sends is stored as that user's, tagged with --tags-username.
    catcher = make_catcher(http_auth="ann:s3cret", tagging=AutoTagger(username=True))
    sent = mailpit_client(catcher, "sendMessage", {"From": {"Email": "shop@example.com"},
                                                   "To": [{"Email": "bob@example.com"}], "Subject": "Order",
                                                   "Text": "Thanks"}, auth="ann:s3cret")
    summary = mailpit_client(catcher, "getMessageSummary", sent["result"]["ID"], auth="ann:s3cret")["result"]
    assert (summary["Username"], summary["Tags"], summary["Subject"]) == ("ann", ["ann"], "Order")
    refused = mailpit_client(catcher, "getMessageSummary", sent["result"]["ID"], auth="ann:wrong")
    assert "401" in refused["error"]


def test_the_send_api_has_no_user_without_basic_auth(make_catcher):
    # A catcher without --http-auth checks no password: a claimed user is not one.
    catcher = make_catcher(tagging=AutoTagger(username=True))
    claimed = {"Authorization": "Basic " + base64.b64encode(b"mallory:guess").decode()}
    status, _, body = call(catcher, "POST", "/api/v1/send", SEND, headers=claimed)
    assert status == 200, body
    [summary] = get_json(catcher, "/api/v1/messages")["messages"]
    assert (summary["Username"], summary["Tags"]) == ("", [])


def test_files_found_in_the_folder_get_the_tags_of_intake(make_catcher, tmp_path):
    maildir = tmp_path / "mail"
    rules = dict(filters=filters_from_argument("Greeting=subject:hello Raw=marker"), title_case=True, username=True)
    first = make_catcher(users={"alice": "s3cret"}, tagging=AutoTagger(**rules))
    smtp(first, message("hello", to="bob+plus.one@example.com", extra="X-Tags: my-tag\r\n", body="a marker"),
         message("plain"))
    with smtplib.SMTP(first.host, first.port, timeout=T) as client:
        client.login("alice", "s3cret")
        client.sendmail(*message("by alice")[:2], message("by alice")[2])
    at_intake = tags_by_subject(first)
    first.stop()
    forget_index(maildir)
    (maildir / "new" / "copied-in").write_bytes(  # a file copied into the Maildir, envelope-less
        b"From: ann@example.com\nTo: carl+Copied@example.com\nSubject: hello from a copy\n"
        b"X-Tags: from-file\n\nbody\n")
    second = make_catcher(tagging=AutoTagger(**rules))
    found = tags_by_subject(second)
    assert found["hello"] == at_intake["hello"] == ["Greeting", "My-Tag", "Plus.one", "Raw"]
    assert found["plain"] == at_intake["plain"] == []
    assert (at_intake["by alice"], found["by alice"]) == (["alice"], [])  # the file does not record the user
    assert found["hello from a copy"] == ["Copied", "From-File", "Greeting"]


class _FailsOnPoison(AutoTagger):
    """Rules that break on one message (as a bug in them would)."""

    def tags_of_indexed(self, raw, fields, connection, seq):
        if b"poison" in raw:
            raise ValueError("the rules broke")
        return super().tags_of_indexed(raw, fields, connection, seq)


class _BreaksAtIntake(AutoTagger):
    """Rules that break on one message when it arrives and on another when
    its row is tagged (as bugs in them would)."""

    def arrival(self, raw, fields, authenticated_as):
        if b"early-poison" in raw:
            raise ValueError("the rules broke early")
        pending = super().arrival(raw, fields, authenticated_as)
        if b"late-poison" in raw:
            pending.tags = lambda connection, seq=0: 1 / 0
        return pending


def test_a_message_whose_tagging_fails_at_intake_is_stored_and_its_batch_too(make_catcher, caplog):
    # One connection, pipelined: the messages share the store's batches.
    catcher = make_catcher(tagging=_BreaksAtIntake())
    smtp(catcher, message("early-poison", to="bob+lost@example.com"), message("late-poison", extra="X-Tags: gone\r\n"),
         message("fine", to="bob+kept@example.com"))
    assert tags_by_subject(catcher) == {"early-poison": [], "late-poison": [], "fine": ["kept"]}
    warnings = [record.getMessage() for record in caplog.records if "automatic tags failed" in record.getMessage()]
    assert len(warnings) == 2 and "the rules broke early" in warnings[0] and "division by zero" in warnings[1]


def test_one_file_whose_tagging_fails_is_still_indexed(make_catcher, tmp_path, caplog):
    maildir = tmp_path / "mail"
    first = make_catcher()
    smtp(first, message("poison", extra="X-Tags: lost\r\n"), message("fine", to="bob+kept@example.com"))
    first.stop()
    forget_index(maildir)
    second = make_catcher(tagging=_FailsOnPoison())
    assert tags_by_subject(second) == {"poison": [], "fine": ["kept"]}
    assert any("automatic tags failed (the rules broke); indexed without tags" in record.getMessage()
               for record in caplog.records)
