"""How the dev server answers: users, rejected recipients, injected failures.

A :class:`Policy` is built once from the server's settings and shared by
every connection; it decides, and the SMTP protocol (:mod:`.protocol`) acts.
Failure injection replaces the reply at one stage of a session:

>>> policy = Policy.from_settings(fail_at="rcpt:421")
>>> policy.injected_failure("rcpt", "localhost").text
'421 4.3.2 localhost Service not available, closing transmission channel (injected at rcpt)'
>>> policy.injected_failure("mail", "localhost") is None
True

Mailpit's *chaos* is the probabilistic kind: :class:`Chaos` holds its three
triggers (changed at run time by ``PUT /api/v1/chaos``), and the policy
asks it at MAIL, RCPT and AUTH:

>>> chaos = Chaos(parse_chaos_triggers("Sender:451:100,Recipients:550:0"))
>>> Policy.from_settings(chaos=chaos).chaos_failure("Sender").text
'451 Chaos sender error'
>>> Policy.from_settings(chaos=chaos).chaos_failure("Recipient") is None
True
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Iterable, Mapping

__all__ = ["FAILURE_STAGES", "INJECTABLE_CODES", "parse_fail_at", "parse_users", "read_users_file",
           "users_from_environment", "USERS_ENV", "Policy", "ReplyOverride", "is_loopback",
           "Chaos", "CHAOS_TRIGGERS", "parse_chaos_triggers"]

#: The environment variable that gives AUTH users without putting their
#: passwords on the command line (where ``ps`` shows them).
USERS_ENV = "SMTP_DEVSERVER_USERS"

#: Where ``--fail-at`` can strike: the greeting, EHLO/HELO, MAIL, RCPT, the
#: DATA command itself, and the reply to the final dot.
FAILURE_STAGES: tuple[str, ...] = ("connect", "ehlo", "mail", "rcpt", "data", "dot")
#: 421 (service closing: the connection is closed after the reply) and 451
#: (local error: the session goes on).
INJECTABLE_CODES: tuple[int, ...] = (421, 451)

_FAILURE_TEXTS = {
    421: "421 4.3.2 {host} Service not available, closing transmission channel",
    451: "451 4.3.0 Requested action aborted: local error in processing",
}

#: Mailpit's chaos triggers and their default error codes.
CHAOS_TRIGGERS: dict[str, int] = {"Sender": 451, "Recipient": 451, "Authentication": 535}
#: The other names ``--chaos-triggers`` accepts (casefolded), as Mailpit does.
_CHAOS_ALIASES = {"sender": "Sender", "recipient": "Recipient", "recipients": "Recipient",
                  "auth": "Authentication", "authentication": "Authentication"}


def _chaos_trigger(name: str, code: Any, probability: Any) -> tuple[str, dict[str, int]]:
    """One validated trigger; ``ValueError`` has Mailpit's text."""
    if not isinstance(code, int) or isinstance(code, bool) or not 400 <= code <= 599:
        raise ValueError("error code must be between 400 and 599")
    if not isinstance(probability, int) or isinstance(probability, bool) or not 0 <= probability <= 100:
        raise ValueError("probability must be between 0 and 100")
    trigger = _CHAOS_ALIASES.get(name.lower())
    if trigger is None:
        raise ValueError(f"unknown key {name.lower()}")
    return trigger, {"ErrorCode": code, "Probability": probability}


def parse_chaos_triggers(text: str) -> dict[str, dict[str, int]]:
    """``--chaos-triggers``: comma-separated ``TRIGGER:CODE:PROBABILITY``.

    >>> parse_chaos_triggers("Sender:451:50,auth:535:10")["Authentication"]
    {'ErrorCode': 535, 'Probability': 10}
    >>> parse_chaos_triggers("Sender:451")
    Traceback (most recent call last):
    ValueError: --chaos-triggers expects TRIGGER:CODE:PROBABILITY, got 'Sender:451'
    >>> parse_chaos_triggers("Sender:250:5")
    Traceback (most recent call last):
    ValueError: --chaos-triggers 'Sender:250:5': error code must be between 400 and 599
    """
    triggers = {}
    for entry in text.split(","):
        parts = entry.strip().split(":")
        if len(parts) != 3 or not parts[1].strip().isdigit() or not parts[2].strip().isdigit():
            raise ValueError(f"--chaos-triggers expects TRIGGER:CODE:PROBABILITY, got {entry!r}")
        try:
            name, trigger = _chaos_trigger(parts[0].strip(), int(parts[1]), int(parts[2]))
        except ValueError as error:
            raise ValueError(f"--chaos-triggers {entry!r}: {error}") from None
        triggers[name] = trigger
    return triggers


