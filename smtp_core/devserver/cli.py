"""``smtp-devserver``: the command line (options, start-up banner, Ctrl-C).

``python -m smtp_core.devserver`` runs the same :func:`main`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import ssl
import sys
import threading
from collections.abc import Sequence

from . import pki
from .bounds import check_positive
from .mailbox import autotags
from .mailbox.store import DEFAULT_FSYNC, DEFAULT_MAX_DEPTH, DEFAULT_MAX_PARTS, FSYNC_POLICIES
from .server import DEFAULT_PORT, DEFAULT_SIZE_LIMIT, DevServer
from .smtp.limits import SmtpLimits
from .smtp.policy import USERS_ENV, parse_fail_at, parse_users, read_users_file, users_from_environment
from .web import service as web

__all__ = ["main"]


def _format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


_EPILOG = """\
examples:
  smtp-devserver                                 plain port 2525 with STARTTLS
  smtp-devserver --tls-port 2465 --users-file ~/.config/devserver-users --require-auth
  smtp-devserver --reject-rcpt nobody@example.com --fail-at dot:451

failure stages: connect, ehlo, mail, rcpt, data (the DATA command), dot (the
reply to the final dot).  421 closes the connection after the reply; 451 does
not.  AUTH works without TLS on loopback addresses.

users: --user shows its password to everyone who can run ps; --users-file
(NAME:PASSWORD lines, # comments, mode 0600) and $SMTP_DEVSERVER_USERS
(entries separated by commas, or by newlines if a password has a comma) do
not.  All three may be combined; --user wins over the file, the file over
the environment.
"""


#: Mailpit's tagging options, as its ``cmd/root.go`` names them.
_TAG_OPTIONS: Sequence[tuple[tuple[str, ...], dict]] = (
    (("-t", "--tag"), dict(action="append", default=[], metavar="'TAGS=MATCH ...'", help=(
        "tag messages that contain MATCH or match it as a search (repeatable; pairs separated by "
        "spaces, double quotes keep spaces, TAGS comma-separated)"))),
    (("--tags-config",), dict(metavar="FILE", help=(
        "YAML file of filters: 'filters: [{match: ..., tags: \"A, B\", stop: false}]'"))),
    (("--tags-title-case",), dict(action="store_true", help="title-case the tags made from X-Tags and plus addresses")),
    (("--tags-disable",), dict(metavar="KINDS", help="no tags from plus-addresses, x-tags or both (comma-separated)")),
    (("--tags-username",), dict(action="store_true", help=(
        "tag each message with its user name: SMTP AUTH's, or the send API's HTTP basic-auth one"))),
)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smtp-devserver",
        description=(
            "Development SMTP server: accepts mail on this machine, stores it "
            "in a Maildir and prints a summary. Nothing is relayed."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listen = parser.add_argument_group("listening")
    listen.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    listen.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="plain port offering STARTTLS, 0 for a free one (default: %(default)s)")
    listen.add_argument("--tls-port", type=int, default=None, metavar="PORT",
                        help="also listen with implicit TLS (SMTPS) on PORT, 0 for a free one")
    tls = parser.add_argument_group("certificate")
    tls.add_argument("--cert", metavar="FILE", help="PEM certificate (chain) to use instead of the generated one")
    tls.add_argument("--key", metavar="FILE", help="PEM private key for --cert")
    tls.add_argument("--client-ca", metavar="FILE",
                     help="require a client certificate signed by a CA in this PEM file (mutual TLS)")
    tls.add_argument("--cert-dir", metavar="DIR",
                     help="where the generated CA and certificate are kept "
                          f"(default: {pki.default_devserver_directory()})")
    auth = parser.add_argument_group("authentication")
    auth.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD",
                      help="accept this login for AUTH PLAIN/LOGIN/CRAM-MD5 (repeatable; visible in ps)")
    auth.add_argument("--users-file", metavar="PATH",
                      help=f"read NAME:PASSWORD lines from PATH (0600); also ${USERS_ENV}")
    auth.add_argument("--accept-any-login", action="store_true", help="every user name and password succeeds")
    auth.add_argument("--require-auth", action="store_true",
                      help="refuse MAIL/RCPT/DATA/VRFY with 530 until AUTH succeeded")
    mail = parser.add_argument_group("mail")
    mail.add_argument("--size-limit", type=int, default=DEFAULT_SIZE_LIMIT, metavar="BYTES",
                      help="maximum message size, advertised as SIZE; 0 for none (default: %(default)s)")
    mail.add_argument("--maildir", metavar="DIR",
                      help=f"store messages here, kept across restarts (default: {web.default_maildir()})")
    limits = parser.add_argument_group("limits (per SMTP server)")
    defaults = SmtpLimits()
    limits.add_argument("--max-connections", type=int, default=defaults.max_connections, metavar="N",
                        help="SMTP sessions at once; one more is answered 421 and closed (default: %(default)s)")
    limits.add_argument("--idle-timeout", type=float, default=defaults.idle_timeout, metavar="SECONDS",
                        help="close a session (421) that sends no complete command for this long; "
                             "a DATA body must arrive within it too (default: %(default)s)")
    limits.add_argument("--max-recipients", type=int, default=defaults.max_recipients, metavar="N",
                        help="RCPT per message; more are answered 452 (default: %(default)s)")
    mail.add_argument("--max-mime-parts", type=int, default=DEFAULT_MAX_PARTS, metavar="N",
                      help="refuse a message with more MIME parts (552) (default: %(default)s)")
    mail.add_argument("--max-mime-depth", type=int, default=DEFAULT_MAX_DEPTH, metavar="N",
                      help="refuse a message with MIME parts nested deeper (552) (default: %(default)s)")
    mail.add_argument("--fsync", choices=FSYNC_POLICIES, default=DEFAULT_FSYNC,
                      help="what is on disk before a 250: never (survives a crash of this server, not of the "
                           "machine), batch or always (fsynced) (default: %(default)s)")
    mail.add_argument("--quiet", action="store_true", help="do not print a line per received message")
    mail.add_argument("-v", "--verbose", action="store_true", help="log the SMTP conversation (each command, escaped, at debug level)")
    tagging = parser.add_argument_group("automatic tags (Mailpit's)")
    for flags, settings in _TAG_OPTIONS:
        tagging.add_argument(*flags, **settings)
    failures = parser.add_argument_group("failure injection")
    failures.add_argument("--reject-rcpt", action="append", default=[], metavar="ADDR",
                          help="answer RCPT TO:<ADDR> with 550 (repeatable)")
    failures.add_argument("--fail-auth", action="store_true", help="answer every AUTH with 535")
    failures.add_argument("--fail-at", action="append", default=[], metavar="STAGE:CODE",
                          help="answer CODE (421 or 451) at STAGE (repeatable)")
    failures.add_argument("--drop-after-data", action="store_true",
                          help="store the message, then close the connection without replying to the final dot")
    web.add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``smtp-devserver`` and ``python -m smtp_core.devserver``.

    Serves until Ctrl-C (SIGINT) or SIGTERM, then exits with status 0.
    """
    parser = _build_parser()
    options = parser.parse_args(argv)
    if (options.cert is None) != (options.key is None):
        parser.error("--cert and --key go together")
    try:
        fail_at = parse_fail_at(options.fail_at)
        users = {**users_from_environment(),
                 **(read_users_file(options.users_file) if options.users_file else {}),
                 **parse_users(options.user)}
    except ValueError as error:
        parser.error(str(error))
    if options.size_limit < 0:
        parser.error("--size-limit must be >= 0")
    try:
        smtp_limits = SmtpLimits(max_connections=options.max_connections, idle_timeout=options.idle_timeout,
                                 max_recipients=options.max_recipients)
        check_positive("max_mime_parts", options.max_mime_parts)
        check_positive("max_mime_depth", options.max_mime_depth)
    except ValueError as error:
        parser.error("--" + str(error).replace("_", "-"))
    http = web.http_options(parser, options)
    tagging = _tagging(parser, options)
    features = web.feature_options(parser, options)

    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    maildir = options.maildir or web.default_maildir()
    server = DevServer(
        host=options.host,
        port=options.port,
        tls_port=False if options.tls_port is None else options.tls_port,
        users=users,
        accept_any_login=options.accept_any_login,
        require_auth=options.require_auth,
        size_limit=options.size_limit,
        maildir=maildir,  # kept after exit, so it can be inspected
        reject_rcpt=options.reject_rcpt,
        fail_auth=options.fail_auth,
        fail_at=fail_at,
        drop_after_data=options.drop_after_data,
        cert=(options.cert, options.key) if options.cert else None,
        quiet=options.quiet,
        cert_dir=options.cert_dir,
        max_messages=options.max_messages,
        max_mime_parts=options.max_mime_parts,
        max_mime_depth=options.max_mime_depth,
        fsync=options.fsync,
        client_ca=options.client_ca,
        features=features,
        smtp_limits=smtp_limits,
        tagging=tagging,
        **(http or {}),
    )
    try:
        server.start()
    except (OSError, pki.PKIError, ssl.SSLError) as error:
        print(f"smtp-devserver: cannot start: {error}", file=sys.stderr)
        return 1

    stop_requested = threading.Event()
    # Signal handlers can only be installed from the main thread (main() may
    # also be called from elsewhere, e.g. an embedding program's thread).
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        previous_sigterm = signal.signal(
            signal.SIGTERM, lambda signum, frame: stop_requested.set()
        )
    try:
        try:
            # A Ctrl-C as soon as the banner shows (a script that waits for
            # it) may land while it is still being printed: same clean stop.
            _print_banner(server, options, users)
            # Event.wait() is interrupted by Ctrl-C (KeyboardInterrupt) and
            # returns once the SIGTERM handler sets the event.
            stop_requested.wait()
        except KeyboardInterrupt:
            pass
        print("smtp-devserver: stopping", flush=True)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous_sigterm)
        server.stop()
    return 0


