"""The conversation that carries messages: pipelined or lockstep.

Rules of this module:

* **One round trip per message with PIPELINING** (RFC 2920).  MAIL, every
  RCPT and DATA go in one write; an accepted envelope gets its body, and
  the write that carries the body's end also carries the next message's
  envelope (RFC 2920, section 3.1), so the reply to the end of data and
  the next envelope's replies come back together.
* **Windows.**  Pipelined commands are written at most ``WINDOW`` bytes at
  a time, each group's replies read before the next write, so a huge
  recipient list cannot fill both directions' buffers and deadlock.
* **Lockstep** (``pipelining=False`` or no PIPELINING): one command, one
  reply; nothing after a refused MAIL, no DATA when nobody was accepted.
* **Refusals.**  A refused envelope (MAIL, every RCPT, or DATA) becomes
  the message's error; an accepted DATA is ended with an empty message,
  then RSET.  A refused end of data needs no RSET (RFC 5321, section
  4.1.1.4, ends the transaction whatever the reply).  A refused message
  never stops the next.
* **Bounds.**  Every reply is bounded by its stage's timeout
  (:mod:`.timeouts`), set through the transport, their one owner; body
  blocks of at most ``BLOCK`` bytes each get the block timeout.
* **421 ends the session** (RFC 5321, section 3.8): a 421 to any command
  (MAIL, RCPT, DATA, the end of data, RSET) is the message's refusal,
  :class:`~smtp_core.errors.MessageRefused` with code 421; nothing more is
  read or sent, the connection is closed and the refusal raised as an I/O
  error would be.
* **Failures.**  An I/O error, a timeout or a 421 closes the connection,
  and the messages in flight become
  :class:`~smtp_core.errors.MessageNotSent` (``uncertain`` once the
  write of their end of data had succeeded and no reply came; a write
  that failed before the end of data's last byte left is not uncertain).
* **No I/O here.**  The conversation yields its sends and reads as steps
  (:mod:`.steps`); :func:`deliver` runs it with blocking calls,
  :mod:`smtp_core.aio` awaits the same steps.
"""

from __future__ import annotations

import itertools
from typing import Iterable

from .. import wirelog
from ..client import Client
from ..errors import FAILURES, MessageNotSent, MessageRefused, RecipientsRefused, RefusedAt, SendError, SMTPError
from ..protocol.dotstuff import BEGIN, BEGIN_LINE
from .capabilities import ServerProfile
from .message import read_chunk, stuffed_dots
from .outgoing import Flight, Outgoing, outgoing
from .result import SendResult
from ..steps import Steps, run
from .timeouts import Timeouts, stage_of

__all__ = ["deliver", "delivering", "abandon", "WINDOW", "BLOCK"]

BLOCK = 1 << 20  # bytes of encoded message per write (each gets the block timeout)
WINDOW = 32 * 1024  # bytes of pipelined commands written before reading replies

_END = object()


def deliver(client: Client, server: ServerProfile, table: Timeouts, items: Iterable, pipelining: bool,
            results: list, normalize_line_ends: bool = True, signers: tuple = ()):
    """:func:`delivering`, run with blocking calls."""
    return run(delivering(client, server, table, items, pipelining, results, normalize_line_ends, signers))


def delivering(client, server: ServerProfile, table: Timeouts, items: Iterable, pipelining: bool,
               results: list, normalize_line_ends: bool = True, signers: tuple = ()) -> Steps:
    """Send every message of ``items``, appending one entry per message to ``results``.

    ``signers`` sign each message (:func:`~smtp_core.pythonic.outgoing.outgoing`).

    Returns the exception ``items`` raised, if it did (the message in
    flight was finished first), else ``None``.  An I/O error or a 421
    closes the client, turns the entries of the messages in flight into
    :class:`~smtp_core.errors.MessageNotSent` (the message a 421 answered
    keeps that refusal), and is raised.
    """
    if client.writing:
        raise SMTPError("smtp: close the DATA writer before sending another command")
    source = iter(items)
    source_errors: list = []

    def take() -> Outgoing | None:
        """The next message that can be sent (its entry reserved), or None at the end."""
        while not source_errors:
            try:
                item = next(source, _END)
            except Exception as err:  # the caller's iterable failed
                source_errors.append(err)
                return None
            if item is _END:
                return None
            try:
                out = outgoing(item, server, normalize_line_ends, signers)
            except Exception as err:  # this message cannot be sent as given
                results.append(err)
                continue
            out.slot = len(results)
            results.append(out)
            return out
        return None

    try:
        yield from _messages(client, table, take, pipelining and "PIPELINING" in server.extensions, results)
    except BaseException as err:
        abandon(client)
        for index, entry in enumerate(results):
            if type(entry) is Outgoing:
                results[index] = MessageNotSent(err, entry.state is Flight.ENDED)
        raise
    return source_errors[0] if source_errors else None


