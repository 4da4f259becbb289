"""File attachments streamed to the wire (issue 18): the same bytes as the
``email`` package's serialisation of the same message, read from the file
only while sending, never held whole; a file that is gone or changed is a
named error before MAIL.  Servers: aiosmtpd in-process, and ``bench.sink``
in its own process (so the client's Python heap is measured alone)."""

from __future__ import annotations

import email.policy
import hashlib
import os
import sys
import tracemalloc
from pathlib import Path

import pytest

from smtp_core import ComposeError, SendResult, message, send, send_many
from smtp_core.dotstuff import CRLFDotEncoder
from smtp_core.fileparts import FilePart

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.sink import start_sink_process  # noqa: E402

DATE = "Tue, 01 Dec 2026 03:00:00 +0000"


def _spec(body, **extra) -> dict:
    return {"from": "a@example.com", "to": ["b@example.com"], "subject": "file", "date": DATE,
            "message-id": "1@example.com", "body": body, **extra}


def _file(tmp_path: Path, size: int, name: str = "data.bin") -> Path:
    path = tmp_path / name
    # Deterministic, every byte value, no repetition at 57-byte line widths.
    path.write_bytes(hashlib.shake_256(b"%d" % size).digest(size) if size else b"")
    return path


def _reference(streamed: email.message.EmailMessage, body) -> bytes:
    """The same message built with the file's bytes in memory, as email
    serialises it (SMTP policy), with the streamed message's boundaries."""
    def read(part):
        if isinstance(part, dict) and "path" in part:
            path = Path(part["path"])
            return {**{k: v for k, v in part.items() if k != "path"}, "content": path.read_bytes(),
                    "file-name": part.get("file-name", path.name)}
        return part

    ref = message(_spec([read(p) for p in body] if isinstance(body, list) else read(body)))
    assert not any(isinstance(p, FilePart) for p in ref.walk())
    for mine, theirs in zip(streamed.walk(), ref.walk(), strict=True):
        if mine.is_multipart():
            theirs.set_boundary(mine.get_boundary())
    return ref.as_bytes(policy=email.policy.SMTP)


SIZES = [0, 1, 2, 56, 57, 58, 57 * 1024 - 1, 57 * 1024, 57 * 1024 + 1, 3 * 2**20 + 5]


@pytest.mark.parametrize("size", SIZES)
def test_a_streamed_attachment_arrives_as_emails_serialisation(pipelining_server, tmp_path, size):
    handler, address = pipelining_server
    body = [".a line that starts with a dot\n", {"type": "attachment", "path": str(_file(tmp_path, size))}]
    composed = message(_spec(body))
    assert [type(p) for p in composed.walk()].count(FilePart) == 1  # the body stays in the file
    result = send(address, composed, tls="none")
    assert isinstance(result, SendResult)
    expected = _reference(composed, body)
    assert handler.messages[0][2] == expected
    assert result.size == len(expected)
    # The message object itself still serialises whole, to the same bytes.
    assert composed.as_bytes(policy=email.policy.SMTP) == expected


def test_several_files_inline_and_related_through_send_many(pipelining_server, tmp_path):
    handler, address = pipelining_server
    first, second = _file(tmp_path, 100_000, "one.bin"), _file(tmp_path, 5, "logo.png")
    bodies = [
        [{"type": "attachment", "path": first}, {"type": "attachment", "path": str(second)}],
        ["Hello\n", {"type": "text/html", "content": '<img src="cid:logo">'},
         {"type": "inline", "path": second, "content-id": "logo"}],
        [":alternative", "text\n", {"type": "text/html", "content": "<p>x</p>"},
         {"type": "application/octet-stream", "path": first}],
    ]
    composed = [message(_spec(body)) for body in bodies]
    results = send_many(address, composed, tls="none")
    assert all(isinstance(r, SendResult) for r in results)
    for got, msg, body in zip(handler.messages, composed, bodies, strict=True):
        assert got[2] == _reference(msg, body)


