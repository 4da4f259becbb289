"""The messages the benchmark sends: a 1 KiB message and a big streamed one.

Both are deterministic, so every run and every client sends the same bytes
(the wire check compares digests of the big one).
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path


def make_message(size: int = 1024) -> bytes:
    """A plain message of exactly ``size`` bytes with CRLF line ends."""
    head = (b"From: bench@example.com\r\nTo: sink@example.com\r\nSubject: benchmark message\r\n"
            b"Message-ID: <bench@example.com>\r\n\r\n")
    line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
    body = bytearray(head)
    while len(body) + len(line) <= size - 2:
        body += line
    body += b"x" * (size - 2 - len(body)) + b"\r\n"
    return bytes(body[:size])


def _text_lines(rng: random.Random, size: int, odd_ends: bool) -> bytearray:
    """Lines of about ``size`` bytes: one in four starts with ``.``, one in
    forty is a lone ``.``; with ``odd_ends``, one in eight ends in a bare LF,
    a CR run before the LF, or holds a lone CR."""
    letters = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,;:-"
    out = bytearray()
    while len(out) < size:
        roll = rng.randrange(40)
        text = bytes(rng.choice(letters) for _ in range(rng.randrange(10, 90)))
        if roll == 0:
            text = b"."
        elif roll % 4 == 1:
            text = b"." + text
        end = b"\r\n"
        if odd_ends:
            end = {0: b"\n", 1: b"\r\r\n", 2: b"\r\r\r\n", 3: b"\rx\r\n"}.get(rng.randrange(32), b"\r\n")
        out += text + end
    return out


def make_big_message(path: Path, size: int) -> int:
    """Write a message of about ``size`` bytes with many lines starting with a dot.

    A well-formed message (CRLF line ends), where one line in four starts
    with ``.`` and one in forty is a lone ``.``.  Its first 64 KiB also
    hold the odd line ends Go still encodes in its own way (bare LF, CR
    runs, lone CR), so the wire check covers them.  Deterministic: every
    run sends the same bytes.
    """
    rng = random.Random(6)
    head = b"From: bench@example.com\r\nTo: sink@example.com\r\nSubject: big\r\n\r\n"
    first = head + _text_lines(rng, 65536, odd_ends=True)
    block = bytes(_text_lines(rng, 1 << 20, odd_ends=False))
    written = 0
    with open(path, "wb") as f:
        for piece in itertools.chain([first], itertools.repeat(block)):
            room = size - written
            last = len(piece) >= room
            if last:
                piece = piece[:room]
                piece = piece[:piece.rfind(b"\n") + 1] or piece  # end on a whole line
            f.write(piece)
            written += len(piece)
            if last:
                break
    return written