def _messages(client, table: Timeouts, take, pipelined: bool, results: list) -> Steps:
    """The messages' conversation: one round trip per message with ``pipelined``.

    ``cur`` is the message whose replies are being read: a 421 becomes its
    entry (unless it already has its refusal), and is raised.
    """
    t = client.transport
    cur = take()
    bundled = False  # whether cur's envelope went out with the previous body
    try:
        while cur is not None:
            commands = cur.commands
            count = len(commands)
            logging = wirelog.enabled()
            if bundled:
                replies = yield from _read_replies(t, table, count)
            elif not pipelined:
                replies = yield from _exchange_lockstep(t, table, commands)
            elif len(cur.pipelined) <= WINDOW:
                if logging:
                    _log_commands(t.peer, commands, "pipelining %d commands in one write" % count)
                t.set_timeout(table.mail)
                yield t.send, cur.pipelined, "MAIL", False, False
                replies = yield from _read_replies(t, table, count)
            else:
                replies = yield from _exchange_pipelined(t, table, commands)
            slot = cur.slot
            result = SendResult(dict(zip(cur.rcpts, replies[1:count - 1])), None, cur.size)

            refusal = _refusal(replies, count, result)
            if refusal is not None:
                results[slot] = refusal
                failure = yield from _recover(client, table, replies, count)
                cur = take()
                if failure is not None and cur is not None:
                    raise failure  # RSET failed: the connection is gone
                bundled = False
                continue

            # The body; with PIPELINING the next envelope rides along.
            nxt = take() if pipelined else None
            trailer = nxt.pipelined if nxt is not None and len(nxt.pipelined) <= WINDOW else b""
            t.set_timeout(table.block)
            sent = yield from _send_body(t, cur, trailer)
            if cur.stream is not None:
                result.size = cur.size
            if logging:
                wirelog.log_body(t.peer, sent)
                if trailer:
                    _log_commands(t.peer, nxt.commands,
                                  "pipelining %d commands after the message, in the same write" % len(nxt.commands))
            t.set_timeout(table.data_end)
            result.reply = reply = _closing((yield t.read_reply, 0, "DATA end"), "DATA end", replies[:count - 1])
            failure = None
            if reply[0] == 250:
                results[slot] = result
            else:
                results[slot] = MessageRefused(reply[0], reply[1], RefusedAt.DATA_END, result)
                if not trailer:
                    failure = yield from _reset(client, table)
            if not pipelined:
                nxt = take()
            if failure is not None and nxt is not None:
                raise failure  # RSET failed: the connection is gone
            cur = nxt
            bundled = bool(trailer)
    except ServiceClosing as closing:
        refusal = closing.refusal
        if cur is not None and type(results[cur.slot]) is Outgoing:
            refusal.result = SendResult(dict(zip(cur.rcpts, closing.replies[1:])), None, cur.size)
            results[cur.slot] = refusal
        raise refusal from None


# What a message's envelope replies decide, first matching row wins (None: either way):
# (MAIL accepted, DATA answered, a recipient accepted, DATA accepted) -> the message's error.
_ENVELOPE_OUTCOMES = (
    ((False, None, None, None), RefusedAt.MAIL),
    ((True, False, None, None), RecipientsRefused),  # lockstep stopped before DATA: nobody was accepted
    ((True, True, False, None), RecipientsRefused),
    ((True, True, True, False), RefusedAt.DATA),
    ((True, True, True, True), None),  # go on with the body
)


