"""Loopback SMTP servers as the tests address them (:func:`addr`), aiosmtpd
serving a handler for the length of a fixture (:func:`aiosmtpd_serving`),
an aiosmtpd handler that records what it accepts and one that also offers
PIPELINING (the ``pipelining_server`` fixture of tests/conftest.py serves it)."""

from __future__ import annotations

import contextlib


def addr(server, port: int | None = None) -> str:
    """``host:port`` of a loopback server (its ``port``, or the one given)."""
    return "%s:%d" % (getattr(server, "host", None) or "127.0.0.1", port or server.port)


class RecordingHandler:
    """An aiosmtpd handler that records what it accepts.

    It accepts everything but recipients starting with "no" (550) and
    bodies containing REJECT (554); ``messages`` keeps ``(sender,
    recipients, body)`` of each accepted message and ``mail_options`` the
    MAIL parameters each came with.
    """

    def __init__(self) -> None:
        self.messages: list = []
        self.mail_options: list = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("no"):
            return "550 5.1.1 unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if b"REJECT" in envelope.original_content:
            return "554 5.7.1 rejected"
        self.messages.append((envelope.mail_from, tuple(envelope.rcpt_tos), envelope.original_content))
        self.mail_options.append(list(envelope.mail_options))
        return "250 OK queued as %d" % len(self.messages)


class PipeliningHandler(RecordingHandler):
    """A :class:`RecordingHandler` that offers PIPELINING (aiosmtpd processes pipelined input)."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING", responses[-1]]


@contextlib.contextmanager
def aiosmtpd_serving(handler, port: int, **options):
    """``(handler, "127.0.0.1:port")`` while an aiosmtpd ``Controller`` serves
    ``handler`` on ``port`` (``options``: the Controller's own, such as
    ``enable_SMTPUTF8``); stopped when the block ends."""
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield handler, "127.0.0.1:%d" % port
    finally:
        controller.stop()
