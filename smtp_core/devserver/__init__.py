"""A development SMTP server for trying out and testing SMTP clients.

It accepts mail on the local machine and never relays it anywhere: every
accepted message is written to a Maildir (with its envelope added as
headers), summarised on the console, and kept in memory for tests.  Built on
aiosmtpd, it speaks what a client needs to exercise:

* a plain port offering STARTTLS, and optionally an implicit-TLS port, with a
  certificate generated on first use (see :mod:`smtp_core.devserver.pki`) whose CA
  file clients can trust;
* AUTH PLAIN, LOGIN and CRAM-MD5 against configured users (or any login);
* SMTPUTF8, 8BITMIME, SIZE and PIPELINING, VRFY;
* failure injection: rejected recipients, failing AUTH, 421/451 replies at
  any stage, and a connection dropped after the final dot;
* limits a hostile client meets (:class:`SmtpLimits`): sessions at once,
  idle sessions, recipients per message, guessed passwords.

Modules, one topic each: :mod:`.server` (:class:`DevServer`: the loop, the
listeners, start and stop), :mod:`.smtp.protocol` (the aiosmtpd protocol and
handler), :mod:`.smtp.policy` (users, rejections, failure injection),
:mod:`.smtp.limits` (how much one client may take),
:mod:`.mailbox.received` (:class:`ReceivedMessage`, escaping client values for the
console and stored headers), :mod:`.pki` (certificates via trustme; the dev
server's name-constrained CA),
:mod:`.cli` (``smtp-devserver``).

From Python (the server runs on a background thread)::

    >>> import smtplib
    >>> with DevServer(users={"alice": "secret"}) as server:
    ...     with smtplib.SMTP(server.host, server.port) as client:
    ...         client.login("alice", "secret")
    ...         client.sendmail("alice@example.com", ["bob@example.com"],
    ...                         b"Subject: hi\\r\\n\\r\\nhello\\r\\n")
    ...     [received] = server.wait_for(1)
    ...     received.envelope_to, received.message["Subject"]
    (235, b'2.7.0 Authentication successful')
    {}
    (('bob@example.com',), 'hi')

From a shell (``smtp-devserver --help`` lists every option)::

    smtp-devserver --users-file ~/.config/devserver-users --tls-port 2465 --fail-at rcpt:451

AUTH is accepted without TLS when the server listens on a loopback address,
because clients under test usually connect to localhost without TLS (Go's
net/smtp allows PLAIN there too).  On any other address AUTH is only offered
after STARTTLS, or on the implicit-TLS port.
"""

try:
    import aiosmtpd  # noqa: F401
    import trustme  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on the install
    raise ImportError(
        f"the dev server needs {missing.name}, which comes with the devserver extra: "
        "pip install 'gostd-smtp[devserver]'"
    ) from missing

from .cli import main
from .smtp.policy import FAILURE_STAGES, INJECTABLE_CODES, parse_fail_at
from .mailbox.received import ReceivedMessage
from .server import DEFAULT_PORT, DEFAULT_SIZE_LIMIT, DevServer
from .smtp.limits import SmtpLimits

__all__ = [
    "DevServer",
    "ReceivedMessage",
    "SmtpLimits",
    "FAILURE_STAGES",
    "INJECTABLE_CODES",
    "DEFAULT_PORT",
    "DEFAULT_SIZE_LIMIT",
    "parse_fail_at",
    "main",
]
