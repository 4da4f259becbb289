"""File attachments streamed to the wire (issue 18): the same bytes as the
``email`` package's serialisation of the same message, read from the file
only while sending, never held whole; a file that is gone or changed is a
named error before MAIL.  Servers: aiosmtpd in-process, and ``bench.sink``
in its own process (so the client's Python heap is measured alone)."""

from __future__ import annotations

import email.policy
import re
import hashlib
import os
import sys
import tracemalloc
from pathlib import Path

import dkim
import pytest

from smtp_core import ComposeError, SendResult, message, send, send_many
from smtp_core.protocol.dotstuff import CRLFDotEncoder
from smtp_core.mail.fileparts import FilePart

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.sink import start_sink_process  # noqa: E402
from servers import PipeliningHandler, aiosmtpd_serving  # noqa: E402

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


@pytest.mark.parametrize("max_line_length", [78, 100, 998])
def test_base64_lines_are_the_content_managers_at_every_block_edge(max_line_length):
    """fileparts cuts lines LINES_PER_CHUNK at a time: sizes on and around
    one and several blocks, with and without a short last line, give the
    content manager's own lines (email.contentmanager's encoder)."""
    from email.contentmanager import _encode_base64

    from smtp_core.mail.fileparts import LINES_PER_CHUNK, base64_lines

    per_line = max_line_length // 4 * 3
    block = per_line * LINES_PER_CHUNK
    for size in (1, per_line - 1, per_line, block - 1, block, block + 1, 2 * block, 3 * block + per_line + 2):
        data = hashlib.shake_256(b"%d" % size).digest(size)
        expected = _encode_base64(data, max_line_length).encode("ascii")
        assert base64_lines(data, per_line, b"\n") == expected, size
        assert base64_lines(data, per_line, b"\r\n") == expected.replace(b"\n", b"\r\n"), size


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


class MailRecorder(PipeliningHandler):
    """PipeliningHandler that also keeps every MAIL it was sent."""

    def __init__(self) -> None:
        super().__init__()
        self.mails: list = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mails.append(address)
        envelope.mail_from = address
        return "250 OK"


@pytest.fixture
def mail_recorder(free_port):
    with aiosmtpd_serving(MailRecorder(), free_port) as served:
        yield served


def _refused_before_mail(address, handler, composed) -> ComposeError:
    with pytest.raises(ComposeError) as caught:
        send(address, composed, tls="none")
    assert handler.mails == [] and handler.messages == []
    return caught.value


def test_a_file_changed_or_gone_after_composing_is_refused_before_mail(mail_recorder, tmp_path):
    handler, address = mail_recorder
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
    send(address, message(_spec("fine\n")), tls="none")  # the server is as good as before
    assert len(handler.mails) == len(handler.messages) == 1