def _tagging(parser: argparse.ArgumentParser, options: argparse.Namespace) -> autotags.AutoTagger:
    """The tagging rules the options ask for; a bad one is a parser error
    naming the option (and the file, line and key)."""
    try:
        filters = [found for value in options.tag for found in autotags.filters_from_argument(value)]
        if options.tags_config:
            try:
                with open(options.tags_config, encoding="utf-8") as file:
                    text = file.read()
            except (OSError, UnicodeDecodeError) as error:
                raise autotags.TagSettingError(f"--tags-config {options.tags_config}: cannot read it: {error}")
            filters += autotags.filters_from_yaml(text, options.tags_config)
        disabled = autotags.parse_disable(options.tags_disable) if options.tags_disable else set()
    except autotags.TagSettingError as error:
        parser.error(str(error))
    return autotags.AutoTagger(filters, plus_addresses="plus_addresses" not in disabled,
                               x_tags="x_tags" not in disabled, title_case=options.tags_title_case,
                               username=options.tags_username)


def _print_banner(server: DevServer, options: argparse.Namespace, users: dict[str, str]) -> None:
    assert server.port is not None
    lines = [f"smtp-devserver listening on {_format_address(server.host, server.port)} (plain, STARTTLS)"]
    if server.tls_port is not None:
        lines.append(f"smtp-devserver listening on {_format_address(server.host, server.tls_port)} (implicit TLS)")
    if server.ca_path is not None:
        lines.append(f"trust this CA: {server.ca_path}")
    else:
        lines.append(f"certificate: {server.cert_path} (clients must trust its issuer)")
    lines.append(f"maildir: {server.maildir}")
    if server.url is not None:
        lines.append(f"web page and API: {server.url}")
    if options.fail_auth:
        auth = "every AUTH fails (--fail-auth)"
    elif options.accept_any_login:
        auth = "any login accepted"
    elif users:
        auth = "users " + ", ".join(users)
    else:
        auth = "no users configured (AUTH always fails)"
    lines.append(f"AUTH PLAIN LOGIN CRAM-MD5: {auth}" + (", required" if options.require_auth else ""))
    injected = [f"--fail-at {stage}:{code}" for stage, code in parse_fail_at(options.fail_at).items()]
    injected += [f"--reject-rcpt {address}" for address in options.reject_rcpt]
    injected += ["--drop-after-data"] if options.drop_after_data else []
    if injected:
        lines.append("failure injection: " + " ".join(injected))
    lines.append("press Ctrl-C to stop")
    print("\n".join(lines), flush=True)

