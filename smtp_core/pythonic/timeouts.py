"""How long each step of a send may wait: :class:`Timeouts` and RFC 5321's table.

Rules of this module:

* every wait has a bound; the default table is RFC 5321's (section
  4.5.3.2), with 5 min for the commands it does not list and 30 s to
  connect (RFC 5321 gives none);
* a timeout spec is ``None`` (that table), a number (the same bound for
  every step, connect included unless ``connect_timeout`` says otherwise)
  or a :class:`Timeouts` (as given);
* each pipelined reply is bounded by its own command's stage
  (:func:`stage_of`): MAIL, then RCPT, and DATA last.

The bound is enforced by :meth:`smtp_core.transport.Transport.set_timeout`,
its one owner; this module only says which bound applies.

>>> resolve(None, None) is RFC5321_TIMEOUTS
True
>>> resolve(5, 2).connect, resolve(5, 2).rcpt
(2.0, 5.0)
>>> stage_of(0, 3, RFC5321_TIMEOUTS), stage_of(3, 3, RFC5321_TIMEOUTS)
(('MAIL', 300.0), ('DATA', 120.0))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

__all__ = ["Timeouts", "RFC5321_TIMEOUTS", "TimeoutSpec", "resolve", "stage_of"]


@dataclass(frozen=True)
class Timeouts:
    """How long each step may wait, in seconds.

    The defaults are RFC 5321's (section 4.5.3.2) where it gives one:
    greeting 5 min, MAIL 5 min, RCPT 5 min, DATA initiation 2 min, each
    data block 3 min, DATA termination (the reply to the final dot) 10 min.
    For the commands it does not list (EHLO, STARTTLS and its handshake,
    AUTH, RSET, NOOP, QUIT) ``command`` uses 5 min, the server's own idle
    timeout.  ``connect`` (TCP, and the TLS handshake of
    :func:`~smtp_core.pythonic.dial_tls` uses ``command``) is 30 s, a common
    MTA default: RFC 5321 gives none.

    Each reply must arrive *whole* within its time (a server sending one
    byte a minute cannot stretch it).  A timeout closes the connection.

    >>> Timeouts().data_end
    600.0
    >>> Timeouts.uniform(5).rcpt
    5.0
    """

    connect: float = 30.0
    greeting: float = 300.0
    command: float = 300.0
    mail: float = 300.0
    rcpt: float = 300.0
    data: float = 120.0
    block: float = 180.0
    data_end: float = 600.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError("Timeouts.%s must be a number of seconds, got %r" % (f.name, value))
            if not (value > 0 and math.isfinite(value)):
                raise ValueError("Timeouts.%s must be a positive finite number of seconds, got %r" % (f.name, value))
            object.__setattr__(self, f.name, float(value))

    @classmethod
    def uniform(cls, seconds: float) -> "Timeouts":
        """The same bound for every step."""
        return cls(*([seconds] * len(fields(cls))))


#: RFC 5321's recommended timeouts (the default everywhere in the Pythonic layer).
RFC5321_TIMEOUTS = Timeouts()

#: What ``timeout=`` accepts.
TimeoutSpec = float | Timeouts | None


def resolve(timeout: TimeoutSpec, connect_timeout: float | None) -> Timeouts:
    """The table a ``timeout=``/``connect_timeout=`` pair stands for.

    ``None``: RFC 5321's table; a number: that bound for every step
    (connect included unless ``connect_timeout`` says otherwise); a
    :class:`Timeouts`: as given.
    """
    if timeout is None:
        table = RFC5321_TIMEOUTS
    elif isinstance(timeout, Timeouts):
        table = timeout
    else:
        table = Timeouts.uniform(timeout)
    if connect_timeout is not None and connect_timeout != table.connect:
        table = replace(table, connect=connect_timeout)
    return table


def stage_of(index: int, last: int, table: Timeouts) -> tuple[str, float]:
    """The stage name and reply timeout of envelope command ``index`` (MAIL, RCPT..., DATA at ``last``)."""
    if index == 0:
        return "MAIL", table.mail
    if index == last:
        return "DATA", table.data
    return "RCPT", table.rcpt