def _first_match(facts: tuple) -> object:
    for pattern, outcome in _ENVELOPE_OUTCOMES:
        if all(want is None or want == fact for want, fact in zip(pattern, facts)):
            return outcome
    raise AssertionError("no row of _ENVELOPE_OUTCOMES matches %r" % (facts,))


# The table looked up once per message: every combination of the facts, expanded now.
_OUTCOME = {facts: _first_match(facts) for facts in itertools.product((False, True), repeat=4)}


def _refusal(replies: list, count: int, result: SendResult) -> SendError | None:
    """The error for a refused envelope (MAIL, every RCPT, or DATA), or None
    (see ``_ENVELOPE_OUTCOMES``)."""
    answered = len(replies) == count
    outcome = _OUTCOME[replies[0][0] == 250, answered, any(code // 10 == 25 for code, _ in replies[1:count - 1]),
                       answered and replies[count - 1][0] == 354]
    if outcome is None:
        return None
    if outcome is RecipientsRefused:
        return RecipientsRefused(result)
    code, text = replies[0] if outcome is RefusedAt.MAIL else replies[count - 1]
    return MessageRefused(code, text, outcome, result)


def _recover(client, table: Timeouts, replies: list, count: int) -> Steps:
    """After a refused envelope: end an accepted DATA, then RSET.

    Returns the RSET's failure (the client is then closed), else None.
    """
    if len(replies) == count and replies[count - 1][0] == 354:
        # DATA was pipelined and accepted although nothing else was: end
        # the (empty) message so the server takes commands again.
        t = client.transport
        t.set_timeout(table.data_end)
        yield t.send, b".\r\n", "DATA end"
        _closing((yield t.read_reply, 0, "DATA end"), "DATA end", replies)
    return (yield from _reset(client, table))


class ServiceClosing(Exception):
    """A 421 reply (inside this module only): ``refusal`` is its
    :class:`~smtp_core.errors.MessageRefused`, ``replies`` the message's
    replies read so far (MAIL's first)."""

    def __init__(self, refusal: MessageRefused, replies: list) -> None:
        super().__init__(refusal)
        self.refusal = refusal
        self.replies = replies


def _closing(reply: tuple[int, str], stage: str, replies: list) -> tuple[int, str]:
    """``reply``, unless it is a 421: the server is closing the connection."""
    if reply[0] == 421:
        raise ServiceClosing(MessageRefused(reply[0], reply[1], stage), replies)
    return reply


def _log_commands(peer: str, commands: list[bytes], event: str) -> None:
    wirelog.log_event(peer, event)
    for line in commands:
        wirelog.log_sent(peer, line)


def _read_replies(t, table: Timeouts, count: int) -> Steps:
    """The replies to ``count`` pipelined commands (MAIL, RCPT..., DATA), in order."""
    replies: list[tuple[int, str]] = []
    yield from _collect(t, table, replies, 0, count, count - 1)
    return replies


def _collect(t, table: Timeouts, replies: list, start: int, end: int, last: int) -> Steps:
    """Append the replies to envelope commands ``start`` to ``end - 1`` (DATA
    is ``last``) to ``replies``; a 421 ends the session.

    Replies usually arrive together: those already received come straight
    from the transport's buffer (:meth:`~smtp_core.transport.Transport.buffered_reply`),
    without a socket call or a timeout change.
    """
    for index in range(start, end):
        reply = t.buffered_reply()
        if reply is None:
            stage, seconds = stage_of(index, last, table)
            t.set_timeout(seconds)
            reply = yield t.read_reply, 0, stage
        replies.append(reply)
        if reply[0] == 421:
            _closing(reply, stage_of(index, last, table)[0], replies)


def _windows(commands: list[bytes]) -> list[tuple[int, int]]:
    """Cut the commands into groups of at most ``WINDOW`` bytes (one command at least)."""
    windows, start, size = [], 0, 0
    for index, line in enumerate(commands):
        if index > start and size + len(line) > WINDOW:
            windows.append((start, index))
            start, size = index, 0
        size += len(line)
    windows.append((start, len(commands)))
    return windows


def _exchange_pipelined(t, table: Timeouts, commands: list[bytes]) -> Steps:
    """RFC 2920 for an envelope larger than ``WINDOW``, one window at a time.
    When MAIL was refused, the rest is not sent."""
    last = len(commands) - 1
    logging = wirelog.enabled()
    replies: list[tuple[int, str]] = []
    for start, end in _windows(commands):
        if logging:
            _log_commands(t.peer, commands[start:end], "pipelining %d commands in one write" % (end - start))
        stage, seconds = stage_of(start, last, table)
        t.set_timeout(seconds)
        yield t.send, b"".join(commands[start:end]), stage, False, False
        yield from _collect(t, table, replies, start, end, last)
        if replies[0][0] != 250:
            break
    return replies


def _exchange_lockstep(t, table: Timeouts, commands: list[bytes]) -> Steps:
    """One command, one reply; stops after a refused MAIL, and before DATA
    when no recipient was accepted."""
    last = len(commands) - 1
    replies: list[tuple[int, str]] = []
    for index, line in enumerate(commands):
        if index == last and not any(code // 10 == 25 for code, _ in replies[1:]):
            break
        stage, seconds = stage_of(index, last, table)
        t.set_timeout(seconds)
        yield t.send, line, stage
        replies.append((yield t.read_reply, 0, stage))
        _closing(replies[-1], stage, replies)
        if index == 0 and replies[0][0] != 250:
            break
    return replies


def _send_body(t, out: Outgoing, trailer: bytes) -> Steps:
    """Send the message's body and end of data, ``trailer`` in the same write
    as the end; return the body's bytes on the wire.

    ``out.state`` is moved on by :func:`_send_last`.  A streamed file's RFC 1870
    size is known only now and goes to ``out.size``.
    """
    wire = out.wire
    if wire is None:
        out.size, sent = yield from _send_stream(t, out, trailer)
        return sent
    size = len(wire)
    if size <= BLOCK:
        yield from _send_last(t, out, wire, trailer)
        return size
    view = memoryview(wire)
    last = (size - 1) // BLOCK * BLOCK
    for offset in range(0, last, BLOCK):
        yield t.send, view[offset:offset + BLOCK], "DATA block", False, False
    yield from _send_last(t, out, bytes(view[last:]), trailer)
    return size


def _send_last(t, out: Outgoing, tail: bytes, trailer: bytes) -> Steps:
    """Write the body's ``tail`` (its end of data last) and ``trailer`` in
    one write; ``out.state`` is :attr:`~.Flight.ENDED` once the end of data was written.

    A write that fails before its last byte left did not deliver the end
    of data, so the message was not sent; one that fails in ``trailer``
    did (the kernel's count of bytes written says which).
    """
    try:
        yield t.send_partial, tail + trailer if trailer else tail, "DATA block"
    except OSError as err:
        if getattr(err, "bytes_sent", 0) >= len(tail):
            out.state = Flight.ENDED
        raise
    out.state = Flight.ENDED


def _send_stream(t, out: Outgoing, trailer: bytes) -> Steps:
    """Encode and send the file chunk by chunk; the last chunk travels with
    the end of data (and ``trailer``).  Returns the RFC 1870 size and the
    body's bytes sent."""
    stream = out.stream
    encoder = out.encoder
    size = sent = 0
    chunk = out.first
    while True:
        at_line_start = encoder.state in (BEGIN, BEGIN_LINE)
        pending = encoder.encode(chunk)
        size += len(pending) - stuffed_dots(pending, at_line_start)
        chunk = read_chunk(stream) if chunk else b""
        if not chunk:
            break
        if pending:
            yield t.send, pending, "DATA block", False, False
            sent += len(pending)
    tail = encoder.finish()
    size += len(tail) - 3
    pending += tail
    yield from _send_last(t, out, pending, trailer)
    return size, sent + len(pending)


def _reset(client, table: Timeouts) -> Steps:
    """RSET, so the next message starts clean; if even that fails, close
    and return the failure."""
    try:
        client.transport.set_timeout(table.command)
        yield client.reset,
    except FAILURES as err:
        abandon(client)
        return err
    return None


def abandon(client) -> None:
    """Close the connection if it is open, without QUIT (after a failure)."""
    if not client.closed:
        try:
            client.close()
        except OSError:
            pass
