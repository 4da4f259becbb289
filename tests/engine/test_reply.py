"""Reading replies: textproto's grammar, Go's errors, caps, any chunking."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import cut
from smtp_core.errors import ProtocolError, ReplyError, ReplyTooLong, ServerClosed
from smtp_core.protocol.reply import ReplyReader, code_matches, parse_code_line


def read(data: bytes, expect: int = 0, eof: bool = True):
    r = ReplyReader()
    r.feed(data)
    if eof:
        r.feed_eof()
    return r.next_reply(expect)


def test_single_and_multi_line():
    assert read(b"250 ok\r\n", 250) == (250, "ok")
    assert read(b"250-a\r\n250-b\r\n250 c\r\n", 250) == (250, "a\nb\nc")
    assert read(b"250 \r\n", 250) == (250, "")
    assert read(b"250 ok\n", 250) == (250, "ok")  # bare LF ends a line too


@pytest.mark.parametrize("code, expect, ok", [
    (250, 2, True), (354, 2, False), (251, 25, True), (259, 25, True), (260, 25, False),
    (250, 250, True), (251, 250, False), (599, 0, True), (100, -1, True),
])
def test_code_prefix_rule(code, expect, ok):
    assert code_matches(code, expect) is ok


@pytest.mark.parametrize("line, text", [
    (b"25", 'short response: "25"'),
    (b"250", 'short response: "250"'),
    (b"2500 x", 'short response: "2500 x"'),
    (b"abc def", 'invalid response code: "abc def"'),
    (b"099 x", 'invalid response code: "099 x"'),
    (b"+25 x", 'invalid response code: "+25 x"'),
])
def test_protocol_errors_quote_the_whole_line(line, text):
    with pytest.raises(ProtocolError) as info:
        read(line + b"\r\n", 250)
    assert str(info.value) == text


def test_unexpected_code_carries_every_line():
    with pytest.raises(ReplyError) as info:
        read(b"550-first\r\n550 second\r\n", 250)
    assert (info.value.Code, info.value.Msg) == (550, "first\nsecond")
    assert str(info.value) == '550 "first\\nsecond"'


def test_foreign_continuation_lines_are_kept_verbatim():
    code, text = read(b"250-mx\r\n251-ODD\r\n   free text\r\n25\r\n250 SIZE 1\r\n", 250)
    assert text == "mx\n251-ODD\n   free text\n25\nSIZE 1"


def test_cr_before_crlf_is_kept_in_text_but_trimmed_from_foreign_lines():
    assert read(b"250 ok\r\r\n", 250) == (250, "ok\r")
    assert read(b"250-a\r\nxyz\r\r\n250 b\r\n", 250) == (250, "a\nxyz\nb")


def test_undecodable_bytes_survive_into_go_quoting():
    with pytest.raises(ReplyError) as info:
        read(b"550 caf\xc3\xa9 \xff\r\n", 250)
    assert str(info.value) == '550 "café \\xff"'


def test_last_line_without_newline_counts_at_eof():
    r = ReplyReader()
    r.feed(b"250 fine")
    assert r.next_reply(250) is None  # not before EOF: more may come
    r.feed_eof()
    assert r.next_reply(250) == (250, "fine")
    with pytest.raises(ServerClosed):
        r.next_reply(250)


def test_go_loses_an_unterminated_line_of_exactly_4096_bytes():
    # Go's 4096-byte bufio reader hands the line out in full pieces and then
    # finds EOF with nothing left: the whole line is lost to an EOF error.
    with pytest.raises(ServerClosed):
        read(b"250 " + b"x" * 4092)
    assert read(b"250 " + b"x" * 4093)[0] == 250


def test_invalid_code_with_hyphen_reads_until_eof():
    with pytest.raises(ServerClosed):
        read(b"abc-x\r\n250 ok\r\n")


def test_incomplete_multi_line_resumes():
    r = ReplyReader()
    r.feed(b"250-a\r\n250-b")
    assert r.next_reply(250) is None
    r.feed(b"\r\n250 c\r\n250 next\r\n")
    assert r.next_reply(250) == (250, "a\nb\nc")
    assert r.next_reply(250) == (250, "next")


def test_caps():
    r = ReplyReader(max_line=100, max_reply=300)
    r.feed(b"250 " + b"x" * 200)
    with pytest.raises(ReplyTooLong):
        r.next_reply(250)
    r = ReplyReader(max_line=100, max_reply=300)
    r.feed(b"250-x\r\n" * 200)
    with pytest.raises(ReplyTooLong):
        r.next_reply(250)


def test_discard_buffered():
    r = ReplyReader()
    r.feed(b"250 injected\r\n")
    assert r.discard_buffered() == 14
    assert r.next_reply(250) is None


def test_parse_code_line_reports_continuation_even_when_code_is_bad():
    assert parse_code_line(b"abc-x", 0)[1] is True


_lines = st.lists(st.sampled_from([b"250-a", b"250 b", b"251-c", b"25", b"abc d", b"250 ", b"x\r"]),
                  min_size=1, max_size=6)


@given(lines=_lines, cuts=st.lists(st.integers(0, 80), max_size=5), expect=st.sampled_from([0, 2, 25, 250]))
@settings(max_examples=300, deadline=None)
def test_chunking_never_changes_the_outcome(lines, cuts, expect):
    data = b"\r\n".join(lines) + b"\r\n"

    def outcome(pieces):
        r = ReplyReader()
        results = []
        for piece in pieces:
            r.feed(piece)
            while True:
                try:
                    got = r.next_reply(expect)
                except (ReplyError, ProtocolError) as e:
                    results.append((type(e).__name__, str(e)))
                    continue
                if got is None:
                    break
                results.append(got)
        r.feed_eof()
        try:
            results.append(r.next_reply(expect))
        except (ReplyError, ProtocolError, ServerClosed) as e:
            results.append((type(e).__name__, str(e)))
        return results

    assert outcome(cut(data, cuts)) == outcome([data])