def test_line_end_and_dot_rules_hold_for_streamed_bytes(pipelining_server, tmp_path):
    handler, address = pipelining_server
    body = [".\n..\n", {"type": "attachment", "path": _file(tmp_path, 70_000)}, ".end\n"]
    composed = message(_spec(body))
    for normalize in (True, False):
        send(address, composed, tls="none", normalize_line_ends=normalize)
    assert handler.messages[0][2] == handler.messages[1][2] == _reference(composed, body)


def test_the_file_is_never_held_whole(tmp_path):
    """tracemalloc over compose + send of a 24 MiB attachment, the server in
    its own process; the wire bytes checked by the sink's hash of the DATA payload."""
    size = 24 * 2**20
    path = _file(tmp_path, 1 << 16)
    with open(path, "ab") as f:  # 24 MiB without holding 24 MiB here
        chunk = path.read_bytes()
        for _ in range(size // len(chunk) - 1):
            f.write(chunk)
    body = ["See the file.\n", {"type": "attachment", "path": path}]
    log = tmp_path / "hashes"
    with start_sink_process(hash_log=str(log), max_seconds=120) as sink:
        tracemalloc.start()
        try:
            composed = message(_spec(body))
            result = send("127.0.0.1:%d" % sink.port, composed, tls="none", timeout=60)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert isinstance(result, SendResult)
    assert peak < 4 * 2**20, "peak %d bytes for a %d byte file" % (peak, size)
    encoder = CRLFDotEncoder()
    reference = _reference(composed, body)
    wire = encoder.encode(reference) + encoder.finish()
    assert log.read_text().split() == [hashlib.sha256(wire).hexdigest(), str(len(wire))]


def _refused_before_mail(address, handler, composed) -> ComposeError:
    with pytest.raises(ComposeError) as caught:
        send(address, composed, tls="none")
    assert handler.messages == []
    return caught.value


def test_a_file_changed_or_gone_after_composing_is_refused_before_mail(pipelining_server, tmp_path):
    handler, address = pipelining_server
    path = _file(tmp_path, 1000, "secret-name.bin")
    composed = message(_spec(["x\n", {"type": "attachment", "path": path}]))
    with open(path, "ab") as f:
        f.write(b"more")
    err = _refused_before_mail(address, handler, composed)
    assert str(err) == "body[1]: cannot read the file given as :path (it changed after the message was composed)"
    composed = message(_spec(["x\n", {"type": "attachment", "path": path}]))
    path.unlink()
    err = _refused_before_mail(address, handler, composed)
    assert str(err) == "body[1]: cannot read the file given as :path (No such file or directory)"
    assert "secret" not in str(err)


def test_a_changed_file_fails_its_message_and_the_next_one_goes(pipelining_server, tmp_path):
    handler, address = pipelining_server
    path = _file(tmp_path, 1000)
    changed = message(_spec(["x\n", {"type": "attachment", "path": path}]))
    path.write_bytes(b"other content")
    fine = message(_spec("fine\n"))
    results = send_many(address, [changed, fine], tls="none")
    assert isinstance(results[0], ComposeError) and ":path" in str(results[0])
    assert isinstance(results[1], SendResult)
    assert [m[2].endswith(b"fine\r\n") for m in handler.messages] == [True]


def test_a_file_cut_short_while_it_is_read_is_an_error_not_a_short_message(tmp_path):
    """The size is checked before MAIL; a file cut short after that is an
    OSError from the stream (the DATA writer then drops the connection
    without the end of data)."""
    from smtp_core.fileparts import wire_stream

    path = _file(tmp_path, 57 * 1024 * 4)
    stream = wire_stream(message(_spec(["x\n", {"type": "attachment", "path": path}])))
    first = stream.read()  # headers and the text part
    assert first.startswith(b"From: ")
    os.truncate(path, 100)
    with pytest.raises(OSError, match=r"body\[1\]: the file given as :path became shorter"):
        for _ in range(10):
            assert stream.read()
