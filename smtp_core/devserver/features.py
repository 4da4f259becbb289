"""What the catcher's optional Mailpit features are set to, and its runtime figures.

One owner for both, handed from the command line (or ``DevServer``) to the
HTTP side:

* :class:`Features`: the label, the relay used by *release*
  (:class:`RelaySettings`), the SpamAssassin daemon (``HOST:PORT``), and
  Mailpit's chaos (:class:`~smtp_core.devserver.smtp.policy.Chaos`, shared with
  the SMTP side's policy, which applies it);
  ``Features()`` is everything off, as Mailpit starts.
* :class:`RuntimeStats`: Mailpit's ``RuntimeStats`` of ``/api/v1/info``.
  Arrivals (SMTP and the send API alike, as Mailpit counts them) are seen
  through the store's ``new`` events; the SMTP side reports refusals with
  :meth:`RuntimeStats.rejected`; deletions are what arrived minus what is
  left, so pruning, truncation and deletion by search all count.

>>> parse_relay("127.0.0.1:2525")
('127.0.0.1', 2525)
>>> parse_relay("[::1]:25")
('::1', 25)
>>> parse_relay("mail.example.com")
Traceback (most recent call last):
ValueError: --smtp-relay expects HOST:PORT, got 'mail.example.com'
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from .mailbox.store import MailStore
from .smtp.policy import Chaos

__all__ = ["Features", "RelaySettings", "RuntimeStats", "parse_relay", "STARTTLS_MODES"]

#: ``--smtp-relay-starttls``: as smtp_core.send's ``tls=`` (``none``: plain).
STARTTLS_MODES = ("required", "opportunistic", "none")


def parse_relay(text: str, option: str = "--smtp-relay") -> tuple[str, int]:
    """``"host:port"`` (``[v6]:port`` too) to ``(host, port)``; ``ValueError``
    names the option otherwise."""
    match = re.fullmatch(r"\[(?P<v6>[^\]]+)\]:(?P<port>\d+)|(?P<host>[^:\[\]]+):(?P<port2>\d+)", text)
    port = int(match["port"] or match["port2"]) if match else 0
    if not match or not 0 < port <= 65535:
        raise ValueError(f"{option} expects HOST:PORT, got {text!r}")
    return match["v6"] or match["host"], port


@dataclass(frozen=True)
class RelaySettings:
    """Where ``POST /api/v1/message/{ID}/release`` sends mail."""

    host: str
    port: int
    auth: tuple[str, str] | None = None
    starttls: str = "opportunistic"
    allowed: re.Pattern[str] | None = None  # recipients must match (search)

    def __post_init__(self) -> None:
        if self.starttls not in STARTTLS_MODES:
            raise ValueError(f"--smtp-relay-starttls must be one of {', '.join(STARTTLS_MODES)},"
                             f" got {self.starttls!r}")

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Features:
    """The optional features; the defaults are Mailpit's (all off)."""

    label: str = ""
    relay: RelaySettings | None = None
    spamassassin: str | None = None  # "host:port" of spamd
    chaos: Chaos | None = None  # None: chaos not enabled (--enable-chaos)


class RuntimeStats:
    """Counters since start, for ``/api/v1/info`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._accepted = 0
        self._accepted_size = 0
        self._rejected = 0
        self._baseline: int | None = None  # messages when watching began

    def watch(self, store: MailStore) -> Callable[[], None]:
        """Count ``store``'s arrivals from now on; returns the unsubscribe."""
        with self._lock:
            self._baseline = store.counts()[0]

        def on_event(event_type: str, data: Any) -> None:
            if event_type == "new":
                with self._lock:
                    self._accepted += 1
                    self._accepted_size += int(data.get("Size", 0))

        return store.subscribe(on_event)

    def rejected(self) -> None:
        """One message or recipient refused by the SMTP side."""
        with self._lock:
            self._rejected += 1

    def snapshot(self, messages_now: int) -> dict[str, int]:
        """Mailpit's ``RuntimeStats`` object."""
        with self._lock:
            deleted = (self._baseline or 0) + self._accepted - messages_now
            return {"Uptime": int(time.monotonic() - self._started), "Memory": resident_memory(),
                    "MessagesDeleted": max(deleted, 0), "SMTPAccepted": self._accepted,
                    "SMTPAcceptedSize": self._accepted_size, "SMTPRejected": self._rejected,
                    "SMTPIgnored": 0}


def resident_memory() -> int:
    """This process's resident set in bytes (Linux ``/proc``), else its peak."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        import resource  # Unix only, as the fallback is

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
