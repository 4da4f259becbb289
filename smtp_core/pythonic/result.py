"""What happened to one message: :class:`SendResult`.

Rules of this module:

* a recipient counts as accepted on any 25x reply to its RCPT (as Go's
  ``Rcpt``), refused otherwise, and keeps the order it was given in;
* ``size`` is RFC 1870's: octets after line ends became CRLF, without the
  stuffed dots and without the final ``.`` line.

>>> r = SendResult({"a@x": (250, "ok"), "b@x": (550, "no")}, (250, "queued"), 12)
>>> r.accepted, str(r.refused["b@x"])
(['a@x'], '550 "no"')
"""

from __future__ import annotations

from ..errors import ReplyError

__all__ = ["SendResult"]


class SendResult:
    """What happened to one message.

    ``recipients`` maps every recipient, in the order given, to its RCPT
    reply ``(code, text)``; ``accepted`` and ``refused`` sort them.
    ``reply`` is the reply to the end of the message (``None`` if the
    message was not sent).  ``size`` is the message size as RFC 1870
    defines it: octets after line ends became CRLF, without the stuffed
    dots and without the final ``.`` line.
    """

    __slots__ = ("recipients", "reply", "size")

    def __init__(self, recipients: dict, reply: tuple[int, str] | None, size: int | None) -> None:
        self.recipients = recipients
        self.reply = reply
        self.size = size

    @property
    def accepted(self) -> list[str]:
        """Recipients the server accepted (25x), in order."""
        return [addr for addr, (code, _) in self.recipients.items() if code // 10 == 25]

    @property
    def refused(self) -> dict[str, ReplyError]:
        """Recipients the server refused, each with its reply as a :class:`ReplyError`."""
        return {addr: ReplyError(code, text) for addr, (code, text) in self.recipients.items() if code // 10 != 25}

    def __repr__(self) -> str:
        return "<SendResult %d accepted, %d refused, reply=%r, size=%r>" % (
            len(self.accepted), len(self.recipients) - len(self.accepted), self.reply, self.size)