def _field(obj: Mapping[str, Any], name: str) -> Any:
    """``obj[name]`` matched as Go's ``encoding/json`` matches a struct field:
    exactly, else in any case (the last such key wins)."""
    if name in obj:
        return obj[name]
    found = None
    for key, value in obj.items():
        if isinstance(key, str) and key.lower() == name.lower():
            found = value
    return found


def _go_json_kind(value: Any) -> str:
    """How Go's ``UnmarshalTypeError`` names a JSON value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return f"number {value!r}" if isinstance(value, float) else "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "value")


class Chaos:
    """Mailpit's chaos triggers (thread-safe: the HTTP side sets them, the
    SMTP side reads them).  ``randbelow(100)`` picks the chance (injected
    by tests); a trigger strikes when it is below the ``Probability``."""

    def __init__(self, triggers: Mapping[str, Mapping[str, int]] | None = None,
                 randbelow: Callable[[int], int] = secrets.randbelow):
        self._lock = threading.Lock()
        self._randbelow = randbelow
        self._triggers = self._complete(triggers or {})

    @staticmethod
    def _complete(triggers: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
        return {name: dict(triggers.get(name) or {"ErrorCode": code, "Probability": 0})
                for name, code in CHAOS_TRIGGERS.items()}

    def triggers(self) -> dict[str, dict[str, int]]:
        """Mailpit's ``ChaosTriggers`` object."""
        with self._lock:
            return {name: dict(trigger) for name, trigger in self._triggers.items()}

    def set(self, body: Any) -> dict[str, dict[str, int]]:
        """Replace every trigger from a decoded ``PUT /api/v1/chaos`` body, as
        Mailpit does: an omitted trigger (or ``ErrorCode`` 0) is its default
        code at 0 %; names match in any case, as Go's decoder matches them.
        ``ValueError`` has Mailpit's (Go's) text; nothing changes then."""
        if not isinstance(body, Mapping):
            raise ValueError(f"json: cannot unmarshal {_go_json_kind(body)} into Go value of type chaos.Triggers")
        triggers = {}
        for name, default_code in CHAOS_TRIGGERS.items():
            given = _field(body, name)
            if given is None:
                given = {}
            if not isinstance(given, Mapping):
                raise ValueError(f"json: cannot unmarshal {_go_json_kind(given)} into Go struct field"
                                 f" Triggers.{name} of type chaos.Trigger")
            numbers = {}
            for field in ("ErrorCode", "Probability"):
                value = _field(given, field)
                if value is None:
                    value = 0
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ValueError(f"json: cannot unmarshal {_go_json_kind(value)} into Go struct field"
                                     f" Trigger.{name}.{field} of type int")
                numbers[field] = value
            _, triggers[name] = _chaos_trigger(name, numbers["ErrorCode"] or default_code, numbers["Probability"])
        with self._lock:
            self._triggers = triggers
        return self.triggers()

    def strikes(self, trigger: str) -> int | None:
        """The error code if ``trigger`` strikes this time, else ``None``."""
        with self._lock:
            code, probability = self._triggers[trigger]["ErrorCode"], self._triggers[trigger]["Probability"]
        if probability and self._randbelow(100) < probability:
            return code
        return None


