"""A development SMTP server and mail catcher for trying out and testing SMTP clients.

It accepts mail on the local machine and never relays it anywhere (unless
Mailpit's *release* is given a relay): every accepted message is written to
a Maildir, its envelope added as headers, and indexed in SQLite beside it;
nothing received stays in memory, :meth:`DevServer.messages` and
:meth:`DevServer.wait_for` read it back.  With ``quiet=False`` (the
command line's default) each message also gets a summary line on the
console.  Its own SMTP loop (aiosmtpd's replies) speaks what a client needs to exercise:

* a plain port offering STARTTLS, and optionally an implicit-TLS port, with a
  certificate generated on first use (see :mod:`smtp_core.devserver.pki`) whose CA
  file clients can trust;
* AUTH PLAIN, LOGIN and CRAM-MD5 against configured users (or any login);
* SMTPUTF8, 8BITMIME, SIZE and PIPELINING, VRFY;
* failure injection: rejected recipients, failing AUTH, 421/451 replies at
  any stage, a connection dropped after the final dot, Mailpit's chaos;
* limits a hostile client meets (:class:`SmtpLimits`): sessions at once,
  idle sessions, recipients per message, guessed passwords.

The *catcher* is this server in its Mailpit role: SMTP in, the mailbox,
and (with ``http_port``) a web page and Mailpit's REST API out.

Modules, one topic each (each subpackage's docstring lists its own):

==============================  ==============================================
:mod:`.server`                  :class:`DevServer`: the loop and its thread,
                                the listeners, the certificate, start and stop
:mod:`.cli`                     ``smtp-devserver`` (and ``python -m``): options,
                                banner, Ctrl-C
:mod:`.pki`                     certificates via trustme; the dev server's
                                name-constrained CA
:mod:`.features`                Mailpit's optional features (relay, spamd,
                                chaos, label) and its runtime figures
:mod:`.failurebudget`           failed logins per client address, for SMTP
                                AUTH and HTTP basic auth alike
:mod:`.bounds`                  the one rule for every limit: a count >= 1,
                                a time > 0
:mod:`.smtp`                    the SMTP side: :mod:`~.smtp.protocol` (the
                                sessions), :mod:`~.smtp.grammar` (command
                                lines and replies), :mod:`~.smtp.auth`,
                                :mod:`~.smtp.handler` (the store hand-off),
                                :mod:`~.smtp.policy` (users, rejections,
                                injected failures), :mod:`~.smtp.limits`
:mod:`.mailbox`                 the mail kept: :mod:`~.mailbox.store` (Maildir
                                and index), :mod:`~.mailbox.received`
                                (:class:`ReceivedMessage`, escaping client
                                values), :mod:`~.mailbox.search`,
                                :mod:`~.mailbox.mailview`,
                                :mod:`~.mailbox.mimetree`,
                                :mod:`~.mailbox.htmltext`,
                                :mod:`~.mailbox.tagnames`
:mod:`.web`                     the HTTP side (aiohttp): :mod:`~.web.service`,
                                :mod:`~.web.httpguard`, :mod:`~.web.api`,
                                :mod:`~.web.events`,
                                :mod:`~.web.page` and ``static/``,
                                :mod:`~.web.mailpit_extra` and one module per
                                Mailpit feature
==============================  ==============================================

The SMTP and web sides both use the mailbox; the mailbox uses neither.

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
    import trustme  # noqa: F401
except ImportError as missing:  # pragma: no cover - depends on the install
    raise ImportError(
        f"the dev server needs {missing.name}, which comes with the devserver extra: "
        "pip install 'gostd-smtp[devserver]'"
    ) from missing

from .cli import main
from .mailbox.received import ReceivedMessage
from .server import DEFAULT_PORT, DEFAULT_SIZE_LIMIT, DevServer
from .smtp.limits import SmtpLimits
from .smtp.policy import FAILURE_STAGES, INJECTABLE_CODES, parse_fail_at

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
