"""Hostile EHLO replies: bad extension parameters and replies of huge cost.

* A SIZE value that is not 1 to 20 ASCII digits (``SIZE ²``, Arabic-Indic
  digits, 5,000 digits, a sign) means "no limit advertised": ``send`` and
  ``send_many`` send the message, never raise a bare ``ValueError``.
* An EHLO reply of 355,000 distinct keywords (just under the 4 MiB reply
  cap) costs about its own text, not a dict of 355,000 entries, and
  ``Extension`` still answers as Go does for every keyword (the oracle
  scenario ``ehlo_many_keywords_past_the_cap`` checks the Go-named side).
* A 1 MiB AUTH line of 100,000 mechanisms does not cost the mechanism
  choice of ``send(auth=[...])`` a set of every name.

Memory is the peak growth measured by ``memory_watch`` (the resident
set's high-water mark), bounded like every hostile reply's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hostile_peer import MEMORY_BOUND, RawServer, memory_watch

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.hostile_ehlo import answer, auth_line_reply, keywords_reply  # noqa: E402

import smtp_core  # noqa: E402
from smtp_core import SendResult, connect, send, send_many  # noqa: E402
from smtp_core.protocol.commands import MAX_KEYWORDS  # noqa: E402
from smtp_core.protocol.reply import MAX_REPLY  # noqa: E402

T = 10  # seconds: the bound of any single wait in these tests
BODY = b"Subject: x\r\n\r\nhi\r\n"
SENT = ["250 ok", "250 ok", "354 go", "250 queued"]

HOSTILE_SIZES = {
    "superscript two": "\u00b2",
    "arabic-indic digits": "\u0661\u0662",
    "5,000 digits": "9" * 5000,
    "21 digits": "1" * 21,
    "a sign": "-5",
    "a space inside": "1 2",
}


@pytest.mark.parametrize("value", list(HOSTILE_SIZES.values()), ids=list(HOSTILE_SIZES))
def test_a_hostile_size_means_no_limit_for_send(scripted, value):
    srv = scripted(["220 hi", "250-mx\n250 SIZE " + value] + SENT + ["221 bye"])
    result = send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="none", timeout=T)
    assert type(result) is SendResult and result.reply == (250, "queued")
    # SIZE was advertised, so the message declares its size (RFC 1870).
    assert b"MAIL FROM:<a@example.com> SIZE=%d\r\n" % len(BODY) in srv.transcript(0)


@pytest.mark.parametrize("value", list(HOSTILE_SIZES.values()), ids=list(HOSTILE_SIZES))
def test_a_hostile_size_means_no_limit_for_send_many(scripted, value):
    srv = scripted(["220 hi", "250-mx\n250-PIPELINING\n250 SIZE " + value] + SENT + SENT[:3]
                   + ["250 queued 2", "221 bye"])
    results = send_many(srv.address, [("a@example.com", ["b@example.com"], BODY)] * 2, tls="none", timeout=T)
    assert [r.reply for r in results] == [(250, "queued"), (250, "queued 2")]


def test_a_twenty_digit_size_is_a_limit(scripted):
    srv = scripted(["220 hi", "250-mx\n250 SIZE 00000000000000000010", "221 bye"])
    with pytest.raises(smtp_core.MessageTooLarge) as info:
        send(srv.address, "a@example.com", ["b@example.com"], BODY, tls="none", timeout=T)
    assert info.value.limit == 10
    assert b"MAIL" not in srv.transcript(0)


# --------------------------------------------------------------------------
# The cost of a huge EHLO reply
# --------------------------------------------------------------------------


def test_355000_distinct_keywords_cost_their_text_not_a_dict():
    count = 355_000
    reply = keywords_reply(count)
    assert len(reply) < MAX_REPLY
    with RawServer(lambda sock: answer(sock, reply)) as srv:
        client = smtp_core.dial(srv.address, timeout=T)
        with memory_watch() as watch:
            client.greet()
        assert len(client.extensions) == MAX_KEYWORDS
        # Go's answer for any keyword, kept or not.
        assert client.extension("k0") == (True, "")
        assert client.extension("K%x" % (count - 1)) == (True, "")
        assert client.extension("END") == (True, "")
        assert client.extension("K%x" % count) == (False, "")
        client.quit()
    assert watch.growth < MEMORY_BOUND, "%.1f MiB (%s)" % (watch.growth / 2**20, watch.method)


def test_a_huge_auth_line_costs_the_mechanism_choice_nothing():
    reply = auth_line_reply(100_000)
    with RawServer(lambda sock: answer(sock, reply)) as srv:
        with memory_watch() as watch:
            with pytest.raises(smtp_core.ReplyError) as info:
                # The default policy allows AUTH to 127.0.0.1 in plaintext.
                connect(srv.address, tls="none", timeout=T,
                        auth=[smtp_core.PlainAuth("", "u", "p", "127.0.0.1"), smtp_core.LoginAuth("u", "p")])
    assert info.value.code == 535
    assert watch.growth < MEMORY_BOUND, "%.1f MiB (%s)" % (watch.growth / 2**20, watch.method)