def parse_fail_at(spec: None | str | Mapping[str, int] | Iterable[str]) -> dict[str, int]:
    """Normalise failure-injection settings to ``{stage: code}``.

    Accepts ``None``, ``"rcpt:451"``, a ``{stage: code}`` mapping, or an
    iterable of ``"stage:code"`` strings (the CLI's repeated ``--fail-at``).

    >>> parse_fail_at("dot:421")
    {'dot': 421}
    >>> parse_fail_at(["mail:451", "connect:421"])
    {'mail': 451, 'connect': 421}
    """
    if spec is None:
        return {}
    if isinstance(spec, str):
        stage, colon, code = spec.partition(":")
        if not colon:
            raise ValueError(f"failure injection expects STAGE:CODE, got {spec!r}")
        items: list[tuple[str, Any]] = [(stage, code)]
    elif isinstance(spec, Mapping):
        items = list(spec.items())
    else:
        parsed: dict[str, int] = {}
        for entry in spec:
            parsed.update(parse_fail_at(entry))
        return parsed
    result: dict[str, int] = {}
    for stage, code in items:
        stage = str(stage).strip().lower()
        if stage not in FAILURE_STAGES:
            raise ValueError(
                f"unknown failure stage {stage!r}; expected one of {', '.join(FAILURE_STAGES)}"
            )
        try:
            code = int(code)
        except (TypeError, ValueError):
            raise ValueError(f"failure code must be a number, got {code!r}") from None
        if code not in INJECTABLE_CODES:
            raise ValueError(f"failure code must be 421 or 451, got {code}")
        result[stage] = code
    return result


def parse_users(users: None | Mapping[str, str] | Iterable[str]) -> dict[str, str]:
    """``{"alice": "pw"}`` or ``["alice:pw"]`` (the CLI form) to a dict.

    >>> parse_users(["alice:pw", "s3cret"])
    Traceback (most recent call last):
    ...
    ValueError: users entry 2: expected NAME:PASSWORD
    """
    if users is None:
        return {}
    if isinstance(users, Mapping):
        return {str(name): str(password) for name, password in users.items()}
    # The error names the entry by its place: its text may be a password.
    return _user_lines((str(entry) for entry in users), lambda number: f"users entry {number}")


def _user_lines(lines: Iterable[str], where: Callable[[int], str]) -> dict[str, str]:
    """``NAME:PASSWORD`` lines to a dict; blank lines and ``#`` comments are
    skipped.  An error names ``where(n)`` for the n-th line, never its text
    (it may hold a password)."""
    users = {}
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, colon, password = line.partition(":")
        if not colon or not name:
            raise ValueError(f"{where(number)}: expected NAME:PASSWORD")
        users[name] = password
    return users


def read_users_file(path: str | os.PathLike[str]) -> dict[str, str]:
    """The AUTH users in the file ``path``: one ``NAME:PASSWORD`` a line,
    blank lines and ``#`` comments allowed.  As ssh does with keys, a file
    that group or others may read is refused (its passwords are no secret).

    >>> import os, tempfile
    >>> fd, path = tempfile.mkstemp()
    >>> _ = os.write(fd, b"# test users\\nalice:wonder:land\\n\\nbob:builder\\n"); os.close(fd)
    >>> read_users_file(path)
    {'alice': 'wonder:land', 'bob': 'builder'}
    >>> with open(path, "a") as file:
    ...     _ = file.write("carol\\n")
    >>> read_users_file(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: --users-file ...: line 5: expected NAME:PASSWORD
    >>> os.unlink(path)
    """
    lines = read_secret_lines("--users-file", path)
    return _user_lines(lines, lambda number: f"--users-file {path}: line {number}")


def read_secret_lines(option: str, path: str | os.PathLike[str]) -> list[str]:
    """The lines of the secrets file ``path`` given with ``option``.  As ssh
    does with keys, a file that group or others may read is refused: its
    secrets are no secret.  ``ValueError`` names the option and the file,
    never what the file holds."""
    try:
        with open(path, encoding="utf-8") as file:
            if os.fstat(file.fileno()).st_mode & 0o077:  # the file opened, not a name that may change
                raise ValueError(f"{option} {path}: group or others may read it; chmod 600 {path}")
            return file.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise ValueError(f"{option} {path}: cannot read it: {reason}") from None