def test_another_file_put_in_its_place_is_refused_even_with_the_same_size_and_time(mail_recorder, tmp_path):
    """A file replaced by another of the same size whose modification time
    is set back (as rsync -t or a restore does) is not the file checked."""
    handler, address = mail_recorder
    path = _file(tmp_path, 1000)
    composed = message(_spec(["x\n", {"type": "attachment", "path": path}]))
    before = path.stat()
    other = tmp_path / "other.bin"
    other.write_bytes(b"y" * 1000)
    os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(other, path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    err = _refused_before_mail(address, handler, composed)
    assert str(err) == "body[1]: cannot read the file given as :path (it changed after the message was composed)"
    assert not handler.mails


@pytest.mark.parametrize("make,reason", [
    (lambda d: d / "missing-secret.bin", "No such file or directory"),
    (lambda d: d, "Is a directory"),
    (lambda d: _file(d, 10, "plain-secret.bin") / "below", "Not a directory"),
    (lambda d: str(d / "nul\0secret"), "not a file name"),
])
@pytest.mark.parametrize("key", ["path", "content"])
def test_a_file_that_cannot_be_read_is_named_by_its_key_before_connecting(tmp_path, make, reason, key):
    target = make(tmp_path)
    if key == "content" and isinstance(target, str):
        target = Path(target.replace("\0", ""))  # a Path cannot hold NUL; missing instead
        reason = "No such file or directory"
    part = {"type": "attachment", key: target if key == "path" else Path(target)}
    with pytest.raises(ComposeError) as caught:
        message(_spec(["x\n", part]))
    assert str(caught.value) == "body[1]: cannot read the file given as :%s (%s)" % (key, reason)
    assert "secret" not in str(caught.value) and str(tmp_path) not in str(caught.value)


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
    from smtp_core.mail.fileparts import wire_stream

    path = _file(tmp_path, 57 * 1024 * 4)
    stream = wire_stream(message(_spec(["x\n", {"type": "attachment", "path": path}])))
    first = stream.read()  # headers and the text part
    assert first.startswith(b"From: ")
    os.truncate(path, 100)
    with pytest.raises(OSError, match=r"body\[1\]: the file given as :path became shorter"):
        for _ in range(10):
            assert stream.read()


# -- DKIM over a streamed body ---------------------------------------------------------

from dkim_keys import Keys, verifies  # noqa: E402

from smtp_core.mail.signing import BodyHash, DKIMSigner, sign_all  # noqa: E402


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return Keys(tmp_path_factory.mktemp("dkim-stream"))


@pytest.mark.parametrize("body", [b"", b"\r\n", b"\r\n\r\n", b"a", b"a\r\n", b"a\r\n\r\n\r\n", b"a\r\n\r\nb \r\n",
                                  b"x" * 200 + b"\r\n" * 70])
def test_the_body_hash_in_any_chunks_is_dkimpys(body):
    from dkim.canonicalization import CanonicalizationPolicy

    expected = hashlib.sha256(CanonicalizationPolicy.from_c_value(b"relaxed/simple").canonicalize_body(body)).digest()
    for width in (1, 2, 3, 7, len(body) or 1):
        h = BodyHash()
        for i in range(0, len(body), width):
            h.update(body[i:i + width])
        assert h.digest() == expected, width


@pytest.mark.parametrize("algorithm,selector,key", [("rsa-sha256", "rsa", "rsa"),
                                                     ("ed25519-sha256", "ed", "ed25519")])
def test_a_streamed_body_is_signed_as_dkimpy_signs_the_whole(pipelining_server, tmp_path, keys, algorithm,
                                                             selector, key):
    handler, address = pipelining_server
    body = ["Signed.\n", {"type": "attachment", "path": _file(tmp_path, 300_000)}]
    composed = message(_spec(body))
    first = DKIMSigner("example.com", selector, getattr(keys, key), algorithm=algorithm)
    second = DKIMSigner("example.com", "rsa", keys.rsa, headers=["From", "Subject"])
    send(address, composed, tls="none", dkim=[first, second])
    got = handler.messages[0][2]
    assert verifies(got, keys)
    whole = sign_all(_reference(composed, body), (first, second))
    assert got.split(b"\r\n\r\n", 1)[1] == whole.split(b"\r\n\r\n", 1)[1]  # the same body
    assert got.count(b"DKIM-Signature:") == whole.count(b"DKIM-Signature:") == 2
    # Both signatures verify, and their tags but t= and b= are dkimpy's for the whole message.
    mine = dkim.DKIM(got)
    assert mine.verify(0, dnsfunc=keys.dns) and mine.verify(1, dnsfunc=keys.dns)
    for idx in (0, 1):
        a, b = _sig_fields(got, idx), _sig_fields(whole, idx)
        for tag in (b"t", b"b"):
            a.pop(tag), b.pop(tag)
        assert a == b
    # Tampered after signing: fails.
    at = got.index(b"\r\n\r\n") + 10
    assert not verifies(got[:at] + bytes([got[at] ^ 1]) + got[at + 1:], keys)


def _sig_fields(signed: bytes, index: int) -> dict:
    from dkim.util import parse_tag_value

    d = dkim.DKIM(signed)
    values = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    return parse_tag_value(values[index])


def test_a_signed_streamed_message_is_never_held_whole(tmp_path, keys):
    path = _file(tmp_path, 1 << 16)
    with open(path, "ab") as f:
        chunk = path.read_bytes()
        for _ in range(24 * 16 - 1):
            f.write(chunk)
    body = ["See the file.\n", {"type": "attachment", "path": path}]
    log = tmp_path / "hashes"
    with start_sink_process(hash_log=str(log), max_seconds=120) as sink:
        signer = DKIMSigner("example.com", "rsa", keys.rsa)
        tracemalloc.start()
        try:
            composed = message(_spec(body))
            send("127.0.0.1:%d" % sink.port, composed, tls="none", timeout=60, dkim=signer)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 4 * 2**20, "peak %d bytes" % peak
    assert int(log.read_text().split()[1]) > 24 * 2**20 * 4 // 3


def test_one_message_to_several_envelopes_hashes_its_file_once(pipelining_server, tmp_path, keys, monkeypatch):
    """send_many of one composed message to three envelopes: one body-hash
    pass, three signatures that verify; another message (its own
    boundaries), or the same one once its file is another, is hashed anew."""
    from smtp_core.mail import signing

    made = []

    class Counted(signing.BodyHash):
        __slots__ = ()

        def __init__(self) -> None:
            super().__init__()
            made.append(self)

    monkeypatch.setattr(signing, "BodyHash", Counted)
    handler, address = pipelining_server
    path = _file(tmp_path, 3 * 57 * 1024 + 5)
    composed = message(_spec(["Signed.\n", {"type": "attachment", "path": path}]))
    signer = DKIMSigner("example.com", "rsa", keys.rsa)
    items = [("a@example.com", ["b%d@example.com" % i], composed) for i in range(3)]
    results = send_many(address, items, tls="none", dkim=signer)
    assert all(isinstance(r, SendResult) for r in results), results
    assert len(made) == 1
    received = [m[2] for m in handler.messages]
    assert len(received) == 3 and all(verifies(raw, keys) for raw in received)
    assert len({raw.split(b"\r\n\r\n", 1)[1] for raw in received}) == 1
    send(address, message(_spec(["Signed.\n", {"type": "attachment", "path": path}])), tls="none", dkim=signer)
    assert len(made) == 2
    # The file replaced by the same bytes (a new inode): checked as it was
    # composed, refused; composed again, hashed again.
    copy = tmp_path / "copy.bin"
    copy.write_bytes(path.read_bytes())
    os.replace(copy, path)
    with pytest.raises(ComposeError):
        send(address, composed, tls="none", dkim=signer)
    send(address, message(_spec(["Signed.\n", {"type": "attachment", "path": path}])), tls="none", dkim=signer)
    assert len(made) == 3
    assert all(verifies(m[2], keys) for m in handler.messages[3:]) and len(handler.messages) == 5
