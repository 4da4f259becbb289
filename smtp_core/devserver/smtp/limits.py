"""How much one client may take of the dev server's SMTP side.

The rules, each with the reply a client gets past it:

* at most ``max_connections`` sessions at once; one more is greeted with
  ``421 4.7.0 <host> Too many connections, try again later`` and closed
  (the descriptors one process may hold are few: 1,024 by default);
* a session that sends no complete command for ``idle_timeout`` seconds is
  told ``421 4.4.2 <host> Error: timeout exceeded`` (Postfix's words) and
  closed.  aiosmtpd restarts that clock only when a whole valid command
  arrived, so a command trickled byte by byte, or a DATA body, must also be
  complete within it;
* on the implicit-TLS port a connection is a session only once its TLS
  handshake is done; until then it holds one of ``max_connections``
  handshake places (one more is dropped at once: without TLS there is no
  one to say 421 to), and the handshake must end within
  ``tls_handshake_timeout`` seconds (asyncio's default is 60);
* at most ``max_recipients`` RCPT per message (Postfix's
  ``smtpd_recipient_limit``, 1000 by default); more get
  ``452 4.5.3 Error: too many recipients``, and the message can still be
  sent to those accepted (RFC 5321 section 4.5.3.1.10);
* failed logins are counted per client address in a token bucket
  (:class:`~..failurebudget.FailureBudget`): past ``auth_failure_burst`` failures an AUTH
  is answered ``454 4.7.0`` without looking at the credentials, until the
  bucket refilled (one failure per ``1 / auth_failures_per_second`` s).

>>> SmtpLimits().max_recipients
1000
>>> SmtpLimits(max_connections=0)
Traceback (most recent call last):
...
ValueError: max_connections must be >= 1, got 0
"""

from __future__ import annotations

from dataclasses import dataclass

from ..bounds import PositiveLimits
from ..failurebudget import FailureBudget

__all__ = ["SmtpLimits", "TOO_MANY_CONNECTIONS", "TIMEOUT_EXCEEDED",
           "TOO_MANY_RECIPIENTS", "auth_throttled"]

TOO_MANY_CONNECTIONS = "421 4.7.0 {host} Too many connections, try again later"
TIMEOUT_EXCEEDED = "421 4.4.2 {host} Error: timeout exceeded"
TOO_MANY_RECIPIENTS = "452 4.5.3 Error: too many recipients"


def auth_throttled(seconds: int) -> str:
    """The reply to an AUTH from a client whose failure budget is spent.

    >>> auth_throttled(3)
    '454 4.7.0 Too many failed authentication attempts, try again in 3 s'
    """
    return f"454 4.7.0 Too many failed authentication attempts, try again in {seconds} s"


@dataclass(frozen=True)
class SmtpLimits(PositiveLimits):
    """The SMTP side's limits (counts and seconds); every one must be positive."""

    max_connections: int = 256
    #: RFC 5321 section 4.5.3.2.7: a server SHOULD wait at least 5 minutes
    #: for the next command.
    idle_timeout: float = 300.0
    tls_handshake_timeout: float = 10.0
    max_recipients: int = 1000
    auth_failure_burst: int = 10
    auth_failures_per_second: float = 1.0

    def failure_budget(self) -> FailureBudget:
        """A fresh per-address budget with these settings."""
        return FailureBudget(self.auth_failure_burst, self.auth_failures_per_second)