def users_from_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The AUTH users in :data:`USERS_ENV`: ``NAME:PASSWORD`` entries
    separated by newlines, or by commas when the value has no newline (so a
    password with a comma needs the newline form).

    >>> users_from_environment({USERS_ENV: "alice:pw1,bob:pw2"})
    {'alice': 'pw1', 'bob': 'pw2'}
    >>> users_from_environment({USERS_ENV: "alice:a,b\\nbob:c"})
    {'alice': 'a,b', 'bob': 'c'}
    >>> users_from_environment({})
    {}
    """
    value = (os.environ if environ is None else environ).get(USERS_ENV, "")
    entries = value.splitlines() if "\n" in value or "\r" in value else value.split(",")
    return _user_lines(entries, lambda number: f"${USERS_ENV}: entry {number}")


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (``localhost``, 127.0.0.0/8,
    ``::1``): where AUTH needs no TLS and HTTP needs no password.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ReplyOverride:
    """What to do instead of the next reply: send ``text`` (or nothing if
    ``None``), then close the connection if ``close``."""

    text: str | None
    close: bool


@dataclass(frozen=True)
class Policy:
    """Everything that decides how a session is answered."""

    users: Mapping[str, str]
    accept_any_login: bool
    require_auth: bool
    rejected_recipients: frozenset  # casefolded addresses
    fail_auth: bool
    fail_at: Mapping[str, int]
    drop_after_data: bool
    chaos: Chaos | None = None  # None: chaos not enabled

    @classmethod
    def from_settings(
        cls,
        *,
        users: None | Mapping[str, str] | Iterable[str] = None,
        accept_any_login: bool = False,
        require_auth: bool = False,
        reject_rcpt: Iterable[str] = (),
        fail_auth: bool = False,
        fail_at: None | str | Mapping[str, int] | Iterable[str] = None,
        drop_after_data: bool = False,
        chaos: Chaos | None = None,
    ) -> Policy:
        """A policy from :class:`~smtp_core.devserver.DevServer`'s keyword settings."""
        return cls(
            users=parse_users(users),
            accept_any_login=accept_any_login,
            require_auth=require_auth,
            rejected_recipients=frozenset(address.casefold() for address in reject_rcpt),
            fail_auth=fail_auth,
            fail_at=parse_fail_at(fail_at),
            drop_after_data=drop_after_data,
            chaos=chaos,
        )

    def injected_failure(self, stage: str, hostname: str) -> ReplyOverride | None:
        code = self.fail_at.get(stage)
        if code is None:
            return None
        text = _FAILURE_TEXTS[code].format(host=hostname) + f" (injected at {stage})"
        return ReplyOverride(text=text, close=code == 421)

    def chaos_failure(self, trigger: str) -> ReplyOverride | None:
        """Mailpit's ``<code> Chaos <trigger> error`` if the chaos ``trigger``
        (``Sender``, ``Recipient``, ``Authentication``) strikes; the session
        goes on, as in Mailpit, whatever the code."""
        code = self.chaos.strikes(trigger) if self.chaos is not None else None
        if code is None:
            return None
        return ReplyOverride(text=f"{code} Chaos {trigger.lower()} error", close=False)

    def rejects_recipient(self, address: str) -> bool:
        return address.casefold() in self.rejected_recipients

    def known_user(self, address: str) -> str | None:
        """The configured user an address names (whole address or local part)."""
        wanted = address.casefold()
        local_part = wanted.rpartition("@")[0] or wanted
        for name in self.users:
            if name.casefold() in (wanted, local_part):
                return name
        return None

    def password_matches(self, user: str, password: str) -> bool:
        if self.fail_auth:
            return False
        if self.accept_any_login:
            return True
        expected = self.users.get(user)
        return expected is not None and hmac.compare_digest(
            expected.encode("utf-8"), password.encode("utf-8", "surrogateescape")
        )

    def cram_md5_matches(self, user: str, challenge: bytes, digest: str) -> bool:
        if self.fail_auth:
            return False
        if self.accept_any_login:
            return True
        password = self.users.get(user)
        if password is None:
            return False
        expected = hmac.new(password.encode("utf-8"), challenge, "md5").hexdigest()
        # Bytes, so that a non-ASCII digest is a mismatch rather than a TypeError.
        return hmac.compare_digest(
            expected.encode("ascii"), digest.lower().encode("utf-8", "surrogateescape")
        )
